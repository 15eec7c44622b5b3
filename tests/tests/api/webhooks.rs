//! Webhook endpoints over HTTP.

use paynectra_tests::TestApi;
use serde_json::json;

use crate::helpers::map_array;

#[tokio::test]
async fn endpoints_show_their_secret_once_and_are_per_tenant() {
    let (api, [a, b]) = TestApi::with_merchants(["A", "B"]).await;
    let created = api
        .create_webhook_endpoint(
            &a.test_key,
            json!({"url": "https://shop.example/hooks", "enabled_events": ["payment.*", "refund.created"]}),
        )
        .await
        .ok();
    let secret = created.body["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"));
    let id = created.id();
    assert!(id.starts_with("we_"));
    let listed = api.list_webhook_endpoints(&a.test_key).await;
    assert_eq!(listed.body["data"][0]["id"], id.as_str());
    assert!(listed.body["data"][0].get("secret").is_none(), "never shown again");
    assert!(!listed.text.contains(secret));
    for key in [&b.test_key, &a.live_key] {
        assert_eq!(api.list_webhook_endpoints(key).await.body["data"], json!([]));
    }

    for (body, param) in [
        (json!({"enabled_events": ["*"]}), "url"),
        (
            json!({"url": "http://shop.example/hooks", "enabled_events": ["*"]}),
            "url",
        ),
        (json!({"url": "https://shop.example/hooks"}), "enabled_events"),
        (
            json!({"url": "https://shop.example/hooks", "enabled_events": []}),
            "enabled_events",
        ),
        (
            json!({"url": "https://shop.example/hooks", "enabled_events": ["charge.succeeded"]}),
            "enabled_events[0]",
        ),
        (
            json!({"url": "https://shop.example/hooks", "enabled_events": ["*"], "secret": "mine"}),
            "secret",
        ),
    ] {
        let r = api.create_webhook_endpoint(&a.test_key, body.clone()).await;
        assert_eq!(r.error(400).1.as_deref(), Some(param), "{body}");
    }

    assert_eq!(api.delete_webhook_endpoint(&b.test_key, &id).await.status, 404);
    let r = api.delete_webhook_endpoint(&a.test_key, &id).await;
    assert_eq!(r.body, json!({"id": id, "object": "webhook_endpoint", "deleted": true}));
    assert_eq!(api.delete_webhook_endpoint(&a.test_key, &id).await.status, 404);
    assert_eq!(api.list_webhook_endpoints(&a.test_key).await.body["data"], json!([]));
}

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

use http_body_util::{BodyExt, Full};
use hyper::{body::Bytes, service::service_fn};
use hyper_util::rt::TokioIo;

/// A webhook receiver on loopback: answers with the scripted statuses (then
/// 200) and keeps what it received.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(String, String)>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    async fn start(script: &[u16]) -> (Self, String) {
        let me = Self {
            got: Arc::default(),
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let r = me.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let r = r.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let r = r.clone();
                        async move {
                            let sig = req
                                .headers()
                                .get("paynectra-signature")
                                .map(|v| v.to_str().unwrap().to_owned())
                                .unwrap_or_default();
                            let body = String::from_utf8(req.into_body().collect().await.unwrap().to_bytes().to_vec())
                                .unwrap();
                            r.got.lock().unwrap().push((sig, body));
                            let status = r.script.lock().unwrap().pop_front().unwrap_or(200);
                            let mut res = hyper::Response::new(Full::new(Bytes::from_static(b"ok")));
                            *res.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                            Ok::<_, std::convert::Infallible>(res)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        (me, url)
    }

    fn received(&self) -> Vec<(String, String)> {
        self.got.lock().unwrap().clone()
    }
}

/// Checks a signature with Python's hmac module: an implementation that is
/// not ours.
fn python_verifies(secret: &str, header: &str, body: &str) -> bool {
    let script = r#"
import hmac, hashlib, os, sys
parts = dict(p.split("=", 1) for p in os.environ["SIG"].split(","))
mac = hmac.new(os.environ["SECRET"].encode(), (parts["t"] + "." + sys.stdin.read()).encode(), hashlib.sha256).hexdigest()
sys.exit(0 if hmac.compare_digest(mac, parts["v1"]) else 1)
"#;
    let mut child = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .env("SIG", header)
        .env("SECRET", secret)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
    child.wait().unwrap().success()
}

