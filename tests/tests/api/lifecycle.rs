//! The payment lifecycle over HTTP: test cards, confirm, capture, cancel,
//! holds that expire, publishable keys, test payment method aliases, and
//! races.

use paynectra::domain::{Mode, PaymentId};
use paynectra_tests::{Reply, TestApi};
use serde_json::json;

use crate::helpers::{usd, usd_held};

#[tokio::test]
async fn every_test_card_has_its_outcome() {
    let (api, [m]) = TestApi::with_merchants(["Cards"]).await;
    for (number, what) in paynectra::domain::card::TEST_CARDS {
        let method = api.create_card(&m.test_publishable_key, number).await;
        assert_eq!(method.status, 200, "{number}: {}", method.text);
        let c = &method.body["card"];
        assert_eq!(c["last4"], &number[number.len() - 4..]);
        assert!(
            !method.text.contains(&number[..number.len() - 4]),
            "the number is never shown"
        );
        assert_eq!(method.body["object"], "payment_method");
        let pay = api.new_payment(&m.test_key, usd(2000)).await;
        let r = api.confirm(&m.test_key, &pay, &method.id()).await;
        let read = api.get_payment(&m.test_key, &pay).await;
        if what.starts_with("succeeds") {
            assert_eq!(r.status, 200, "{number}: {}", r.text);
            assert_eq!(r.body["status"], "succeeded");
            assert_eq!(r.body["amount_received"], 2000);
            assert_eq!(read.body["status"], "succeeded");
        } else {
            assert_eq!(r.status, 402, "{number}: {}", r.text);
            let e = &r.body["error"];
            assert_eq!(e["type"], "card_error");
            let expected: Vec<&str> = what.trim_start_matches("declined: ").split(" / ").collect();
            assert_eq!(
                (e["code"].as_str().unwrap(), e["decline_code"].as_str().unwrap()),
                (expected[0], expected[1]),
                "{number}"
            );
            assert_eq!(read.body["status"], "failed");
            assert_eq!(read.body["last_payment_error"]["decline_code"], expected[1]);
            // Another try with a good card succeeds.
            let ok = api.new_card(&m.test_key, "4242424242424242").await;
            let retry = api.confirm(&m.test_key, &pay, &ok).await;
            assert_eq!(retry.body["status"], "succeeded", "{}", retry.text);
            assert!(retry.body["last_payment_error"].is_null());
        }
    }
    // A real-looking card that is not a test card is declined in test mode.
    let real = api.new_card(&m.test_key, "4111111111111111").await;
    let pay = api.new_payment(&m.test_key, usd(2000)).await;
    assert_eq!(
        api.confirm(&m.test_key, &pay, &real).await.body["error"]["decline_code"],
        "test_mode_live_card"
    );
}

#[tokio::test]
async fn manual_capture_partial_capture_and_refunds_of_what_was_captured() {
    let (api, [m]) = TestApi::with_merchants(["Manual"]).await;
    let method = api.new_card(&m.test_key, "5555555555554444").await;
    let pay = api.new_payment(&m.test_key, usd_held(1000)).await;
    let held = api.confirm(&m.test_key, &pay, &method).await;
    assert_eq!(held.body["status"], "requires_capture", "{}", held.text);
    assert_eq!(held.body["amount_capturable"], 1000);
    assert!(held.body["capture_before"].as_i64().unwrap() > paynectra::service::now_unix() + 6 * 86_400);
    let listed = api.list_payments(&m.test_key, "status=requires_capture").await;
    assert_eq!(listed.body["data"][0]["id"], pay.as_str());

    // No refund before capture; not more than capturable.
    let r = api.refund(&m.test_key, json!({"payment_id": pay})).await;
    assert_eq!(r.error(400).0.as_deref(), Some("payment_unexpected_state"));
    let r = api.capture(&m.test_key, &pay, json!({"amount_to_capture": 1001})).await;
    assert_eq!(r.error(400).1.as_deref(), Some("amount_to_capture"));
    let captured = api.capture(&m.test_key, &pay, json!({"amount_to_capture": 600})).await;
    assert_eq!(captured.status, 200, "{}", captured.text);
    let c = &captured.body;
    assert_eq!(
        (
            c["status"].as_str(),
            c["amount_received"].as_i64(),
            c["amount_capturable"].as_i64()
        ),
        (Some("succeeded"), Some(600), Some(0))
    );
    let again = api.capture(&m.test_key, &pay, json!({})).await;
    assert_eq!(again.error(400).0.as_deref(), Some("payment_unexpected_state"));

    // Refunds apply to the captured 600 only.
    let too_much = api.refund(&m.test_key, json!({"payment_id": pay, "amount": 601})).await;
    assert_eq!(too_much.error(400).0.as_deref(), Some("amount_too_large"));
    let all = api.refund(&m.test_key, json!({"payment_id": pay})).await;
    assert_eq!(all.body["amount"], 600);
    assert_eq!(api.get_payment(&m.test_key, &pay).await.body["refunded"], true);
}

