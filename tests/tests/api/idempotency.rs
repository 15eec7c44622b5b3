//! Idempotency-Key over HTTP: a retried POST never charges or refunds twice.

use paynectra::{
    domain::Mode,
    http::idempotency::{fingerprint, key_hash},
    store::{IdempotencyRecord, IdempotencyState},
};
use paynectra_tests::{Reply, TestApi};
use reqwest::Method;
use serde_json::json;

use crate::helpers::usd;

async fn payment_count(api: &TestApi, key: &str) -> usize {
    api.list_payments(key, "limit=100").await.data().len()
}

#[tokio::test]
async fn twenty_concurrent_identical_payments_make_one() {
    let (api, [m]) = TestApi::with_merchants(["Concurrent"]).await;
    let body = usd(4999);
    let replies = futures::future::join_all(
        (0..20).map(|_| api.post_idempotent(&m.test_key, "/v1/payments", "order-1", body.clone())),
    )
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
        created.iter().filter(|r| !r.replayed()).count(),
        1,
        "one ran, the others were replays"
    );
    // Once it is done, every retry replays it.
    let again = api.post_idempotent(&m.test_key, "/v1/payments", "order-1", body).await;
    assert!(again.replayed());
    assert_eq!(again.body["id"], id);
}

#[tokio::test]
async fn twenty_concurrent_identical_refunds_make_one() {
    let (api, [m]) = TestApi::with_merchants(["Refunds"]).await;
    let pay = api.captured_payment(&m, Mode::Test, 200).await;
    let body = json!({"payment_id": pay, "amount": 10});
    let replies = futures::future::join_all(
        (0..20).map(|_| api.post_idempotent(&m.test_key, "/v1/refunds", "refund-1", body.clone())),
    )
    .await;
    let ok: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
    assert!(!ok.is_empty());
    assert!(ok.iter().all(|r| r.body["id"] == ok[0].body["id"]));
    assert!(replies
        .iter()
        .all(|r| r.status == 200 || r.error(409).0.as_deref() == Some("idempotency_key_in_use")));
    let payment = api.get_payment(&m.test_key, &pay).await;
    assert_eq!(payment.body["amount_refunded"], 10, "refunded once");
    let list = api.list_refunds(&m.test_key, &format!("payment_id={pay}")).await;
    assert_eq!(list.data().len(), 1);
}

#[tokio::test]
async fn replays_successes_and_endpoint_errors_but_not_validation_failures() {
    let (api, [m]) = TestApi::with_merchants(["Replay"]).await;

    let first = api
        .post_idempotent(&m.test_key, "/v1/customers", "cus-1", json!({"name": "Jenny"}))
        .await;
    assert_eq!(first.status, 200);
    assert!(!first.replayed());
    // Same parameters, other formatting: the same request.
    let again = api
        .send(
            api.request(Method::POST, &m.test_key, "/v1/customers")
                .header("Idempotency-Key", "cus-1")
                .header("Content-Type", "application/json")
                .body("{ \"name\" :\n \"Jenny\" }"),
        )
        .await;
    assert!(again.replayed());
    assert_eq!(again.text, first.text, "byte for byte");
    assert_ne!(
        again.headers["request-id"], first.headers["request-id"],
        "a new request id all the same"
    );

    // An error the endpoint answered after it began is recorded too: a
    // refund of an uncaptured payment stays refused for this key.
    let pending_id = api.create_payment(&m.test_key, usd(1000)).await.id();
    let refund = json!({"payment_id": pending_id});
    let refused = api
        .post_idempotent(&m.test_key, "/v1/refunds", "re-1", refund.clone())
        .await;
    assert_eq!(refused.error(400).0.as_deref(), Some("payment_unexpected_state"));
    let replay = api.post_idempotent(&m.test_key, "/v1/refunds", "re-1", refund).await;
    assert!(replay.replayed());
    assert_eq!(replay.status, 400);
    assert_eq!(replay.text, refused.text);

    // Validation failures are not recorded: fix the request, keep the key.
    let invalid = api
        .post_idempotent(&m.test_key, "/v1/payments", "pay-1", json!({"currency": "usd"}))
        .await;
    assert_eq!(invalid.error(400).1.as_deref(), Some("amount"));
    let fixed = api
        .post_idempotent(&m.test_key, "/v1/payments", "pay-1", usd(500))
        .await;
    assert_eq!(fixed.status, 200, "{}", fixed.text);
    assert!(!fixed.replayed());
}

