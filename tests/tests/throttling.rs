//! The local stack throttles like API Gateway: a token bucket per method
//! from the stage's `MethodSettings`, answered with the template's
//! `THROTTLED` gateway response (429 `rate_limit_error`, our error shape).

use std::time::{Duration, Instant};

use paynectra::http::ApiError;
use paynectra_local::{ThrottleLimits, Throttling};
use paynectra_tests::{Reply, TestApi};

#[tokio::test]
async fn past_the_burst_a_method_answers_429_until_its_bucket_refills() {
    let api = TestApi::spawn_throttled(Throttling::Limits(ThrottleLimits { rate: 0.2, burst: 5 })).await;
    let m = api.merchant("Throttled").await;

    // Six requests at once: the bucket holds five tokens and refills one
    // every 5 s (slow, so that a loaded machine still sends all six before
    // the first refill): exactly one of them is throttled.
    let replies = futures::future::join_all((0..6).map(|_| api.list_payments(&m.test_key, ""))).await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    let throttled: Vec<&Reply> = replies.iter().filter(|r| r.status == 429).collect();
    assert_eq!((ok, throttled.len()), (5, 1), "{replies:#?}");
    let r = throttled[0];
    let (code, param) = r.error(429);
    assert_eq!((code.as_deref(), param), (Some("rate_limit"), None));
    assert_eq!(r.body["error"]["type"], "rate_limit_error");
    assert_eq!(r.text, ApiError::rate_limited().body(), "the template's THROTTLED body");
    assert_eq!(r.headers["content-type"], "application/json");
    assert!(r.headers.contains_key("request-id"), "{:?}", r.headers);

    // Each method has a bucket of its own.
    let other = api.list_customers(&m.test_key, "").await;
    assert_eq!(other.status, 200, "{}", other.text);

    // The bucket refills: poll until the method answers again (about 5 s
    // at 0.2 requests/s); every answer meanwhile is the same 429.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = api.list_payments(&m.test_key, "").await;
        if r.status == 200 {
            break;
        }
        r.error(429);
        assert!(
            Instant::now() < deadline,
            "still throttled after 30 s at 0.2 requests/s"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The template's own limits (100 requests/s, bursts of 200, per method):
/// of 400 requests at once, no more than the burst plus what the rate
/// refilled meanwhile get through, and the rest are throttled. The requests
/// carry no key: the throttle comes before the authorizer, as on API
/// Gateway, so the admitted ones are API Gateway's 401 and cost nothing.
#[tokio::test]
async fn the_template_limits_apply_by_default() {
    let api = TestApi::spawn_throttled(Throttling::Template).await;
    let started = Instant::now();
    let replies = futures::future::join_all((0..400).map(|_| api.send(api.http.get(api.url("/v1/payments"))))).await;
    let elapsed = started.elapsed().as_secs_f64();
    let admitted = replies.iter().filter(|r| r.status == 401).count();
    let throttled = replies.iter().filter(|r| r.status == 429).count();
    assert_eq!(admitted + throttled, 400, "only 401s and 429s");
    assert!(
        admitted as f64 <= 200.0 + 100.0 * elapsed + 1.0,
        "{admitted} admitted in {elapsed:.2} s: more than the burst of 200 plus 100/s"
    );
    assert!(admitted >= 200, "the whole burst is admitted: {admitted}");
    // 400 requests within 2 s must meet the throttle (200 + 100/s); a
    // machine too busy to send them that fast proves nothing either way.
    if elapsed < 1.9 {
        assert!(throttled > 0, "400 requests in {elapsed:.2} s and none throttled");
    }
}