#[tokio::test]
async fn cancel_and_wrong_states() {
    let (api, [m]) = TestApi::with_merchants(["Cancel"]).await;
    let method = api.new_card(&m.test_key, "4242424242424242").await;
    let pending = api.new_payment(&m.test_key, usd(1000)).await;
    let r = api
        .cancel(&m.test_key, &pending, json!({"cancellation_reason": "abandoned"}))
        .await;
    assert_eq!(
        (r.body["status"].as_str(), r.body["cancellation_reason"].as_str()),
        (Some("cancelled"), Some("abandoned")),
        "{}",
        r.text
    );
    for (path, body) in [
        ("cancel", json!({})),
        ("confirm", json!({"payment_method": method})),
        ("capture", json!({})),
    ] {
        let r = api
            .post(&m.test_key, &format!("/v1/payments/{pending}/{path}"), body)
            .await;
        assert_eq!(
            r.error(400).0.as_deref(),
            Some("payment_unexpected_state"),
            "{path} a cancelled payment"
        );
    }
    let held = api.new_payment(&m.test_key, usd_held(1000)).await;
    // A card attached to nobody pays one payment: each payment here gets its own.
    api.confirm(&m.test_key, &held, "pm_card_visa").await;
    let r = api.cancel(&m.test_key, &held, json!({})).await;
    assert_eq!(
        (r.body["status"].as_str(), r.body["amount_capturable"].as_i64()),
        (Some("cancelled"), Some(0))
    );
    let done = api.new_payment(&m.test_key, usd(1000)).await;
    let fresh = api.new_card(&m.test_key, "4242424242424242").await;
    api.confirm(&m.test_key, &done, &fresh).await;
    let r = api.confirm(&m.test_key, &done, &fresh).await;
    assert_eq!(
        r.error(400).0.as_deref(),
        Some("payment_unexpected_state"),
        "confirming twice"
    );
    let r = api.cancel(&m.test_key, &done, json!({})).await;
    assert_eq!(r.error(400).0.as_deref(), Some("payment_unexpected_state"));

    for (body, param) in [
        (json!({"cancellation_reason": "bored"}), "cancellation_reason"),
        (json!({"reason": "duplicate"}), "reason"),
    ] {
        let r = api.cancel(&m.test_key, &held, body).await;
        assert_eq!(r.error(400).1.as_deref(), Some(param));
    }
    for (body, status, code) in [
        (json!({}), 400, "parameter_missing"),
        (json!({"payment_method": "card_123"}), 400, "resource_missing"),
        (
            json!({"payment_method": "pm_00000000000000000000000000000000"}),
            404,
            "resource_missing",
        ),
    ] {
        let p = api.new_payment(&m.test_key, usd(1000)).await;
        let r = api.confirm_with(&m.test_key, &p, body.clone()).await;
        assert_eq!(
            r.error(status),
            (Some(code.into()), Some("payment_method".into())),
            "{body}"
        );
    }
    let r = api
        .capture(&m.test_key, "pay_00000000000000000000000000000000", json!({}))
        .await;
    assert_eq!(r.error(404).0.as_deref(), Some("resource_missing"));
}