/// Reads with `read` until `done` holds of the reading (20 s at most), and
/// returns the last one.
async fn read_until<T, Fut: std::future::Future<Output = T>>(read: impl Fn() -> Fut, done: impl Fn(&T) -> bool) -> T {
    let mut value = read().await;
    for _ in 0..200 {
        if done(&value) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        value = read().await;
    }
    value
}

async fn until<F: Fn() -> bool>(what: &str, f: F) {
    for _ in 0..100 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test]
async fn events_are_delivered_signed_and_retried_until_acknowledged() {
    let api = TestApi::spawn_with_webhooks().await;
    let a = api.merchant("A").await;
    let b = api.merchant("B").await;
    let (receiver, url) = Receiver::start(&[500, 503]).await;
    let (other, other_url) = Receiver::start(&[]).await;
    let endpoint = api
        .create_webhook_endpoint(&a.test_key, json!({"url": url, "enabled_events": ["customer.*"]}))
        .await;
    let secret = endpoint.body["secret"].as_str().unwrap().to_owned();
    api.create_webhook_endpoint(&b.test_key, json!({"url": other_url, "enabled_events": ["*"]}))
        .await;

    // Not a customer event: not delivered to A's endpoint.
    api.create_payment(&a.test_key, json!({"amount": 1000, "currency": "usd"}))
        .await;
    let cus = api.create_customer(&a.test_key, json!({"name": "Jenny"})).await;
    until("the first attempt", || receiver.received().len() == 1).await;
    let (sig, body) = receiver.received()[0].clone();
    assert!(python_verifies(&secret, &sig, &body), "Python's hmac agrees: {sig}");
    assert!(!python_verifies("whsec_wrong", &sig, &body));
    assert!(paynectra::domain::delivery::verify(&secret, &sig, &body, paynectra::service::now_unix()).is_ok());
    let delivered: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(delivered["type"], "customer.created");
    assert_eq!(delivered["data"]["object"]["id"], cus.body["id"]);
    let event_id = delivered["id"].as_str().unwrap().to_owned();

    // The receiver failed (500): pending, one attempt recorded.
    let event = api.get_event(&a.test_key, &event_id).await;
    assert_eq!(event.body["pending_webhooks"], 1);
    assert_eq!(event.body["deliveries"][0]["attempts"][0]["status_code"], 500);
    // Lists show the count too (read beside the page: it is not on the
    // indexed event item), and so does the next attempt's payload.
    let listed = api.list_events(&a.test_key, "type=customer.created").await;
    assert_eq!(listed.body["data"][0]["id"], event_id.as_str());
    assert_eq!(listed.body["data"][0]["pending_webhooks"], 1);
    let all = api.list_events(&a.test_key, "").await;
    let counts = map_array(&all.body["data"], |e| e["pending_webhooks"].as_i64().unwrap());
    assert_eq!(
        counts,
        [1, 0],
        "the customer's event is pending, the payment's had no endpoint"
    );

    // Retries come with backoff, from the retry index (swept every ten
    // seconds of the app's clock locally) through the queue to the workers:
    // on the app's clock, later.
    // Not before the minute is up.
    api.advance(30);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.received().len(), 1, "not due yet");
    // The second fails (503), the third is acknowledged (200).
    api.advance(31);
    until("the second attempt", || receiver.received().len() == 2).await;
    let retried: serde_json::Value = serde_json::from_str(&receiver.received()[1].1).unwrap();
    assert_eq!(retried["id"], event_id.as_str());
    assert_eq!(retried["pending_webhooks"], 1, "the retry's payload counts itself");
    api.advance(301);
    until("the third attempt", || receiver.received().len() == 3).await;
    let event = read_until(
        || api.get_event(&a.test_key, &event_id),
        |e| e.body["pending_webhooks"] == 0,
    )
    .await;
    api.advance(86_400);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.received().len(), 3, "three attempts, then acknowledged once");
    assert_eq!(event.body["pending_webhooks"], 0);
    let d = &event.body["deliveries"][0];
    assert_eq!(d["status"], "succeeded");
    let codes = map_array(&d["attempts"], |a| a["status_code"].as_i64().unwrap());
    assert_eq!(codes, [500, 503, 200]);
    assert!(d["attempts"][0]["latency_ms"].is_u64());

    // B's endpoint got B's events only: none here (B made no change).
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        other.received().is_empty(),
        "another account's endpoint never receives A's events"
    );
    api.create_customer(&b.test_key, json!({})).await;
    until("B's own event", || other.received().len() == 1).await;
}

