//! The local stack throttles like API Gateway: a token bucket per method
//! from the stage's `MethodSettings`, and one per usage key (account, mode,
//! read or write) from its usage plan, each answered with the template's
//! `THROTTLED` gateway response (429 `rate_limit_error`, our error shape,
//! `Retry-After`). The per-account tests need moto (`PAYNECTRA_TEST_MOTO`).

use std::time::{Duration, Instant};

use paynectra::{
    domain::{Mode, RateLimits},
    http::ApiError,
    service::{accounts, limits},
};
use paynectra_local::{ThrottleLimits, Throttling};
use paynectra_tests::{Reply, TestApi};
use serde_json::json;

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

/// The template's own limits, per method: the stage's are API Gateway's
/// account-level ones (10,000 requests/s, bursts of 5,000) and the static
/// script, outside every usage plan, has 1,000/s with bursts of 2,000. Of
/// 2,400 script requests (200 at a time) the whole burst gets through, no
/// more than the burst plus what the rate refilled meanwhile, and (if they
/// were sent fast enough to need it) the rest are throttled; the throttle
/// comes before anything else, as on API Gateway.
#[tokio::test]
async fn the_template_limits_apply_by_default() {
    use futures::StreamExt;
    let api = TestApi::spawn_throttled(Throttling::Template).await;
    let started = Instant::now();
    let replies: Vec<Reply> = futures::stream::iter(0..2_400)
        .map(|_| api.send(api.http.get(api.url("/pay/paynectra.js"))))
        .buffer_unordered(200)
        .collect()
        .await;
    let elapsed = started.elapsed().as_secs_f64();
    let admitted = replies.iter().filter(|r| r.status == 200).count();
    let throttled = replies.iter().filter(|r| r.status == 429).count();
    assert_eq!(admitted + throttled, 2_400, "only 200s and 429s");
    assert!(
        admitted as f64 <= 2_000.0 + 1_000.0 * elapsed + 1.0,
        "{admitted} admitted in {elapsed:.2} s: more than the burst of 2,000 plus 1,000/s"
    );
    assert!(admitted >= 2_000, "the whole burst is admitted: {admitted}");
    if elapsed < 0.35 {
        assert!(throttled > 0, "2,400 requests in {elapsed:.2} s and none throttled");
    }
    let other = api.list_payments("sk_test_nobody", "").await;
    assert_eq!(
        other.status, 401,
        "another method's bucket is untouched: {}",
        other.text
    );
}

// Per-account rate limits: each (account, mode, class) is its own usage key
// with its usage plan's limits (in moto, PAYNECTRA_TEST_MOTO), so one
// merchant's flood never throttles another. A fresh account has the test
// mode's default: 25 requests/s with bursts of 50, reads and writes apart.

/// `n` requests at once.
async fn flood<F, Fut>(n: usize, request: F) -> (Vec<Reply>, f64)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Reply>,
{
    let started = Instant::now();
    let replies = futures::future::join_all((0..n).map(|_| request())).await;
    (replies, started.elapsed().as_secs_f64())
}

/// A flood past a 25/s, burst-50 bucket: only successes and 429s, no more
/// admitted than the bucket allows, and (if it was sent fast enough to
/// need it) throttled, each 429 in our error shape with `Retry-After`.
fn assert_throttled_at_test_limits(replies: &[Reply], elapsed: f64, ok: u16) {
    let admitted = replies.iter().filter(|r| r.status == ok).count();
    let throttled: Vec<&Reply> = replies.iter().filter(|r| r.status == 429).collect();
    assert_eq!(
        admitted + throttled.len(),
        replies.len(),
        "only {ok}s and 429s: {replies:#?}"
    );
    assert!(
        admitted as f64 <= 50.0 + 25.0 * elapsed + 1.0,
        "{admitted} admitted in {elapsed:.2} s: more than the burst of 50 plus 25/s"
    );
    if (replies.len() as f64) > 50.0 + 25.0 * elapsed + 5.0 {
        assert!(
            !throttled.is_empty(),
            "{} requests in {elapsed:.2} s and none throttled",
            replies.len()
        );
    }
    for r in throttled {
        assert_eq!(r.text, ApiError::rate_limited().body(), "our error shape");
        assert_eq!(r.body["error"]["type"], "rate_limit_error");
        assert_eq!(r.headers["retry-after"], "1");
        assert!(r.headers.contains_key("request-id"), "{:?}", r.headers);
    }
}