#[tokio::test]
async fn publishable_keys_tokenise_and_confirm_with_the_client_secret_only() {
    let (api, [m, other]) = TestApi::with_merchants(["Browser", "Other"]).await;
    let pk = &m.test_publishable_key;
    let method = api.new_card(pk, "4242424242424242").await;
    let eur = json!({"amount": 1500, "currency": "eur"});
    let created = api.create_payment(&m.test_key, eur.clone()).await.ok();
    let pay = created.id();
    let secret = created.body["client_secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with(&format!("{pay}_secret_")));
    let listed = api.list_payments(&m.test_key, "").await;
    assert!(listed.body["data"][0].get("client_secret").is_none(), "never listed");

    // Nothing else works with a publishable key.
    for r in [
        api.get_payment(pk, &pay).await,
        api.create_payment(pk, eur.clone()).await,
        api.list_customers(pk, "").await,
        api.capture(pk, &pay, json!({})).await,
    ] {
        assert_eq!(r.error(403).0.as_deref(), Some("secret_key_required"));
    }
    let r = api.confirm(pk, &pay, &method).await;
    assert_eq!(r.error(400).1.as_deref(), Some("client_secret"));
    let with_secret = |secret: &str| json!({"payment_method": method, "client_secret": secret});
    let r = api
        .confirm_with(pk, &pay, with_secret(&format!("{pay}_secret_wrong")))
        .await;
    assert_eq!(r.error(404).0.as_deref(), Some("resource_missing"));
    // With a wrong secret, an existing payment method and a made-up one get
    // the same answer: the publishable key cannot probe which pm_ ids exist.
    let probe = |pm: &str| json!({"payment_method": pm, "client_secret": format!("{pay}_secret_wrong")});
    let known = api.confirm_with(pk, &pay, probe(&method)).await;
    let unknown = api.confirm_with(pk, &pay, probe("pm_0000000000000000000000000")).await;
    assert_eq!((known.status, unknown.status), (404, 404));
    assert_eq!(known.error(404).1, unknown.error(404).1, "both about the payment");
    assert_eq!(known.body["error"]["message"], unknown.body["error"]["message"]);
    let r = api
        .confirm_with(&other.test_publishable_key, &pay, with_secret(&secret))
        .await;
    assert_eq!(r.status, 404, "another account's publishable key: {}", r.text);
    let r = api.confirm_with(pk, &pay, with_secret(&secret)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "succeeded");
    for hidden in ["metadata", "description", "customer_id", "return_url"] {
        assert!(r.body.get(hidden).is_none(), "a browser does not see {hidden}");
    }

    // Live mode has no network: a clear refusal, nothing faked.
    let live_pm = api.create_card(&m.live_publishable_key, "4242424242424242").await;
    let live_pay = api.new_payment(&m.live_key, eur).await;
    let r = api.confirm(&m.live_key, &live_pay, &live_pm.id()).await;
    assert_eq!(r.error(400).0.as_deref(), Some("livemode_unsupported"));
    assert_eq!(api.get_payment(&m.live_key, &live_pay).await.body["status"], "pending");
}

#[tokio::test]
async fn racing_transitions_have_one_winner() {
    let (api, [m]) = TestApi::with_merchants(["Races"]).await;
    let method = api.new_card(&m.test_key, "4242424242424242").await;

    let pay = api.new_payment(&m.test_key, usd(1000)).await;
    let replies = futures::future::join_all((0..10).map(|_| api.confirm(&m.test_key, &pay, &method))).await;
    assert_eq!(
        replies.iter().filter(|r| r.status == 200).count(),
        1,
        "one confirmation wins"
    );
    assert!(replies.iter().all(|r| r.status == 200 || matches!(r.status, 400 | 409)));

    let held = api.new_payment(&m.test_key, usd_held(1000)).await;
    api.confirm(&m.test_key, &held, &method).await;
    let (api, key, held) = (&api, &m.test_key, &held);
    let replies = futures::future::join_all((0..20).map(|i| async move {
        if i % 2 == 0 {
            api.capture(key, held, json!({})).await
        } else {
            api.cancel(key, held, json!({})).await
        }
    }))
    .await;
    let winners: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
    assert_eq!(winners.len(), 1, "capture or cancel, not both");
    let fin = api.get_payment(key, held).await;
    assert_eq!(fin.body["status"], winners[0].body["status"]);
}

#[tokio::test]
async fn holds_expire_after_seven_days() {
    let (api, [m]) = TestApi::with_merchants(["Holds"]).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let p = api.new_payment(&m.test_key, usd_held(1000)).await;
        api.confirm(&m.test_key, &p, "pm_card_visa").await;
        held.push(p);
    }
    // One is captured before the sweep: the sweep leaves it alone.
    api.capture(&m.test_key, &held[2], json!({})).await;
    let now = paynectra::service::now_unix();
    let early = paynectra_functions::payments::expire_holds(api.app, now + 6 * 86_400)
        .await
        .unwrap();
    assert_eq!(early["cancelled"], 0);
    let later = now + 7 * 86_400 + 60;
    // The first is cancelled lazily, when read after its time.
    let id: PaymentId = held[0].parse().unwrap();
    let read = paynectra::service::payments::load_payment(api.app, &m.tenant(Mode::Test), &id, later)
        .await
        .unwrap();
    assert_eq!(read.status, paynectra::domain::PaymentStatus::Cancelled);
    // The sweep cancels the other one.
    let swept = paynectra_functions::payments::expire_holds(api.app, later)
        .await
        .unwrap();
    assert_eq!(swept["cancelled"], 1, "{swept}");
    for (p, status) in [
        (&held[0], "cancelled"),
        (&held[1], "cancelled"),
        (&held[2], "succeeded"),
    ] {
        let r = api.get_payment(&m.test_key, p).await;
        assert_eq!(r.body["status"], status);
        if status == "cancelled" {
            assert_eq!(r.body["cancellation_reason"], "automatic");
        }
    }
}