/// A TCP listener on every interface that counts the connections it
/// accepts (and closes them).
async fn counting_listener() -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok(_conn) = listener.accept().await {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    (port, accepted)
}

#[tokio::test]
async fn deployed_deliveries_never_connect_to_a_name_that_resolves_to_loopback() {
    use paynectra::{
        domain::{delivery::QueueMessage, DeliveryStatus},
        service::deliveries::{deliver_event, handle_message, Deliverer, Handled, ADDRESS_NOT_ALLOWED},
        store::due_delivery,
    };

    let api = TestApi::spawn_deployed().await;
    let a = api.merchant("A").await;
    let (port, accepted) = counting_listener().await;
    // A public-looking name: accepted at creation (names cannot be judged
    // there), refused at connect time, when it resolves to loopback.
    let endpoint_id: paynectra::domain::WebhookEndpointId = api
        .create_webhook_endpoint(
            &a.test_key,
            json!({"url": format!("https://hooks.example.com:{port}/hooks"), "enabled_events": ["customer.*"]}),
        )
        .await
        .ok()
        .id()
        .parse()
        .unwrap();
    api.create_customer(&a.test_key, json!({})).await.ok();
    let event_id = api.list_events(&a.test_key, "type=customer.created").await.ids()[0].clone();
    let tenant = a.tenant(paynectra::domain::Mode::Test);
    let event = api
        .app
        .store
        .get_event_any_age(&tenant, &event_id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();

    let to_loopback = |allow_local| {
        Deliverer::with_lookup(allow_local, |_name| async {
            Ok(vec![std::net::IpAddr::from([127, 0, 0, 1])])
        })
        .unwrap()
    };
    // The worker's step, on the delivery as it now is.
    let (api, tenant, event, endpoint_id) = (&api, &tenant, &event, &endpoint_id);
    let attempt = |deliverer: Deliverer, at: i64| async move {
        let d = api
            .app
            .store
            .get_delivery(tenant, &event.id, endpoint_id)
            .await
            .unwrap()
            .unwrap();
        let message = QueueMessage::Delivery(due_delivery(tenant, &d, d.next_attempt_at.unwrap()));
        handle_message(api.app, &deliverer, &message, at).await.unwrap()
    };
    let guarded = to_loopback(api.app.allow_local_webhook_urls);
    let now = paynectra::service::now_unix();
    assert_eq!(deliver_event(api.app, tenant, &event.head(), now).await.unwrap(), 1);
    let pending = Handled::Attempted(DeliveryStatus::Pending);
    assert_eq!(attempt(guarded.clone(), now).await, pending);
    assert_eq!(attempt(guarded, now + 61).await, pending);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        accepted.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "no connection at all"
    );

    // Recorded with one generic error: no status, no latency, nothing
    // about the port or why.
    let shown = api.get_event(&a.test_key, &event_id).await.ok();
    let d = &shown.body["deliveries"][0];
    assert_eq!(d["status"], "pending", "retried like any failure");
    let attempts = d["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2);
    for attempt in attempts {
        assert_eq!(attempt["error"], ADDRESS_NOT_ALLOWED);
        assert_eq!(attempt["latency_ms"], 0);
        assert!(attempt.get("status_code").is_none(), "{attempt}");
    }

    // The same stub without the guard (the local stack) does connect: the
    // listener would have seen the attempts above.
    assert_eq!(attempt(to_loopback(true), now + 61 + 301).await, pending);
    until("the unguarded connection", || {
        accepted.load(std::sync::atomic::Ordering::SeqCst) == 1
    })
    .await;
}

#[tokio::test]
async fn deployed_endpoints_on_non_public_literal_addresses_are_refused() {
    let (api, [a]) = TestApi::with_merchants(["A"]).await;
    let deployed = TestApi::spawn_deployed().await;
    let d = deployed.merchant("A").await;
    for url in [
        "https://[::ffff:127.0.0.1]/",
        "https://[::ffff:0.0.0.0]/",
        "https://[64:ff9b::a9fe:a9fe]/",
        "https://100.64.0.1/",
        "https://198.18.0.1/",
        "https://240.0.0.1/",
        "https://0.0.0.0/",
        "https://[fd00::1]/",
    ] {
        let body = json!({"url": url, "enabled_events": ["*"]});
        let r = deployed.create_webhook_endpoint(&d.test_key, body.clone()).await;
        assert_eq!(
            r.error(400),
            (Some("url_invalid".to_owned()), Some("url".to_owned())),
            "{url}"
        );
        // The local stack allows them.
        api.create_webhook_endpoint(&a.test_key, body).await.ok();
    }
    deployed
        .create_webhook_endpoint(
            &d.test_key,
            json!({"url": "https://100.63.255.255/hooks", "enabled_events": ["*"]}),
        )
        .await
        .ok();
}

/// A listener that accepts TCP connections and never answers (nor closes
/// them): the receiver that costs a deliverer its whole timeout.
async fn silent_listener() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((conn, _)) = listener.accept().await {
            held.push(conn);
        }
    });
    url
}

