//! Webhook endpoints over HTTP.

use paynectra_tests::TestApi;
use serde_json::json;

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

    // Retries come with backoff; run them as the scheduled function would,
    // later. The second fails (503), the third is acknowledged (200).
    let now = paynectra::service::now_unix();
    assert_eq!(
        paynectra_functions::deliveries::retry(api.app, now + 30).await.unwrap()["attempted"],
        0,
        "not due yet"
    );
    paynectra_functions::deliveries::retry(api.app, now + 61).await.unwrap();
    paynectra_functions::deliveries::retry(api.app, now + 61 + 301)
        .await
        .unwrap();
    assert_eq!(
        paynectra_functions::deliveries::retry(api.app, now + 86_400)
            .await
            .unwrap()["attempted"],
        0,
        "done"
    );
    assert_eq!(receiver.received().len(), 3, "three attempts, then acknowledged once");
    let event = api.get_event(&a.test_key, &event_id).await;
    assert_eq!(event.body["pending_webhooks"], 0);
    let d = &event.body["deliveries"][0];
    assert_eq!(d["status"], "succeeded");
    let codes: Vec<i64> = d["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].as_i64().unwrap())
        .collect();
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
    use paynectra::service::deliveries::{deliver_event, retry_due, Deliverer, ADDRESS_NOT_ALLOWED};

    let api = TestApi::spawn_deployed().await;
    let a = api.merchant("A").await;
    let (port, accepted) = counting_listener().await;
    // A public-looking name: accepted at creation (names cannot be judged
    // there), refused at connect time, when it resolves to loopback.
    api.create_webhook_endpoint(
        &a.test_key,
        json!({"url": format!("https://hooks.example.com:{port}/hooks"), "enabled_events": ["customer.*"]}),
    )
    .await
    .ok();
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
    let guarded = to_loopback(api.app.allow_local_webhook_urls);
    let now = paynectra::service::now_unix();
    assert_eq!(deliver_event(api.app, &guarded, &tenant, &event, now).await.unwrap(), 1);
    assert_eq!(retry_due(api.app, &guarded, now + 61).await.unwrap(), 1);
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
    let open = to_loopback(true);
    assert_eq!(retry_due(api.app, &open, now + 61 + 301).await.unwrap(), 1);
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