#[tokio::test]
async fn confirm_is_idempotent() {
    let (api, [m]) = TestApi::with_merchants(["Idem"]).await;
    let method = api.new_card(&m.test_key, "4000000000009995").await;
    let pay = api.new_payment(&m.test_key, usd(1000)).await;
    let path = format!("/v1/payments/{pay}/confirm");
    let send = || api.post_idempotent(&m.test_key, &path, "confirm-1", json!({"payment_method": method}));
    let first = send().await;
    assert_eq!(first.status, 402, "{}", first.text);
    let again = send().await;
    assert_eq!(
        (again.status, again.text.as_str()),
        (402, first.text.as_str()),
        "the decline is replayed"
    );
    assert!(again.headers.contains_key("idempotent-replayed"));
}

#[tokio::test]
async fn test_payment_method_aliases() {
    let (api, [m, other]) = TestApi::with_merchants(["Aliases", "Other"]).await;

    // pm_card_visa: a fresh, ordinary payment method of this account, then confirmed.
    let pay = api.new_payment(&m.test_key, usd(2000)).await;
    let r = api.confirm(&m.test_key, &pay, "pm_card_visa").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "succeeded");
    let created = r.body["payment_method"].as_str().unwrap().to_owned();
    assert!(
        created.starts_with("pm_") && !created.starts_with("pm_card_"),
        "{created}"
    );
    let read = api.get_payment(&m.test_key, &pay).await;
    assert_eq!(read.body["payment_method"], created.as_str());
    // It is stored, and single-use as any card attached to nobody: it
    // cannot be attached now. One made for the customer's own payment can.
    let cus = api.new_customer(&m.test_key, json!({})).await;
    let r = api.attach(&m.test_key, &cus, &created).await;
    assert_eq!(r.error(400).0.as_deref(), Some("payment_method_unexpected_state"));
    let theirs = api
        .new_payment(
            &m.test_key,
            json!({"amount": 2000, "currency": "usd", "customer_id": cus}),
        )
        .await;
    let r = api.confirm(&m.test_key, &theirs, "pm_card_visa").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let created = r.body["payment_method"].as_str().unwrap().to_owned();
    let attached = api.attach(&m.test_key, &cus, &created).await;
    assert_eq!(attached.status, 200, "{}", attached.text);
    let c = &attached.body["card"];
    assert_eq!((c["brand"].as_str(), c["last4"].as_str()), (Some("visa"), Some("4242")));
    assert!(
        c["exp_year"].as_i64().unwrap() >= 2035,
        "far-future expiry: {}",
        attached.text
    );
    let list = api.list_payment_methods(&m.test_key, &cus).await;
    assert_eq!(list.body["data"][0]["id"], created.as_str());
    // Another account does not see it.
    let their_cus = api.new_customer(&other.test_key, json!({})).await;
    let r = api.attach(&other.test_key, &their_cus, &created).await;
    assert_eq!(r.error(404).1.as_deref(), Some("payment_method"));

    // Each use is a new payment method; manual capture holds.
    let held = api.new_payment(&m.test_key, usd_held(1000)).await;
    let r = api.confirm(&m.test_key, &held, "pm_card_mastercard").await;
    assert_eq!(r.body["status"], "requires_capture", "{}", r.text);
    let second = r.body["payment_method"].as_str().unwrap();
    assert!(second.starts_with("pm_") && second != created, "{second}");

    // pm_card_chargeDeclined: the test card's decline.
    let declined = api.new_payment(&m.test_key, usd(2000)).await;
    let r = api.confirm(&m.test_key, &declined, "pm_card_chargeDeclined").await;
    assert_eq!(r.status, 402, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "card_declined");
    assert_eq!(r.body["error"]["decline_code"], "generic_decline");
    let r = api
        .confirm(&m.test_key, &declined, "pm_card_chargeDeclinedInsufficientFunds")
        .await;
    assert_eq!(r.body["error"]["decline_code"], "insufficient_funds", "{}", r.text);

    // A browser confirms with an alias too (test mode, with the client secret).
    let created_pay = api
        .create_payment(&m.test_key, json!({"amount": 500, "currency": "eur"}))
        .await
        .ok();
    let browser = created_pay.id();
    let secret = created_pay.body["client_secret"].as_str().unwrap();
    let r = api
        .confirm_with(
            &m.test_publishable_key,
            &browser,
            json!({"payment_method": "pm_card_amex", "client_secret": secret}),
        )
        .await;
    assert_eq!(r.body["status"], "succeeded", "{}", r.text);

    // An unknown alias is no payment method (400 like any malformed id).
    let pay2 = api.new_payment(&m.test_key, usd(2000)).await;
    let r = api.confirm(&m.test_key, &pay2, "pm_card_nope").await;
    assert_eq!(
        r.error(400),
        (Some("resource_missing".into()), Some("payment_method".into()))
    );

    // Live mode: an alias is an unknown id, and nothing is written.
    let live_pay = api
        .new_payment(&m.live_key, json!({"amount": 1500, "currency": "eur"}))
        .await;
    let items = api.item_count().await;
    let r = api.confirm(&m.live_key, &live_pay, "pm_card_visa").await;
    assert_eq!(
        r.error(404),
        (Some("resource_missing".into()), Some("payment_method".into()))
    );
    assert_eq!(api.item_count().await, items, "a live alias writes nothing");
    assert_eq!(api.get_payment(&m.live_key, &live_pay).await.body["status"], "pending");

    // A confirmation that cannot run stores no payment method for its
    // alias: an unknown payment, another account's, or one confirmed already.
    let others = api.new_payment(&other.test_key, usd(1500)).await;
    let items = api.item_count().await;
    let r = api.confirm(&m.test_key, "pay_doesnotexist000", "pm_card_visa").await;
    assert_eq!(r.error(404).0.as_deref(), Some("resource_missing"));
    let r = api.confirm(&m.test_key, &others, "pm_card_visa").await;
    assert_eq!(r.error(404).0.as_deref(), Some("resource_missing"));
    let r = api.confirm(&m.test_key, &pay, "pm_card_visa").await;
    assert_eq!(r.error(400).0.as_deref(), Some("payment_unexpected_state"));
    assert_eq!(
        api.item_count().await,
        items,
        "refused alias confirmations write nothing"
    );
}