/// Issue 15: no merchant can slow another. Tenant A's ten endpoints accept
/// connections and never answer, and A emits five events (fifty deliveries,
/// each costing a worker its 5 s timeout); B's event still reaches B's
/// receiver within 5 s.
#[tokio::test]
async fn a_tenants_dead_receivers_do_not_delay_another_tenants_webhooks() {
    let api = TestApi::spawn_with_webhooks().await;
    let a = api.merchant("A").await;
    let b = api.merchant("B").await;
    for _ in 0..10 {
        let url = silent_listener().await;
        api.create_webhook_endpoint(&a.test_key, json!({"url": url, "enabled_events": ["*"]}))
            .await
            .ok();
    }
    let (receiver, url) = Receiver::start(&[]).await;
    api.create_webhook_endpoint(&b.test_key, json!({"url": url, "enabled_events": ["*"]}))
        .await
        .ok();
    for _ in 0..5 {
        api.create_customer(&a.test_key, json!({})).await.ok();
    }
    // A's first attempts are under way (and hanging).
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let started = std::time::Instant::now();
    api.create_customer(&b.test_key, json!({})).await.ok();
    for _ in 0..50 {
        if !receiver.received().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let waited = started.elapsed();
    eprintln!("B's webhook arrived after {waited:?}");
    assert_eq!(receiver.received().len(), 1, "B's event did not arrive within 5 s");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
}

/// The circuit breaker: after five failed attempts in a row an endpoint's
/// further deliveries are rescheduled without an attempt; when the
/// cool-down is over one probe is made, and its success closes it.
#[tokio::test]
async fn an_endpoint_that_keeps_failing_is_not_attempted_until_a_probe_succeeds() {
    let api = TestApi::spawn_with_webhooks().await;
    let a = api.merchant("A").await;
    let (receiver, url) = Receiver::start(&[500; 5]).await;
    let endpoint = api
        .create_webhook_endpoint(&a.test_key, json!({"url": url, "enabled_events": ["customer.created"]}))
        .await
        .ok()
        .id();
    for _ in 0..5 {
        api.create_customer(&a.test_key, json!({})).await.ok();
    }
    until("five failed attempts", || receiver.received().len() == 5).await;
    let tenant = a.tenant(paynectra::domain::Mode::Test);
    let endpoint_id = endpoint.parse().unwrap();
    let breaker_now = || async { api.app.store.breaker(&tenant, &endpoint_id).await.unwrap() };
    let breaker = read_until(breaker_now, |b| b.open_until.is_some()).await;
    assert_eq!(breaker.failures, 5);
    let open_until = breaker.open_until.expect("open after five failures");
    assert!(open_until > api.now());

    // While it is open, a new event's delivery is rescheduled, not attempted.
    let sixth = api.create_customer(&a.test_key, json!({})).await.ok();
    let event_id = api
        .list_events(&a.test_key, "type=customer.created&limit=1")
        .await
        .ids()[0]
        .clone();
    let shown = read_until(
        || api.get_event(&a.test_key, &event_id),
        |e| e.body["deliveries"][0]["next_attempt_at"] == open_until,
    )
    .await;
    let d = &shown.body["deliveries"][0];
    assert_eq!(
        d["next_attempt_at"], open_until,
        "deferred to the end of the cool-down: {d}"
    );
    assert_eq!(d["attempts"], json!([]), "no attempt while open");
    assert_eq!(d["status"], "pending");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 5, "nothing sent while open");
    assert!(!sixth.id().is_empty());

    // The cool-down ends: a probe (the receiver now answers 200) closes
    // it, and every delivery goes through, each retried after its backoff.
    for _ in 0..5 {
        api.advance(61);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        if receiver.received().len() == 11 {
            break;
        }
    }
    assert_eq!(receiver.received().len(), 11, "five failures, then six successes");
    let breaker = read_until(breaker_now, |b| b.open_until.is_none()).await;
    assert_eq!((breaker.failures, breaker.open_until), (0, None), "closed by the probe");
    let shown = api.get_event(&a.test_key, &event_id).await.ok();
    let attempts = shown.body["deliveries"][0]["attempts"].as_array().unwrap().clone();
    assert_eq!(
        attempts.len(),
        1,
        "the deferred delivery was attempted once: {attempts:?}"
    );
    assert_eq!(attempts[0]["status_code"], 200);
}

