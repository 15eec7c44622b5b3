//! Payment methods over HTTP: card validation, and a customer's saved
//! cards (attach, list, detach, and paying with them).

use paynectra_tests::TestApi;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

#[tokio::test]
async fn card_validation() {
    let (api, [m]) = TestApi::with_merchants(["Validation"]).await;
    let items = api.item_count().await;
    // A valid card, but for `field`.
    let with = |field: &str, value: Value| {
        let mut body = json!({"card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}});
        body["card"][field] = value;
        body
    };
    for (body, code, param) in [
        (
            with("number", json!("4242424242424241")),
            "incorrect_number",
            "card[number]",
        ),
        (with("number", json!("4242")), "incorrect_number", "card[number]"),
        (with("exp_month", json!(13)), "invalid_expiry_month", "card[exp_month]"),
        (
            json!({"card": {"number": "4242424242424242", "exp_month": 1, "exp_year": 2020, "cvc": "123"}}),
            "invalid_expiry_year",
            "card[exp_year]",
        ),
        (with("cvc", json!("12")), "invalid_cvc", "card[cvc]"),
        (with("number", json!("378282246310005")), "invalid_cvc", "card[cvc]"),
        (with("exp_month", json!("12")), "parameter_invalid", "card[exp_month]"),
        (
            json!({"card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034}}),
            "parameter_missing",
            "card[cvc]",
        ),
        (json!({"type": "card"}), "parameter_missing", "card"),
        (json!({"type": "sepa_debit", "card": {}}), "parameter_invalid", "type"),
        (with("name", json!("J")), "parameter_unknown", "card[name]"),
    ] {
        let r = api.create_payment_method(&m.test_key, body.clone()).await;
        assert_eq!(r.error(400), (Some(code.into()), Some(param.into())), "{body}");
    }
    assert_eq!(api.item_count().await, items, "nothing written");
}

#[tokio::test]
async fn a_customers_saved_cards() {
    let (api, [m, other]) = TestApi::with_merchants(["Saved", "Other"]).await;
    let cus = api.new_customer(&m.test_key, json!({})).await;
    let cus2 = api.new_customer(&m.test_key, json!({})).await;
    let a = api.new_card(&m.test_key, "4242424242424242").await;
    let b = api.new_card(&m.test_key, "5555555555554444").await;
    for p in [&a, &b] {
        let r = api.attach(&m.test_key, &cus, p).await;
        assert_eq!(r.body["customer"], cus.as_str(), "{}", r.text);
    }
    let list = api.list_payment_methods(&m.test_key, &cus).await;
    assert_eq!(list.ids(), [b.as_str(), a.as_str()], "newest first");

    // Attached elsewhere, another account's, unknown customer: refused.
    let r = api.attach(&m.test_key, &cus2, &a).await;
    assert_eq!(r.error(400).0.as_deref(), Some("payment_method_unexpected_state"));
    let theirs = api.new_card(&other.test_key, "4242424242424242").await;
    let r = api.attach(&m.test_key, &cus, &theirs).await;
    assert_eq!(r.error(404).1.as_deref(), Some("payment_method"));
    assert_eq!(api.list_payment_methods(&other.test_key, &cus).await.status, 404);
    let c = api.new_card(&m.test_key, "4242424242424242").await;
    let r = api
        .attach(&m.test_key, "cus_00000000000000000000000000000000", &c)
        .await;
    assert_eq!(r.status, 404);

    // A saved card pays only for its customer's payments.
    let for_customer = |cus| json!({"amount": 1000, "currency": "usd", "customer_id": cus});
    let mine = api.new_payment(&m.test_key, for_customer(&cus)).await;
    let theirs_pay = api.new_payment(&m.test_key, for_customer(&cus2)).await;
    assert_eq!(
        api.confirm(&m.test_key, &theirs_pay, &a).await.error(400).1.as_deref(),
        Some("payment_method")
    );
    assert_eq!(api.confirm(&m.test_key, &mine, &a).await.status, 200);

    // Detach.
    let r = api.detach(&m.test_key, &cus, &b).await;
    assert_eq!((r.status, r.body["customer"].is_null()), (200, true), "{}", r.text);
    // The whole method, as the one conditional update left it.
    assert_eq!(
        (r.body["id"].as_str(), r.body["card"]["last4"].as_str()),
        (Some(b.as_str()), Some("4444"))
    );
    assert_eq!(api.detach(&m.test_key, &cus, &b).await.status, 404, "only once");
    assert_eq!(api.list_payment_methods(&m.test_key, &cus).await.ids(), [a]);
}

/// PCI: a card tokenised with an `Idempotency-Key` leaves nothing in the
/// table or its stream from which the number or the CVC can be computed
/// without the deployment's secret: no number, no CVC, no unkeyed hash of
/// either, and no request fingerprint of the old, unkeyed kind (SHA-256 of
/// method, path and body) for any of the thousand CVCs.
#[tokio::test]
async fn card_data_never_reaches_the_table_or_its_stream() {
    let (api, [m]) = TestApi::with_merchants(["Cardholder data"]).await;
    let number = "4000056655665556";
    let cvc = "737";
    let card =
        |cvc: &str| json!({"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": cvc}});
    let r = api
        .post_idempotent(&m.test_key, "/v1/payment_methods", "tokenise-1", card(cvc))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The retry is replayed as documented, and another card under the same key is refused.
    let again = api
        .post_idempotent(&m.test_key, "/v1/payment_methods", "tokenise-1", card(cvc))
        .await;
    assert!(again.replayed());
    assert_eq!(again.body["id"], r.body["id"]);
    let other =
        json!({"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": cvc}});
    let reused = api
        .post_idempotent(&m.test_key, "/v1/payment_methods", "tokenise-1", other)
        .await;
    assert_eq!(reused.error(400).0.as_deref(), Some("idempotency_key_reused"));

    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let sha = |text: &str| hex(&Sha256::digest(text.as_bytes()));
    let mut forbidden = vec![number.to_owned(), sha(number), sha(cvc), sha(&format!("{number}{cvc}"))];
    for c in 0..1000 {
        forbidden.push(sha(&format!("POST /v1/payment_methods\n{}", card(&format!("{c:03}")))));
    }
    let items = api.dump_items().await;
    let stream = api.dump_stream().await;
    assert!(
        items.iter().any(|i| i.contains("idempotency")),
        "the key's record is in the table"
    );
    assert!(!stream.is_empty(), "the stream has the writes");
    for text in items.iter().chain(&stream) {
        for f in &forbidden {
            assert!(!text.contains(f.as_str()), "stored: {f} in {text}");
        }
        // The CVC as a value of its own (a three-digit string attribute).
        assert!(!text.contains(&format!("S(\"{cvc}\")")), "the CVC is stored: {text}");
    }
}

/// As on Stripe: a payment method attached to no customer pays one payment
/// (a retry of that payment after a decline included), and cannot be
/// attached afterwards; a saved one pays its customer's payments, again and
/// again. Ten payments racing for one card: exactly one gets it.
#[tokio::test]
async fn a_card_attached_to_nobody_pays_one_payment() {
    let (api, [m]) = TestApi::with_merchants(["Single use"]).await;
    let key = &m.test_key;
    let usd = || json!({"amount": 1000, "currency": "usd"});
    let card = api.new_card(key, "4242424242424242").await;
    let first = api.new_payment(key, usd()).await;
    assert_eq!(api.confirm(key, &first, &card).await.status, 200);
    let second = api.new_payment(key, usd()).await;
    let r = api.confirm(key, &second, &card).await;
    assert_eq!(r.error(400).0.as_deref(), Some("payment_method_unexpected_state"));
    assert_eq!(r.error(400).1.as_deref(), Some("payment_method"));
    let cus = api.new_customer(key, json!({"name": "Late"})).await;
    let r = api.attach(key, &cus, &card).await;
    assert_eq!(
        r.error(400).0.as_deref(),
        Some("payment_method_unexpected_state"),
        "used, then attached"
    );

    // A declined card may be retried on its own payment, not on another.
    let declined = api.new_card(key, "4000000000009995").await;
    let third = api.new_payment(key, usd()).await;
    assert_eq!(api.confirm(key, &third, &declined).await.status, 402);
    assert_eq!(
        api.confirm(key, &third, &declined).await.status,
        402,
        "the same payment again"
    );
    let fourth = api.new_payment(key, usd()).await;
    assert_eq!(api.confirm(key, &fourth, &declined).await.status, 400);

    // A saved card pays its customer's payments, any number of them.
    let saved = api.new_card(key, "5555555555554444").await;
    assert_eq!(api.attach(key, &cus, &saved).await.status, 200);
    for _ in 0..2 {
        let pay = api
            .new_payment(key, json!({"amount": 1000, "currency": "usd", "customer_id": cus}))
            .await;
        assert_eq!(api.confirm(key, &pay, &saved).await.status, 200);
    }

    // Ten payments confirmed with one fresh card at once: one wins.
    let fresh = api.new_card(key, "4242424242424242").await;
    let mut payments = Vec::new();
    for _ in 0..10 {
        payments.push(api.new_payment(key, usd()).await);
    }
    let replies = futures::future::join_all(payments.iter().map(|p| api.confirm(key, p, &fresh))).await;
    let won = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(won, 1, "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
    for r in replies.iter().filter(|r| r.status != 200) {
        assert!(
            r.status == 400 && r.body["error"]["code"] == "payment_method_unexpected_state",
            "the others are refused: {}",
            r.text
        );
    }
}
