//! The payment lifecycle over HTTP: payment methods, test cards, confirm,
//! capture, cancel, holds that expire, publishable keys, and races.

use paynectra::domain::{Mode, PaymentId, Tenant};
use paynectra_functions::expire_holds;
use paynectra_tests::{Merchant, Reply, TestApi};
use serde_json::{json, Value};

async fn card(api: &TestApi, key: &str, number: &str) -> Reply {
    let cvc = if number.starts_with("37") { "1234" } else { "123" };
    api.post(
        key,
        "/v1/payment_methods",
        json!({"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": cvc}}),
    )
    .await
}

async fn pm(api: &TestApi, m: &Merchant, number: &str) -> String {
    let r = card(api, &m.test_key, number).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn payment(api: &TestApi, key: &str, body: Value) -> (String, Reply) {
    let r = api.post(key, "/v1/payments", body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    (r.body["id"].as_str().unwrap().to_owned(), r)
}

async fn confirm(api: &TestApi, key: &str, pay: &str, pm: &str) -> Reply {
    api.post(
        key,
        &format!("/v1/payments/{pay}/confirm"),
        json!({"payment_method": pm}),
    )
    .await
}

#[tokio::test]
async fn every_test_card_has_its_outcome() {
    let api = TestApi::spawn().await;
    let m = api.merchant("Cards").await;
    for (number, what) in paynectra::domain::card::TEST_CARDS {
        let method = card(&api, &m.test_publishable_key, number).await;
        assert_eq!(method.status, 200, "{number}: {}", method.text);
        let c = &method.body["card"];
        assert_eq!(c["last4"], &number[number.len() - 4..]);
        assert!(
            !method.text.contains(&number[..number.len() - 4]),
            "the number is never shown"
        );
        assert_eq!(method.body["object"], "payment_method");
        let (pay, _) = payment(&api, &m.test_key, json!({"amount": 2000, "currency": "usd"})).await;
        let r = confirm(&api, &m.test_key, &pay, method.body["id"].as_str().unwrap()).await;
        let read = api.get(&m.test_key, &format!("/v1/payments/{pay}")).await;
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
            let ok = pm(&api, &m, "4242424242424242").await;
            let retry = confirm(&api, &m.test_key, &pay, &ok).await;
            assert_eq!(retry.body["status"], "succeeded", "{}", retry.text);
            assert!(retry.body["last_payment_error"].is_null());
        }
    }
    // A real-looking card that is not a test card is declined in test mode.
    let real = pm(&api, &m, "4111111111111111").await;
    let (pay, _) = payment(&api, &m.test_key, json!({"amount": 2000, "currency": "usd"})).await;
    assert_eq!(
        confirm(&api, &m.test_key, &pay, &real).await.body["error"]["decline_code"],
        "test_mode_live_card"
    );
}

#[tokio::test]
async fn manual_capture_partial_capture_and_refunds_of_what_was_captured() {
    let api = TestApi::spawn().await;
    let m = api.merchant("Manual").await;
    let method = pm(&api, &m, "5555555555554444").await;
    let (pay, _) = payment(
        &api,
        &m.test_key,
        json!({"amount": 1000, "currency": "usd", "capture_method": "manual"}),
    )
    .await;
    let held = confirm(&api, &m.test_key, &pay, &method).await;
    assert_eq!(held.body["status"], "requires_capture", "{}", held.text);
    assert_eq!(held.body["amount_capturable"], 1000);
    assert!(held.body["capture_before"].as_i64().unwrap() > paynectra::service::now_unix() + 6 * 86_400);
    let listed = api.get(&m.test_key, "/v1/payments?status=requires_capture").await;
    assert_eq!(listed.body["data"][0]["id"], pay.as_str());

    // No refund before capture; not more than capturable.
    let r = api.post(&m.test_key, "/v1/refunds", json!({"payment_id": pay})).await;
    assert_eq!(r.error(400).0.as_deref(), Some("payment_unexpected_state"));
    let r = api
        .post(
            &m.test_key,
            &format!("/v1/payments/{pay}/capture"),
            json!({"amount_to_capture": 1001}),
        )
        .await;
    assert_eq!(r.error(400).1.as_deref(), Some("amount_to_capture"));
    let captured = api
        .post(
            &m.test_key,
            &format!("/v1/payments/{pay}/capture"),
            json!({"amount_to_capture": 600}),
        )
        .await;
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
    let again = api
        .post(&m.test_key, &format!("/v1/payments/{pay}/capture"), json!({}))
        .await;
    assert_eq!(again.error(400).0.as_deref(), Some("payment_unexpected_state"));

    // Refunds apply to the captured 600 only.
    let too_much = api
        .post(&m.test_key, "/v1/refunds", json!({"payment_id": pay, "amount": 601}))
        .await;
    assert_eq!(too_much.error(400).0.as_deref(), Some("amount_too_large"));
    let all = api.post(&m.test_key, "/v1/refunds", json!({"payment_id": pay})).await;
    assert_eq!(all.body["amount"], 600);
    assert_eq!(
        api.get(&m.test_key, &format!("/v1/payments/{pay}")).await.body["refunded"],
        true
    );
}

#[tokio::test]
async fn cancel_and_wrong_states() {
    let api = TestApi::spawn().await;
    let m = api.merchant("Cancel").await;
    let method = pm(&api, &m, "4242424242424242").await;
    let (pending, _) = payment(&api, &m.test_key, json!({"amount": 1000, "currency": "usd"})).await;
    let r = api
        .post(
            &m.test_key,
            &format!("/v1/payments/{pending}/cancel"),
            json!({"cancellation_reason": "abandoned"}),
        )
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
    let (held, _) = payment(
        &api,
        &m.test_key,
        json!({"amount": 1000, "currency": "usd", "capture_method": "manual"}),
    )
    .await;
    confirm(&api, &m.test_key, &held, &method).await;
    let r = api
        .post(&m.test_key, &format!("/v1/payments/{held}/cancel"), json!({}))
        .await;
    assert_eq!(
        (r.body["status"].as_str(), r.body["amount_capturable"].as_i64()),
        (Some("cancelled"), Some(0))
    );
    let (done, _) = payment(&api, &m.test_key, json!({"amount": 1000, "currency": "usd"})).await;
    confirm(&api, &m.test_key, &done, &method).await;
    let r = confirm(&api, &m.test_key, &done, &method).await;
    assert_eq!(
        r.error(400).0.as_deref(),
        Some("payment_unexpected_state"),
        "confirming twice"
    );
    let r = api
        .post(&m.test_key, &format!("/v1/payments/{done}/cancel"), json!({}))
        .await;
    assert_eq!(r.error(400).0.as_deref(), Some("payment_unexpected_state"));

    for (body, param) in [
        (json!({"cancellation_reason": "bored"}), "cancellation_reason"),
        (json!({"reason": "duplicate"}), "reason"),
    ] {
        let r = api
            .post(&m.test_key, &format!("/v1/payments/{held}/cancel"), body)
            .await;
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
        let (p, _) = payment(&api, &m.test_key, json!({"amount": 1000, "currency": "usd"})).await;
        let r = api
            .post(&m.test_key, &format!("/v1/payments/{p}/confirm"), body.clone())
            .await;
        assert_eq!(
            r.error(status),
            (Some(code.into()), Some("payment_method".into())),
            "{body}"
        );
    }
    let r = api
        .post(
            &m.test_key,
            "/v1/payments/pay_00000000000000000000000000000000/capture",
            json!({}),
        )
        .await;
    assert_eq!(r.error(404).0.as_deref(), Some("resource_missing"));
}

#[tokio::test]
async fn publishable_keys_tokenise_and_confirm_with_the_client_secret_only() {
    let api = TestApi::spawn().await;
    let m = api.merchant("Browser").await;
    let other = api.merchant("Other").await;
    let pk = &m.test_publishable_key;
    let method = card(&api, pk, "4242424242424242").await;
    assert_eq!(method.status, 200, "{}", method.text);
    let method = method.body["id"].as_str().unwrap().to_owned();
    let (pay, created) = payment(&api, &m.test_key, json!({"amount": 1500, "currency": "eur"})).await;
    let secret = created.body["client_secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with(&format!("{pay}_secret_")));
    let listed = api.get(&m.test_key, "/v1/payments").await;
    assert!(listed.body["data"][0].get("client_secret").is_none(), "never listed");

    // Nothing else works with a publishable key.
    for r in [
        api.get(pk, &format!("/v1/payments/{pay}")).await,
        api.post(pk, "/v1/payments", json!({"amount": 1500, "currency": "eur"}))
            .await,
        api.get(pk, "/v1/customers").await,
        api.post(pk, &format!("/v1/payments/{pay}/capture"), json!({})).await,
    ] {
        assert_eq!(r.error(403).0.as_deref(), Some("secret_key_required"));
    }
    let path = format!("/v1/payments/{pay}/confirm");
    let r = api.post(pk, &path, json!({"payment_method": method})).await;
    assert_eq!(r.error(400).1.as_deref(), Some("client_secret"));
    let r = api
        .post(
            pk,
            &path,
            json!({"payment_method": method, "client_secret": format!("{pay}_secret_wrong")}),
        )
        .await;
    assert_eq!(r.error(404).0.as_deref(), Some("resource_missing"));
    let r = api
        .post(
            &other.test_publishable_key,
            &path,
            json!({"payment_method": method, "client_secret": secret}),
        )
        .await;
    assert_eq!(r.status, 404, "another account's publishable key: {}", r.text);
    let r = api
        .post(pk, &path, json!({"payment_method": method, "client_secret": secret}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "succeeded");
    for hidden in ["metadata", "description", "customer_id", "return_url"] {
        assert!(r.body.get(hidden).is_none(), "a browser does not see {hidden}");
    }

    // Live mode has no network: a clear refusal, nothing faked.
    let live_pm = card(&api, &m.live_publishable_key, "4242424242424242").await;
    let (live_pay, _) = payment(&api, &m.live_key, json!({"amount": 1500, "currency": "eur"})).await;
    let r = confirm(&api, &m.live_key, &live_pay, live_pm.body["id"].as_str().unwrap()).await;
    assert_eq!(r.error(400).0.as_deref(), Some("livemode_unsupported"));
    assert_eq!(
        api.get(&m.live_key, &format!("/v1/payments/{live_pay}")).await.body["status"],
        "pending"
    );
}

#[tokio::test]
async fn card_validation() {
    let api = TestApi::spawn().await;
    let m = api.merchant("Validation").await;
    let items = api.item_count().await;
    let c = |number: Value, month: Value, year: Value, cvc: Value| json!({"card": {"number": number, "exp_month": month, "exp_year": year, "cvc": cvc}});
    for (body, code, param) in [
        (
            c(json!("4242424242424241"), json!(12), json!(2034), json!("123")),
            "incorrect_number",
            "card[number]",
        ),
        (
            c(json!("4242"), json!(12), json!(2034), json!("123")),
            "incorrect_number",
            "card[number]",
        ),
        (
            c(json!("4242424242424242"), json!(13), json!(2034), json!("123")),
            "invalid_expiry_month",
            "card[exp_month]",
        ),
        (
            c(json!("4242424242424242"), json!(1), json!(2020), json!("123")),
            "invalid_expiry_year",
            "card[exp_year]",
        ),
        (
            c(json!("4242424242424242"), json!(12), json!(2034), json!("12")),
            "invalid_cvc",
            "card[cvc]",
        ),
        (
            c(json!("378282246310005"), json!(12), json!(2034), json!("123")),
            "invalid_cvc",
            "card[cvc]",
        ),
        (
            c(json!("4242424242424242"), json!("12"), json!(2034), json!("123")),
            "parameter_invalid",
            "card[exp_month]",
        ),
        (
            json!({"card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034}}),
            "parameter_missing",
            "card[cvc]",
        ),
        (json!({"type": "card"}), "parameter_missing", "card"),
        (json!({"type": "sepa_debit", "card": {}}), "parameter_invalid", "type"),
        (
            json!({"card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123", "name": "J"}}),
            "parameter_unknown",
            "card[name]",
        ),
    ] {
        let r = api.post(&m.test_key, "/v1/payment_methods", body.clone()).await;
        assert_eq!(r.error(400), (Some(code.into()), Some(param.into())), "{body}");
    }
    assert_eq!(api.item_count().await, items, "nothing written");
}

#[tokio::test]
async fn racing_transitions_have_one_winner() {
    let api = TestApi::spawn().await;
    let m = api.merchant("Races").await;
    let method = pm(&api, &m, "4242424242424242").await;

    let (pay, _) = payment(&api, &m.test_key, json!({"amount": 1000, "currency": "usd"})).await;
    let replies = futures::future::join_all((0..10).map(|_| confirm(&api, &m.test_key, &pay, &method))).await;
    assert_eq!(
        replies.iter().filter(|r| r.status == 200).count(),
        1,
        "one confirmation wins"
    );
    assert!(replies.iter().all(|r| r.status == 200 || matches!(r.status, 400 | 409)));

    let (held, _) = payment(
        &api,
        &m.test_key,
        json!({"amount": 1000, "currency": "usd", "capture_method": "manual"}),
    )
    .await;
    confirm(&api, &m.test_key, &held, &method).await;
    let replies = futures::future::join_all((0..20).map(|i| {
        let path = format!("/v1/payments/{held}/{}", if i % 2 == 0 { "capture" } else { "cancel" });
        let api = &api;
        let key = m.test_key.clone();
        async move { api.post(&key, &path, json!({})).await }
    }))
    .await;
    let winners: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
    assert_eq!(winners.len(), 1, "capture or cancel, not both");
    let fin = api.get(&m.test_key, &format!("/v1/payments/{held}")).await;
    assert_eq!(fin.body["status"], winners[0].body["status"]);
}

#[tokio::test]
async fn holds_expire_after_seven_days() {
    let api = TestApi::spawn().await;
    let m = api.merchant("Holds").await;
    let method = pm(&api, &m, "4242424242424242").await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let (p, _) = payment(
            &api,
            &m.test_key,
            json!({"amount": 1000, "currency": "usd", "capture_method": "manual"}),
        )
        .await;
        confirm(&api, &m.test_key, &p, &method).await;
        held.push(p);
    }
    // One is captured before the sweep: the sweep leaves it alone.
    api.post(&m.test_key, &format!("/v1/payments/{}/capture", held[2]), json!({}))
        .await;
    let now = paynectra::service::now_unix();
    let early = expire_holds::handler(api.app, now + 6 * 86_400).await.unwrap();
    assert_eq!(early["cancelled"], 0);
    let later = now + 7 * 86_400 + 60;
    // The first is cancelled lazily, when read after its time.
    let tenant = Tenant {
        account_id: m.account_id.parse().unwrap(),
        mode: Mode::Test,
    };
    let id: PaymentId = held[0].parse().unwrap();
    let read = paynectra::service::payments::load_payment(api.app, &tenant, &id, later)
        .await
        .unwrap();
    assert_eq!(read.status, paynectra::domain::PaymentStatus::Cancelled);
    // The sweep cancels the other one.
    let swept = expire_holds::handler(api.app, later).await.unwrap();
    assert_eq!(swept["cancelled"], 1, "{swept}");
    for (p, status) in [
        (&held[0], "cancelled"),
        (&held[1], "cancelled"),
        (&held[2], "succeeded"),
    ] {
        let r = api.get(&m.test_key, &format!("/v1/payments/{p}")).await;
        assert_eq!(r.body["status"], status);
        if status == "cancelled" {
            assert_eq!(r.body["cancellation_reason"], "automatic");
        }
    }
}

#[tokio::test]
async fn a_customers_saved_cards() {
    let api = TestApi::spawn().await;
    let m = api.merchant("Saved").await;
    let other = api.merchant("Other").await;
    let cus = api.post(&m.test_key, "/v1/customers", json!({})).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cus2 = api.post(&m.test_key, "/v1/customers", json!({})).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = pm(&api, &m, "4242424242424242").await;
    let b = pm(&api, &m, "5555555555554444").await;
    let path = format!("/v1/customers/{cus}/payment_methods");
    for p in [&a, &b] {
        let r = api.post(&m.test_key, &path, json!({"payment_method": p})).await;
        assert_eq!(r.body["customer"], cus.as_str(), "{}", r.text);
    }
    let list = api.get(&m.test_key, &path).await;
    let ids: Vec<&str> = list.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [b.as_str(), a.as_str()], "newest first");

    // Attached elsewhere, another account's, unknown customer: refused.
    let r = api
        .post(
            &m.test_key,
            &format!("/v1/customers/{cus2}/payment_methods"),
            json!({"payment_method": a}),
        )
        .await;
    assert_eq!(r.error(400).0.as_deref(), Some("payment_method_unexpected_state"));
    let theirs = pm(&api, &other, "4242424242424242").await;
    let r = api.post(&m.test_key, &path, json!({"payment_method": theirs})).await;
    assert_eq!(r.error(404).1.as_deref(), Some("payment_method"));
    assert_eq!(api.get(&other.test_key, &path).await.status, 404);
    let c = pm(&api, &m, "4242424242424242").await;
    let r = api
        .post(
            &m.test_key,
            "/v1/customers/cus_00000000000000000000000000000000/payment_methods",
            json!({"payment_method": c}),
        )
        .await;
    assert_eq!(r.status, 404);

    // A saved card pays only for its customer's payments.
    let (mine, _) = payment(
        &api,
        &m.test_key,
        json!({"amount": 1000, "currency": "usd", "customer_id": cus}),
    )
    .await;
    let (theirs_pay, _) = payment(
        &api,
        &m.test_key,
        json!({"amount": 1000, "currency": "usd", "customer_id": cus2}),
    )
    .await;
    assert_eq!(
        confirm(&api, &m.test_key, &theirs_pay, &a)
            .await
            .error(400)
            .1
            .as_deref(),
        Some("payment_method")
    );
    assert_eq!(confirm(&api, &m.test_key, &mine, &a).await.status, 200);

    // Detach.
    let detach = |pm: String| {
        let req = api
            .http
            .delete(api.url(&format!("{path}/{pm}")))
            .bearer_auth(&m.test_key);
        async move { Reply::from(req.send().await.unwrap()).await }
    };
    let r = detach(b.clone()).await;
    assert_eq!((r.status, r.body["customer"].is_null()), (200, true), "{}", r.text);
    // The whole method, as the one conditional update left it.
    assert_eq!(
        (r.body["id"].as_str(), r.body["card"]["last4"].as_str()),
        (Some(b.as_str()), Some("4444"))
    );
    assert_eq!(detach(b.clone()).await.status, 404, "only once");
    let ids: Vec<String> = api.get(&m.test_key, &path).await.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, [a]);
}

#[tokio::test]
async fn confirm_is_idempotent() {
    let api = TestApi::spawn().await;
    let m = api.merchant("Idem").await;
    let method = pm(&api, &m, "4000000000009995").await;
    let (pay, _) = payment(&api, &m.test_key, json!({"amount": 1000, "currency": "usd"})).await;
    let send = || {
        api.http
            .post(api.url(&format!("/v1/payments/{pay}/confirm")))
            .bearer_auth(&m.test_key)
            .header("Idempotency-Key", "confirm-1")
            .json(&json!({"payment_method": method}))
            .send()
    };
    let first = Reply::from(send().await.unwrap()).await;
    assert_eq!(first.status, 402, "{}", first.text);
    let again = Reply::from(send().await.unwrap()).await;
    assert_eq!(
        (again.status, again.text.as_str()),
        (402, first.text.as_str()),
        "the decline is replayed"
    );
    assert!(again.headers.contains_key("idempotent-replayed"));
}

#[tokio::test]
async fn test_payment_method_aliases() {
    let api = TestApi::spawn().await;
    let m = api.merchant("Aliases").await;
    let other = api.merchant("Other").await;

    // pm_card_visa: a fresh, ordinary payment method of this account, then confirmed.
    let (pay, _) = payment(&api, &m.test_key, json!({"amount": 2000, "currency": "usd"})).await;
    let r = confirm(&api, &m.test_key, &pay, "pm_card_visa").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "succeeded");
    let created = r.body["payment_method"].as_str().unwrap().to_owned();
    assert!(
        created.starts_with("pm_") && !created.starts_with("pm_card_"),
        "{created}"
    );
    let read = api.get(&m.test_key, &format!("/v1/payments/{pay}")).await;
    assert_eq!(read.body["payment_method"], created.as_str());
    // It is stored: it can be attached to a customer, listed, and confirmed with again.
    let cus = api.post(&m.test_key, "/v1/customers", json!({})).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/customers/{cus}/payment_methods");
    let attached = api.post(&m.test_key, &path, json!({"payment_method": created})).await;
    assert_eq!(attached.status, 200, "{}", attached.text);
    let c = &attached.body["card"];
    assert_eq!((c["brand"].as_str(), c["last4"].as_str()), (Some("visa"), Some("4242")));
    assert!(
        c["exp_year"].as_i64().unwrap() >= 2035,
        "far-future expiry: {}",
        attached.text
    );
    let list = api.get(&m.test_key, &path).await;
    assert_eq!(list.body["data"][0]["id"], created.as_str());
    // Another account does not see it.
    let r = api.post(&other.test_key, "/v1/customers", json!({})).await;
    let their_cus = r.body["id"].as_str().unwrap();
    let r = api
        .post(
            &other.test_key,
            &format!("/v1/customers/{their_cus}/payment_methods"),
            json!({"payment_method": created}),
        )
        .await;
    assert_eq!(r.error(404).1.as_deref(), Some("payment_method"));

    // Each use is a new payment method; manual capture holds.
    let (held, _) = payment(
        &api,
        &m.test_key,
        json!({"amount": 1000, "currency": "usd", "capture_method": "manual"}),
    )
    .await;
    let r = confirm(&api, &m.test_key, &held, "pm_card_mastercard").await;
    assert_eq!(r.body["status"], "requires_capture", "{}", r.text);
    let second = r.body["payment_method"].as_str().unwrap();
    assert!(second.starts_with("pm_") && second != created, "{second}");

    // pm_card_chargeDeclined: the test card's decline.
    let (declined, _) = payment(&api, &m.test_key, json!({"amount": 2000, "currency": "usd"})).await;
    let r = confirm(&api, &m.test_key, &declined, "pm_card_chargeDeclined").await;
    assert_eq!(r.status, 402, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "card_declined");
    assert_eq!(r.body["error"]["decline_code"], "generic_decline");
    let r = confirm(&api, &m.test_key, &declined, "pm_card_chargeDeclinedInsufficientFunds").await;
    assert_eq!(r.body["error"]["decline_code"], "insufficient_funds", "{}", r.text);

    // A browser confirms with an alias too (test mode, with the client secret).
    let (browser, created_pay) = payment(&api, &m.test_key, json!({"amount": 500, "currency": "eur"})).await;
    let secret = created_pay.body["client_secret"].as_str().unwrap();
    let r = api
        .post(
            &m.test_publishable_key,
            &format!("/v1/payments/{browser}/confirm"),
            json!({"payment_method": "pm_card_amex", "client_secret": secret}),
        )
        .await;
    assert_eq!(r.body["status"], "succeeded", "{}", r.text);

    // An unknown alias is no payment method (400 like any malformed id).
    let (pay2, _) = payment(&api, &m.test_key, json!({"amount": 2000, "currency": "usd"})).await;
    let r = confirm(&api, &m.test_key, &pay2, "pm_card_nope").await;
    assert_eq!(
        r.error(400),
        (Some("resource_missing".into()), Some("payment_method".into()))
    );

    // Live mode: an alias is an unknown id, and nothing is written.
    let (live_pay, _) = payment(&api, &m.live_key, json!({"amount": 1500, "currency": "eur"})).await;
    let items = api.item_count().await;
    let r = confirm(&api, &m.live_key, &live_pay, "pm_card_visa").await;
    assert_eq!(
        r.error(404),
        (Some("resource_missing".into()), Some("payment_method".into()))
    );
    assert_eq!(api.item_count().await, items, "a live alias writes nothing");
    assert_eq!(
        api.get(&m.live_key, &format!("/v1/payments/{live_pay}")).await.body["status"],
        "pending"
    );

    // A confirmation that cannot run stores no payment method for its
    // alias: an unknown payment, another account's, or one confirmed already.
    let (others, _) = payment(&api, &other.test_key, json!({"amount": 1500, "currency": "usd"})).await;
    let items = api.item_count().await;
    let r = confirm(&api, &m.test_key, "pay_doesnotexist000", "pm_card_visa").await;
    assert_eq!(r.error(404).0.as_deref(), Some("resource_missing"));
    let r = confirm(&api, &m.test_key, &others, "pm_card_visa").await;
    assert_eq!(r.error(404).0.as_deref(), Some("resource_missing"));
    let r = confirm(&api, &m.test_key, &pay, "pm_card_visa").await;
    assert_eq!(r.error(400).0.as_deref(), Some("payment_unexpected_state"));
    assert_eq!(
        api.item_count().await,
        items,
        "refused alias confirmations write nothing"
    );
}
