//! Refunds over HTTP: the races that must never over-refund, every bad
//! input, and tenancy.

use std::collections::HashMap;

use paynectra::domain::Mode;
use paynectra_tests::{Reply, TestApi};
use serde_json::{json, Value};

async fn refund_all(api: &TestApi, key: &str, bodies: Vec<Value>) -> Vec<Reply> {
    futures::future::join_all(bodies.into_iter().map(|b| api.refund(key, b))).await
}

/// After a race: the payment's balance equals what the successful refunds
/// say and what the refund list says, and never exceeds the payment.
async fn check_books(api: &TestApi, key: &str, pay: &str, amount: i64, replies: &[Reply]) -> i64 {
    let mut succeeded = 0;
    for r in replies {
        match r.status {
            200 => succeeded += r.body["amount"].as_i64().unwrap(),
            400 => {
                let (code, _) = r.error(400);
                assert!(
                    matches!(
                        code.as_deref(),
                        Some("amount_too_large") | Some("charge_already_refunded")
                    ),
                    "{}",
                    r.text
                );
            }
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert!(succeeded <= amount, "over-refunded: {succeeded} of {amount}");
    let payment = api.get_payment(key, pay).await;
    assert_eq!(payment.body["amount_refunded"], succeeded);
    assert_eq!(payment.body["refunded"], succeeded == amount);
    let mut listed = 0;
    let mut cursor = String::new();
    loop {
        let page = api
            .list_refunds(key, &format!("payment_id={pay}&limit=100{cursor}"))
            .await;
        assert_eq!(page.status, 200, "{}", page.text);
        for r in page.data() {
            assert_eq!(r["payment_id"], pay);
            listed += r["amount"].as_i64().unwrap();
        }
        if page.body["has_more"] != true {
            break;
        }
        cursor = format!("&starting_after={}", page.ids().last().unwrap());
    }
    assert_eq!(
        listed, succeeded,
        "the refunds listed add up to the payment's amount_refunded"
    );
    succeeded
}

#[tokio::test]
async fn fifty_concurrent_refunds_of_ten_against_two_hundred() {
    let (api, [m]) = TestApi::with_merchants(["Race"]).await;
    let pay = api.captured_payment(&m, Mode::Test, 200).await;
    let replies = refund_all(
        &api,
        &m.test_key,
        (0..50).map(|_| json!({"payment_id": pay, "amount": 10})).collect(),
    )
    .await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(ok, 20, "exactly 20 refunds of 10 fit in 200");
    assert_eq!(replies.iter().filter(|r| r.status == 400).count(), 30);
    assert_eq!(check_books(&api, &m.test_key, &pay, 200, &replies).await, 200);
}

#[tokio::test]
async fn concurrent_refunds_of_mixed_amounts() {
    let (api, [m]) = TestApi::with_merchants(["Mixed"]).await;
    let pay = api.captured_payment(&m, Mode::Test, 1000).await;
    let amounts: Vec<i64> = (0..40).map(|i| [7, 13, 50, 100, 250, 1, 99, 333][i % 8]).collect();
    let replies = refund_all(
        &api,
        &m.test_key,
        amounts
            .iter()
            .map(|a| json!({"payment_id": pay, "amount": a}))
            .collect(),
    )
    .await;
    let refunded = check_books(&api, &m.test_key, &pay, 1000, &replies).await;
    // Whatever is left is smaller than every amount that was refused.
    let left = 1000 - refunded;
    for (r, a) in replies.iter().zip(&amounts) {
        if r.status == 400 {
            assert!(*a > left || left == 0, "a refund of {a} was refused with {left} left");
        }
    }
}

#[tokio::test]
async fn the_full_refund_default_racing_partial_refunds() {
    let (api, [m]) = TestApi::with_merchants(["Default"]).await;
    let pay = api.captured_payment(&m, Mode::Test, 500).await;
    let bodies: Vec<Value> = (0..30)
        .map(|i| {
            if i % 3 == 0 {
                json!({"payment_id": pay})
            } else {
                json!({"payment_id": pay, "amount": 25})
            }
        })
        .collect();
    let replies = refund_all(&api, &m.test_key, bodies).await;
    assert_eq!(
        check_books(&api, &m.test_key, &pay, 500, &replies).await,
        500,
        "the default takes whatever remains"
    );
}

#[tokio::test]
async fn refund_errors_and_tenancy() {
    let (api, [a, b]) = TestApi::with_merchants(["A", "B"]).await;
    let pay = api.captured_payment(&a, Mode::Test, 1000).await;
    let live_pay = api.captured_payment(&a, Mode::Live, 1000).await;
    let b_pay = api.captured_payment(&b, Mode::Test, 1000).await;
    let pending = api
        .create_payment(&a.test_key, json!({"amount": 1000, "currency": "usd"}))
        .await
        .id();
    let items = api.item_count().await;

    let r = api.refund(&a.test_key, json!({"payment_id": pending})).await;
    assert_eq!(
        r.error(400),
        (Some("payment_unexpected_state".into()), Some("payment_id".into()))
    );
    for other in [
        &b_pay,
        &live_pay,
        &"pay_00000000000000000000000000000000".to_string(),
        &"cus_123".to_string(),
    ] {
        let r = api.refund(&a.test_key, json!({"payment_id": other})).await;
        assert_eq!(
            r.error(404),
            (Some("resource_missing".into()), Some("payment_id".into())),
            "{other}"
        );
    }
    let r = api
        .refund(&a.test_key, json!({"payment_id": pay, "amount": 1001}))
        .await;
    assert_eq!(r.error(400), (Some("amount_too_large".into()), Some("amount".into())));
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("1001") && message.contains("(1000)"),
        "both amounts: {message}"
    );
    for (body, code, param) in [
        (json!({}), "parameter_missing", "payment_id"),
        (
            json!({"payment_id": pay, "amount": 0}),
            "parameter_invalid_integer",
            "amount",
        ),
        (
            json!({"payment_id": pay, "amount": -10}),
            "parameter_invalid_integer",
            "amount",
        ),
        (
            json!({"payment_id": pay, "amount": "10"}),
            "parameter_invalid",
            "amount",
        ),
        (
            json!({"payment_id": pay, "amount": 10.5}),
            "parameter_invalid",
            "amount",
        ),
        (
            json!({"payment_id": pay, "reason": "changed_mind"}),
            "parameter_invalid",
            "reason",
        ),
        (
            json!({"payment_id": pay, "metadata": {"k": 1}}),
            "parameter_invalid",
            "metadata[k]",
        ),
        (
            json!({"payment_id": pay, "currency": "usd"}),
            "parameter_unknown",
            "currency",
        ),
        (json!({"payment_id": 42}), "parameter_invalid", "payment_id"),
    ] {
        let r = api.refund(&a.test_key, body.clone()).await;
        assert_eq!(r.error(400), (Some(code.into()), Some(param.into())), "{body}");
    }
    assert_eq!(api.item_count().await, items, "refused refunds wrote nothing");

    // A partial refund, then the rest by default, then nothing is left.
    let first = api
        .refund(
            &a.test_key,
            json!({"payment_id": pay, "amount": 400, "reason": "duplicate", "metadata": {"ticket": "T-1"}}),
        )
        .await
        .ok();
    let f = &first.body;
    assert!(f["id"].as_str().unwrap().starts_with("re_"));
    assert_eq!(
        (f["object"].as_str(), f["amount"].as_i64(), f["currency"].as_str()),
        (Some("refund"), Some(400), Some("usd"))
    );
    assert_eq!(
        (f["reason"].as_str(), f["status"].as_str(), f["livemode"].as_bool()),
        (Some("duplicate"), Some("pending"), Some(false))
    );
    assert_eq!(f["metadata"], json!({"ticket": "T-1"}));
    let rest = api.refund(&a.test_key, json!({"payment_id": pay})).await;
    assert_eq!(rest.body["amount"], 600);
    let again = api.refund(&a.test_key, json!({"payment_id": pay})).await;
    assert_eq!(again.error(400).0.as_deref(), Some("charge_already_refunded"));
    let p = api.get_payment(&a.test_key, &pay).await;
    assert_eq!(
        (p.body["amount_refunded"].as_i64(), p.body["refunded"].as_bool()),
        (Some(1000), Some(true))
    );

    // Retrieve: own 200; another account, the other mode, unknown: 404.
    let id = f["id"].as_str().unwrap();
    let got = api.get_refund(&a.test_key, id).await;
    assert_eq!(got.body, first.body);
    for key in [&b.test_key, &a.live_key] {
        let r = api.get_refund(key, id).await;
        assert_eq!(r.error(404), (Some("resource_missing".into()), Some("id".into())));
    }
    assert_eq!(
        api.get_refund(&a.test_key, "pay_1").await.error(404).0.as_deref(),
        Some("resource_missing")
    );

    // Lists: all refunds, one payment's, never another tenant's.
    let all = api.list_refunds(&a.test_key, "").await;
    assert_eq!(all.data().len(), 2);
    assert_eq!(all.body["data"][0]["amount"], 600, "newest first");
    let none = api.list_refunds(&b.test_key, &format!("payment_id={pay}")).await;
    assert_eq!(none.body["data"], json!([]));
    assert_eq!(api.list_refunds(&a.live_key, "").await.body["data"], json!([]));
    for (query, param) in [
        ("payment_id=cus_1", "payment_id"),
        ("starting_after=re_00000000000000000000000000000000", "starting_after"),
        ("limit=0", "limit"),
        ("status=refunded", "status"),
        ("reason=duplicate", "reason"),
    ] {
        let r = api.list_refunds(&a.test_key, query).await;
        assert_eq!(r.error(400).1.as_deref(), Some(param), "{query}");
    }
}

#[tokio::test]
async fn walking_a_payments_refunds() {
    let (api, [m]) = TestApi::with_merchants(["Walk"]).await;
    let pay = api.captured_payment(&m, Mode::Test, 1000).await;
    let mut made = Vec::new();
    for i in 0..10 {
        let r = api
            .refund(&m.test_key, json!({"payment_id": pay, "amount": 10 + i}))
            .await;
        made.push(r.id());
    }
    made.reverse();
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = api
            .list_refunds(&m.test_key, &format!("payment_id={pay}&limit=3{cursor}"))
            .await;
        let ids = page.ids();
        seen.extend(ids.iter().cloned());
        if page.body["has_more"] != true {
            break;
        }
        cursor = format!("&starting_after={}", ids.last().unwrap());
    }
    assert_eq!(seen, made);
    let counts: HashMap<&String, usize> = seen.iter().fold(HashMap::new(), |mut m, id| {
        *m.entry(id).or_default() += 1;
        m
    });
    assert!(counts.values().all(|c| *c == 1));
}
