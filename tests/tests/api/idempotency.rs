//! Idempotency-Key over HTTP: a retried POST never charges or refunds twice.

use paynectra::{
    domain::{Mode, Tenant},
    http::idempotency::{fingerprint, key_hash},
    store::{IdempotencyRecord, IdempotencyState},
};
use paynectra_tests::{Merchant, Reply, TestApi};
use serde_json::{json, Value};

fn tenant(m: &Merchant) -> Tenant {
    Tenant {
        account_id: m.account_id.parse().unwrap(),
        mode: Mode::Test,
    }
}

async fn post(api: &TestApi, key: &str, path: &str, idem: &str, body: Value) -> Reply {
    Reply::from(
        api.http
            .post(api.url(path))
            .bearer_auth(key)
            .header("Idempotency-Key", idem)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn replayed(r: &Reply) -> bool {
    r.headers.get("idempotent-replayed").is_some_and(|v| v == "true")
}

async fn payment_count(api: &TestApi, key: &str) -> usize {
    api.get(key, "/v1/payments?limit=100").await.body["data"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn twenty_concurrent_identical_payments_make_one() {
    let api = TestApi::spawn().await;
    let m = api.merchant("Concurrent").await;
    let body = json!({"amount": 4999, "currency": "usd"});
    let replies =
        futures::future::join_all((0..20).map(|_| post(&api, &m.test_key, "/v1/payments", "order-1", body.clone())))
            .await;
    assert_eq!(payment_count(&api, &m.test_key).await, 1, "exactly one payment");
    let created: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
    assert!(!created.is_empty());
    let id = created[0].body["id"].clone();
    for r in &replies {
        match r.status {
            200 => assert_eq!(r.body["id"], id, "every success is the stored response"),
            409 => assert_eq!(r.error(409).0.as_deref(), Some("idempotency_key_in_use")),
            other => panic!("{other}: {}", r.text),
        }
    }
    assert_eq!(
        created.iter().filter(|r| !replayed(r)).count(),
        1,
        "one ran, the others were replays"
    );
    // Once it is done, every retry replays it.
    let again = post(&api, &m.test_key, "/v1/payments", "order-1", body).await;
    assert!(replayed(&again));
    assert_eq!(again.body["id"], id);
}

#[tokio::test]
async fn twenty_concurrent_identical_refunds_make_one() {
    let api = TestApi::spawn().await;
    let m = api.merchant("Refunds").await;
    let pay = api.captured_payment(&m, Mode::Test, 200).await;
    let body = json!({"payment_id": pay, "amount": 10});
    let replies =
        futures::future::join_all((0..20).map(|_| post(&api, &m.test_key, "/v1/refunds", "refund-1", body.clone())))
            .await;
    let ok: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
    assert!(!ok.is_empty());
    assert!(ok.iter().all(|r| r.body["id"] == ok[0].body["id"]));
    assert!(replies
        .iter()
        .all(|r| r.status == 200 || r.error(409).0.as_deref() == Some("idempotency_key_in_use")));
    let payment = api.get(&m.test_key, &format!("/v1/payments/{pay}")).await;
    assert_eq!(payment.body["amount_refunded"], 10, "refunded once");
    let list = api.get(&m.test_key, &format!("/v1/refunds?payment_id={pay}")).await;
    assert_eq!(list.body["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn replays_successes_and_endpoint_errors_but_not_validation_failures() {
    let api = TestApi::spawn().await;
    let m = api.merchant("Replay").await;

    let first = post(&api, &m.test_key, "/v1/customers", "cus-1", json!({"name": "Jenny"})).await;
    assert_eq!(first.status, 200);
    assert!(!replayed(&first));
    // Same parameters, other formatting: the same request.
    let again = Reply::from(
        api.http
            .post(api.url("/v1/customers"))
            .bearer_auth(&m.test_key)
            .header("Idempotency-Key", "cus-1")
            .header("Content-Type", "application/json")
            .body("{ \"name\" :\n \"Jenny\" }")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(replayed(&again));
    assert_eq!(again.text, first.text, "byte for byte");
    assert_ne!(
        again.headers["request-id"], first.headers["request-id"],
        "a new request id all the same"
    );

    // An error the endpoint answered after it began is recorded too: a
    // refund of an uncaptured payment stays refused for this key.
    let pending = api
        .post(&m.test_key, "/v1/payments", json!({"amount": 1000, "currency": "usd"}))
        .await;
    let pending_id = pending.body["id"].as_str().unwrap().to_owned();
    let refused = post(
        &api,
        &m.test_key,
        "/v1/refunds",
        "re-1",
        json!({"payment_id": pending_id}),
    )
    .await;
    assert_eq!(refused.error(400).0.as_deref(), Some("payment_unexpected_state"));
    let replay = post(
        &api,
        &m.test_key,
        "/v1/refunds",
        "re-1",
        json!({"payment_id": pending_id}),
    )
    .await;
    assert!(replayed(&replay));
    assert_eq!(replay.status, 400);
    assert_eq!(replay.text, refused.text);

    // Validation failures are not recorded: fix the request, keep the key.
    let invalid = post(&api, &m.test_key, "/v1/payments", "pay-1", json!({"currency": "usd"})).await;
    assert_eq!(invalid.error(400).1.as_deref(), Some("amount"));
    let fixed = post(
        &api,
        &m.test_key,
        "/v1/payments",
        "pay-1",
        json!({"amount": 500, "currency": "usd"}),
    )
    .await;
    assert_eq!(fixed.status, 200, "{}", fixed.text);
    assert!(!replayed(&fixed));
}

#[tokio::test]
async fn a_key_belongs_to_one_request() {
    let api = TestApi::spawn().await;
    let a = api.merchant("A").await;
    let b = api.merchant("B").await;
    let first = post(
        &api,
        &a.test_key,
        "/v1/payments",
        "k",
        json!({"amount": 100, "currency": "usd"}),
    )
    .await;
    assert_eq!(first.status, 200);

    let other_params = post(
        &api,
        &a.test_key,
        "/v1/payments",
        "k",
        json!({"amount": 200, "currency": "usd"}),
    )
    .await;
    assert_eq!(other_params.error(400).0.as_deref(), Some("idempotency_key_reused"));
    assert_eq!(other_params.body["error"]["type"], "idempotency_error");
    let other_endpoint = post(&api, &a.test_key, "/v1/customers", "k", json!({})).await;
    assert_eq!(other_endpoint.body["error"]["type"], "idempotency_error");
    assert_eq!(payment_count(&api, &a.test_key).await, 1, "nothing ran");
    assert!(api.get(&a.test_key, "/v1/customers").await.body["data"]
        .as_array()
        .unwrap()
        .is_empty());

    // Keys are per account and mode: the same string elsewhere is another key.
    let b_pay = post(
        &api,
        &b.test_key,
        "/v1/payments",
        "k",
        json!({"amount": 100, "currency": "usd"}),
    )
    .await;
    let live = post(
        &api,
        &a.live_key,
        "/v1/payments",
        "k",
        json!({"amount": 100, "currency": "usd"}),
    )
    .await;
    for r in [&b_pay, &live] {
        assert_eq!(r.status, 200);
        assert!(!replayed(r));
        assert_ne!(r.body["id"], first.body["id"]);
    }

    // A browser with the publishable key cannot take a key the server uses.
    let card = json!({"card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}});
    let from_browser = post(&api, &a.test_publishable_key, "/v1/payment_methods", "shared-key", card).await;
    assert_eq!(from_browser.status, 200, "{}", from_browser.text);
    let from_server = post(
        &api,
        &a.test_key,
        "/v1/payments",
        "shared-key",
        json!({"amount": 100, "currency": "usd"}),
    )
    .await;
    assert_eq!(from_server.status, 200, "separate key spaces: {}", from_server.text);

    for bad in ["", &"k".repeat(256)] {
        let r = post(
            &api,
            &a.test_key,
            "/v1/payments",
            bad,
            json!({"amount": 100, "currency": "usd"}),
        )
        .await;
        assert_eq!(r.error(400).0.as_deref(), Some("idempotency_key_invalid"), "{bad:?}");
    }
}

fn record(key: &str, state: IdempotencyState, created: i64, lock_expires_at: i64) -> IdempotencyRecord {
    IdempotencyRecord {
        // The API's key space for requests made with a secret key.
        key_hash: key_hash(&format!("secret:{key}")),
        fingerprint: "some other request".into(),
        endpoint: "POST /v1/payments".into(),
        state,
        token: "someone-else".into(),
        created,
        expires_at: created + 24 * 3600,
        lock_expires_at,
        status_code: (state == IdempotencyState::Completed).then_some(200),
        body: (state == IdempotencyState::Completed).then(|| "{}".into()),
    }
}

#[tokio::test]
async fn expired_records_and_abandoned_claims_free_the_key() {
    let api = TestApi::spawn().await;
    let m = api.merchant("Expiry").await;
    let t = tenant(&m);
    let now = paynectra::service::now_unix();
    let store = &api.app.store;
    let body = json!({"amount": 100, "currency": "usd"});

    // A completed record older than 24 h (TTL has not deleted it yet): expired.
    let old = record(
        "old",
        IdempotencyState::Completed,
        now - 25 * 3600,
        now - 25 * 3600 + 30,
    );
    assert!(store
        .claim_idempotency_key(&t, &old, now - 25 * 3600)
        .await
        .unwrap()
        .is_none());
    let r = post(&api, &m.test_key, "/v1/payments", "old", body.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!replayed(&r), "ran anew");

    // A claim whose function is still running holds the key...
    let live = IdempotencyRecord {
        fingerprint: fingerprint("POST", "/v1/payments", body.to_string().as_bytes()),
        ..record("busy", IdempotencyState::InFlight, now, now + 30)
    };
    assert!(store.claim_idempotency_key(&t, &live, now).await.unwrap().is_none());
    let r = post(&api, &m.test_key, "/v1/payments", "busy", body.clone()).await;
    assert_eq!(r.error(409).0.as_deref(), Some("idempotency_key_in_use"));

    // ...but one left by a function that died frees it once its lock expires.
    let dead = record("dead", IdempotencyState::InFlight, now - 60, now - 30);
    assert!(store
        .claim_idempotency_key(&t, &dead, now - 60)
        .await
        .unwrap()
        .is_none());
    let r = post(&api, &m.test_key, "/v1/payments", "dead", body.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let replay = post(&api, &m.test_key, "/v1/payments", "dead", body).await;
    assert!(replayed(&replay));
    assert_eq!(replay.body["id"], r.body["id"]);
}

#[tokio::test]
async fn without_a_key_nothing_is_recorded() {
    let api = TestApi::spawn().await;
    let m = api.merchant("No key").await;
    let before = api.item_count().await;
    let r = api
        .post(&m.test_key, "/v1/payments", json!({"amount": 100, "currency": "usd"}))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        api.item_count().await,
        before + 2,
        "the payment and its event, nothing else"
    );
    let r = post(
        &api,
        &m.test_key,
        "/v1/payments",
        "with-key",
        json!({"amount": 100, "currency": "usd"}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        api.item_count().await,
        before + 5,
        "the payment, its event and its idempotency record"
    );
}