/// A queue message that keeps failing (here: its delivery cannot be read)
/// ends, after five receives, in the dead-letter queue, holding the
/// delivery's message.
#[tokio::test]
async fn a_delivery_that_keeps_failing_ends_in_the_dead_letter_queue() {
    let api = TestApi::spawn_with_webhooks_visible_after(1).await;
    let a = api.merchant("A").await;
    let (receiver, url) = Receiver::start(&[500]).await;
    let endpoint = api
        .create_webhook_endpoint(&a.test_key, json!({"url": url, "enabled_events": ["customer.created"]}))
        .await
        .ok()
        .id();
    api.create_customer(&a.test_key, json!({})).await.ok();
    until("the first attempt", || receiver.received().len() == 1).await;
    let event_id = api.list_events(&a.test_key, "type=customer.created").await.ids()[0].clone();
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Break the stored delivery (found by a Scan, its key as stored).
    let client = api.app.store.client();
    let items = client.scan().table_name(api.app.store.table()).send().await.unwrap();
    let delivery = items
        .items()
        .iter()
        .find(|i| i["sk"].as_s().is_ok_and(|sk| sk.starts_with("delivery#")))
        .expect("the delivery");
    client
        .update_item()
        .table_name(api.app.store.table())
        .key("pk", delivery["pk"].clone())
        .key("sk", delivery["sk"].clone())
        .update_expression("SET #s = :bogus")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":bogus", aws_sdk_dynamodb::types::AttributeValue::S("bogus".into()))
        .send()
        .await
        .unwrap();
    // Its retry comes due: the worker cannot read it, five times.
    api.advance(61);
    let queues = api.queues.as_ref().unwrap();
    let dead = read_until(
        || async { paynectra_local::queue::dead_letters(queues).await.unwrap() },
        |d| !d.is_empty(),
    )
    .await;
    // The retry's message (and perhaps a stale copy of the first attempt's,
    // which the sweep may have sent again before the item was broken).
    assert!(!dead.is_empty());
    let messages: Vec<serde_json::Value> = dead.iter().map(|m| serde_json::from_str(m).unwrap()).collect();
    for message in &messages {
        assert_eq!(message["kind"], "delivery");
        assert_eq!(message["event_id"], event_id.as_str());
        assert_eq!(message["endpoint_id"], endpoint.as_str());
        assert_eq!(message["account_id"], a.account_id.as_str());
    }
    assert!(
        messages.iter().any(|m| m["attempts"] == 1),
        "the retry after the first attempt: {messages:?}"
    );
    assert_eq!(
        receiver.received().len(),
        1,
        "no attempt from a delivery that cannot be read"
    );
}