#[tokio::test]
async fn a_key_belongs_to_one_request() {
    let (api, [a, b]) = TestApi::with_merchants(["A", "B"]).await;
    let pay = |key, idem, body| api.post_idempotent(key, "/v1/payments", idem, body);
    let first = pay(&a.test_key, "k", usd(100)).await;
    assert_eq!(first.status, 200);

    let other_params = pay(&a.test_key, "k", usd(200)).await;
    assert_eq!(other_params.error(400).0.as_deref(), Some("idempotency_key_reused"));
    assert_eq!(other_params.body["error"]["type"], "idempotency_error");
    let other_endpoint = api.post_idempotent(&a.test_key, "/v1/customers", "k", json!({})).await;
    assert_eq!(other_endpoint.body["error"]["type"], "idempotency_error");
    assert_eq!(payment_count(&api, &a.test_key).await, 1, "nothing ran");
    assert!(api.list_customers(&a.test_key, "").await.data().is_empty());

    // Keys are per account and mode: the same string elsewhere is another key.
    let b_pay = pay(&b.test_key, "k", usd(100)).await;
    let live = pay(&a.live_key, "k", usd(100)).await;
    for r in [&b_pay, &live] {
        assert_eq!(r.status, 200);
        assert!(!r.replayed());
        assert_ne!(r.body["id"], first.body["id"]);
    }

    // A browser with the publishable key cannot take a key the server uses.
    let card = json!({"card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}});
    let from_browser = api
        .post_idempotent(&a.test_publishable_key, "/v1/payment_methods", "shared-key", card)
        .await;
    assert_eq!(from_browser.status, 200, "{}", from_browser.text);
    let from_server = pay(&a.test_key, "shared-key", usd(100)).await;
    assert_eq!(from_server.status, 200, "separate key spaces: {}", from_server.text);

    for bad in ["", &"k".repeat(256)] {
        let r = pay(&a.test_key, bad, usd(100)).await;
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
    let (api, [m]) = TestApi::with_merchants(["Expiry"]).await;
    let t = &m.tenant(Mode::Test);
    let now = paynectra::service::now_unix();
    let store = &api.app.store;
    let body = usd(100);
    // Stores another request's record as of `at` (the key was free).
    let claimed = |record: IdempotencyRecord, at: i64| async move {
        assert!(store.claim_idempotency_key(t, &record, at).await.unwrap().is_none());
    };
    let pay = |key| api.post_idempotent(&m.test_key, "/v1/payments", key, body.clone());

    // A completed record older than 24 h (TTL has not deleted it yet): expired.
    let created = now - 25 * 3600;
    claimed(
        record("old", IdempotencyState::Completed, created, created + 30),
        created,
    )
    .await;
    let r = pay("old").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!r.replayed(), "ran anew");

    // A claim whose function is still running holds the key...
    let live = IdempotencyRecord {
        fingerprint: fingerprint(
            api.app.request_fingerprint_key().unwrap(),
            "POST",
            "/v1/payments",
            body.to_string().as_bytes(),
        ),
        ..record("busy", IdempotencyState::InFlight, now, now + 30)
    };
    claimed(live, now).await;
    let r = pay("busy").await;
    assert_eq!(r.error(409).0.as_deref(), Some("idempotency_key_in_use"));

    // ...but one left by a function that died frees it once its lock expires.
    claimed(record("dead", IdempotencyState::InFlight, now - 60, now - 30), now - 60).await;
    let r = pay("dead").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let replay = pay("dead").await;
    assert!(replay.replayed());
    assert_eq!(replay.body["id"], r.body["id"]);
}

#[tokio::test]
async fn without_a_key_nothing_is_recorded() {
    let (api, [m]) = TestApi::with_merchants(["No key"]).await;
    let body = usd(100);
    let before = api.item_count().await;
    let r = api.create_payment(&m.test_key, body.clone()).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        api.item_count().await,
        before + 4,
        "the payment and its event (head, body and the payment's timeline entry), nothing else"
    );
    let r = api.post_idempotent(&m.test_key, "/v1/payments", "with-key", body).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        api.item_count().await,
        before + 9,
        "the payment, its event (head, body, timeline entry) and its idempotency record"
    );
}