#[tokio::test]
async fn one_merchants_flood_throttles_only_its_own_account_and_class() {
    let api = TestApi::spawn_rate_limited().await;
    let a = api.merchant("Flooder").await;
    let b = api.merchant("Bystander").await;
    let pay_a = api
        .new_payment(&a.test_key, json!({"amount": 1000, "currency": "usd"}))
        .await;
    let pay_b = api
        .new_payment(&b.test_key, json!({"amount": 1000, "currency": "usd"}))
        .await;

    // A floods its reads; meanwhile B reads and A writes.
    let (a_reads, b_reads, a_writes) = tokio::join!(
        flood(200, || api.get_payment(&a.test_key, &pay_a)),
        flood(10, || api.get_payment(&b.test_key, &pay_b)),
        flood(10, || api.create_customer(&a.test_key, json!({}))),
    );
    assert_throttled_at_test_limits(&a_reads.0, a_reads.1, 200);
    assert!(a_reads.0.iter().any(|r| r.status == 429), "A's reads were throttled");
    for r in &b_reads.0 {
        assert_eq!(r.status, 200, "another merchant is never throttled by A: {}", r.text);
    }
    for r in &a_writes.0 {
        assert_eq!(r.status, 200, "A's writes have a bucket of their own: {}", r.text);
    }

    // An operator raises A's test-mode reads (the code path of
    // `paynectra-admin limits set`): once it has propagated (the local
    // stack rereads a key's plan after a second), a burst of 100 passes.
    let plans = api.plans.as_ref().expect("rate limited");
    let raised = RateLimits::new(1_000, 2_000).unwrap();
    let now = limits::set(plans, &api.app.store, &a.tenant(Mode::Test), Some(raised), None)
        .await
        .expect("set limits");
    assert_eq!((now.read, now.write), (raised, RateLimits::new(25, 50).unwrap()));
    let shown = limits::show(plans, &api.app.store, &a.account_id.parse().unwrap())
        .await
        .expect("show limits");
    assert_eq!(shown[0].mode, Mode::Test);
    assert_eq!(shown[0].read.1, Some(raised));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (burst, _) = flood(100, || api.get_payment(&a.test_key, &pay_a)).await;
        if burst.iter().all(|r| r.status == 200) {
            break;
        }
        assert!(burst.iter().all(|r| [200, 429].contains(&r.status)), "{burst:#?}");
        assert!(Instant::now() < deadline, "the raised limit never applied");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_publishable_keys_flood_throttles_only_its_own_account() {
    let api = TestApi::spawn_rate_limited().await;
    let a = api.merchant("Flooder").await;
    let b = api.merchant("Checkout").await;
    let (a_cards, b_cards) = tokio::join!(
        flood(200, || api.create_card(&a.test_publishable_key, "4242424242424242")),
        flood(10, || api.create_card(&b.test_publishable_key, "4242424242424242")),
    );
    assert_throttled_at_test_limits(&a_cards.0, a_cards.1, 200);
    for r in &b_cards.0 {
        assert_eq!(r.status, 200, "B's checkout is not drained by A's key: {}", r.text);
    }
}

/// The URL of a new payment's hosted page, with `m`'s publishable key.
async fn page_url(api: &TestApi, m: &paynectra_tests::Merchant) -> String {
    let p = api
        .create_payment(&m.test_key, json!({"amount": 1000, "currency": "usd"}))
        .await
        .ok();
    let secret = p.body["client_secret"].as_str().expect("a client secret");
    api.url(&format!(
        "/pay/{}?key={}&client_secret={secret}",
        p.id(),
        m.test_publishable_key
    ))
}

#[tokio::test]
async fn hosted_pages_count_against_their_account_and_junk_links_only_each_other() {
    let api = TestApi::spawn_rate_limited().await;
    let a = api.merchant("Flooder").await;
    let b = api.merchant("Checkout").await;
    let (page_a, page_b) = (page_url(&api, &a).await, page_url(&api, &b).await);
    let get = |url: &str| api.send(api.http.get(url));
    let junk = api.url("/pay/pay_0junk?key=pk_test_junk&client_secret=x");

    let (a_pages, b_pages) = tokio::join!(flood(200, || get(&page_a)), flood(10, || get(&page_b)));
    assert_throttled_at_test_limits(&a_pages.0, a_pages.1, 200);
    for r in &b_pages.0 {
        assert_eq!(r.status, 200, "B's page still renders: {}", r.text);
    }

    // Links without a valid key share one bucket of their own, and still
    // get the page's friendly "not valid" answer when admitted.
    let (junk_pages, b_pages) = tokio::join!(flood(200, || get(&junk)), flood(10, || get(&page_b)));
    assert_throttled_at_test_limits(&junk_pages.0, junk_pages.1, 404);
    let admitted = junk_pages.0.iter().find(|r| r.status == 404).expect("some admitted");
    assert!(
        admitted.text.contains("This payment link is not valid"),
        "{}",
        admitted.text
    );
    for r in &b_pages.0 {
        assert_eq!(r.status, 200, "junk links do not throttle real pages: {}", r.text);
    }
}

/// An account whose usage keys were never provisioned: API Gateway knows no
/// such key (INVALID_API_KEY), our fault, so an opaque 500; `limits sync`
/// provisions it.
#[tokio::test]
async fn an_account_without_usage_keys_is_a_500_until_synced() {
    let api = TestApi::spawn_rate_limited().await;
    let m: paynectra_tests::Merchant = accounts::create_account(&api.app.store, "Before limits", 0)
        .await
        .expect("create account")
        .into();
    let r = api.list_payments(&m.test_key, "").await;
    assert_eq!(r.status, 500, "{}", r.text);
    assert_eq!(r.text, ApiError::internal().body());

    let plans = api.plans.as_ref().expect("rate limited");
    let synced = limits::sync(plans, &api.app.store).await.expect("sync");
    assert_eq!(synced.accounts, 1);
    assert!(synced.placed >= 4, "{synced:?}");
    assert_eq!(
        limits::sync(plans, &api.app.store).await.expect("sync").placed,
        0,
        "idempotent"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while api.list_payments(&m.test_key, "").await.status != 200 {
        assert!(Instant::now() < deadline, "still refused after limits sync");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