/// A stream record the consumer cannot handle goes straight to the
/// dead-letter queue as the event to fan out again, and is acknowledged;
/// only when even that send fails is it reported as failed.
#[tokio::test]
async fn an_unreadable_stream_record_is_dead_lettered_not_retried() {
    let api = TestApi::spawn_with_webhooks().await;
    let mut batch: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(paynectra_tests::repo_root().join("events/deliver_webhooks.json")).unwrap(),
    )
    .unwrap();
    batch["Records"][0]["dynamodb"]["NewImage"]
        .as_object_mut()
        .unwrap()
        .remove("type");
    let batch: aws_lambda_events::dynamodb::Event = serde_json::from_value(batch).unwrap();
    let res = paynectra_functions::deliveries::deliver(api.app, batch.clone()).await;
    assert!(res.batch_item_failures.is_empty(), "acknowledged: the DLQ has it");
    let dead = paynectra_local::queue::dead_letters(api.queues.as_ref().unwrap())
        .await
        .unwrap();
    assert_eq!(dead.len(), 1, "{dead:?}");
    let message: serde_json::Value = serde_json::from_str(&dead[0]).unwrap();
    assert_eq!(
        message,
        json!({"kind": "event", "account_id": "acct_0fixture000000000000000000000001", "mode": "test",
               "event_id": "evt_0fixture000000000000000000000001"})
    );

    // Without a dead-letter queue to send to, the record is reported failed.
    let no_queue: &'static paynectra::service::App = Box::leak(Box::new(paynectra::service::App {
        queue: None,
        ..api.app.clone()
    }));
    let res = paynectra_functions::deliveries::deliver(no_queue, batch).await;
    assert_eq!(res.batch_item_failures.len(), 1);
}

/// At most 16 endpoints per account and mode, however many creations race.
#[tokio::test]
async fn twenty_concurrent_creations_make_exactly_sixteen_endpoints() {
    let (api, [a]) = TestApi::with_merchants(["A"]).await;
    let created = futures::future::join_all((0..20).map(|i| {
        api.create_webhook_endpoint(
            &a.test_key,
            json!({"url": format!("https://shop.example/hooks/{i}"), "enabled_events": ["*"]}),
        )
    }))
    .await;
    let ok = created.iter().filter(|r| r.status == 200).count();
    let refused: Vec<_> = created.iter().filter(|r| r.status != 200).collect();
    assert_eq!(ok, 16, "{:?}", refused.iter().map(|r| &r.text).collect::<Vec<_>>());
    for r in &refused {
        assert_eq!(
            r.error(400),
            (Some("webhook_endpoint_limit_reached".to_owned()), None),
            "{}",
            r.text
        );
    }
    let listed = api.list_webhook_endpoints(&a.test_key).await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 16);
    assert_eq!(listed.body["has_more"], false);
    // The live mode has its own 16; a deletion frees a place.
    api.create_webhook_endpoint(
        &a.live_key,
        json!({"url": "https://shop.example/live", "enabled_events": ["*"]}),
    )
    .await
    .ok();
    let one = created.iter().find(|r| r.status == 200).unwrap().id();
    api.delete_webhook_endpoint(&a.test_key, &one).await.ok();
    api.create_webhook_endpoint(
        &a.test_key,
        json!({"url": "https://shop.example/again", "enabled_events": ["*"]}),
    )
    .await
    .ok();
    let again = api
        .create_webhook_endpoint(
            &a.test_key,
            json!({"url": "https://shop.example/full", "enabled_events": ["*"]}),
        )
        .await;
    assert_eq!(again.error(400).0.as_deref(), Some("webhook_endpoint_limit_reached"));
}

/// A stream batch of several tenants' events, interleaved (the handler
/// reads each tenant's endpoints once for the batch): each event goes to
/// its own tenant's endpoints that want its type, and only to them.
#[tokio::test]
async fn a_stream_batch_fans_each_tenants_events_out_to_its_own_endpoints() {
    let api = TestApi::spawn_with_webhooks().await;
    let [a, b, c] = [
        api.merchant("A").await,
        api.merchant("B").await,
        api.merchant("C").await,
    ];
    let mut endpoints = Vec::new();
    for m in [&a, &b] {
        let r = api
            .create_webhook_endpoint(
                &m.test_key,
                json!({"url": "https://shop.example/hooks", "enabled_events": ["payment.created"]}),
            )
            .await;
        endpoints.push(r.id());
    }
    let template: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(paynectra_tests::repo_root().join("events/deliver_webhooks.json")).unwrap(),
    )
    .unwrap();
    let record = template["Records"][0].clone();
    let now = api.now();
    // Five events of A, three of B, two of C (no endpoint), one of A's of a
    // type its endpoint does not want; interleaved.
    let plan = [&a, &b, &a, &c, &a, &b, &a, &c, &b, &a, &a];
    let mut events = Vec::new();
    let records: Vec<serde_json::Value> = plan
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let id = paynectra::domain::EventId::generate().to_string();
            let kind = if i == 10 { "customer.created" } else { "payment.created" };
            let pk = format!("T#{}#test#{id}", m.account_id);
            let mut r = record.clone();
            r["dynamodb"]["Keys"]["pk"]["S"] = json!(pk);
            r["dynamodb"]["NewImage"]["pk"]["S"] = json!(pk);
            r["dynamodb"]["NewImage"]["id"]["S"] = json!(id);
            r["dynamodb"]["NewImage"]["type"]["S"] = json!(kind);
            r["dynamodb"]["NewImage"]["created"]["N"] = json!(now.to_string());
            r["dynamodb"]["NewImage"]["expires_at"]["N"] = json!((now + 86_400).to_string());
            r["dynamodb"]["SequenceNumber"] = json!(format!("{}", 200 + i));
            events.push((m.account_id.clone(), id, kind));
            r
        })
        .collect();
    let batch: aws_lambda_events::dynamodb::Event = serde_json::from_value(json!({ "Records": records })).unwrap();
    let res = paynectra_functions::deliveries::deliver(api.app, batch).await;
    assert!(res.batch_item_failures.is_empty());
    for (account, id, kind) in &events {
        let m = [&a, &b, &c].into_iter().find(|m| &m.account_id == account).unwrap();
        let deliveries = api
            .app
            .store
            .deliveries(&m.tenant(paynectra::domain::Mode::Test), &id.parse().unwrap())
            .await
            .unwrap();
        let got: Vec<String> = deliveries.iter().map(|d| d.endpoint_id.to_string()).collect();
        let want: Vec<String> = match (account, *kind) {
            (_, "customer.created") => vec![],
            (x, _) if *x == a.account_id => vec![endpoints[0].clone()],
            (x, _) if *x == b.account_id => vec![endpoints[1].clone()],
            _ => vec![],
        };
        assert_eq!(got, want, "{account} {id} {kind}");
    }
}

#[tokio::test]
async fn a_refunds_changes_are_delivered_as_the_network_answers_it() {
    let api = TestApi::spawn_with_webhooks().await;
    let a = api.merchant("Refunds").await;
    let (receiver, url) = Receiver::start(&[]).await;
    api.create_webhook_endpoint(&a.test_key, json!({"url": url, "enabled_events": ["refund.*"]}))
        .await
        .ok();
    let pay = api.paid_with(&a.test_key, "pm_card_refundFail", 1000).await;
    let re = api
        .refund(&a.test_key, json!({"payment_id": pay, "amount": 400}))
        .await
        .ok()
        .id();
    // Created, then the stream's answer: updated and failed, one write.
    until("three refund events", || receiver.received().len() == 3).await;
    let mut types: Vec<String> = receiver
        .received()
        .iter()
        .map(|(_, body)| {
            let e: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(e["data"]["object"]["id"], re.as_str());
            e["type"].as_str().unwrap().to_owned()
        })
        .collect();
    types.sort();
    assert_eq!(types, ["refund.created", "refund.failed", "refund.updated"]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        receiver.received().len(),
        3,
        "nothing else: the payment's own events are not enabled"
    );
}
