//! Balance transactions over HTTP: a capture nets its fee, a refund takes
//! its amount back, a failed or cancelled refund returns it; every one is
//! written with the change that moved the money.

use paynectra_tests::TestApi;
use serde_json::json;

#[tokio::test]
async fn a_capture_nets_its_fee_and_refunds_move_the_money_back_and_forth() {
    let (api, [m, other]) = TestApi::with_merchants(["Settles", "Other"]).await;
    let key = &m.test_key;
    let pay = api.paid_with(key, "pm_card_refundFail", 10_000).await;
    let payment = api.get_payment(key, &pay).await;
    let txn_id = payment.body["balance_transaction"]
        .as_str()
        .expect("captured: a balance transaction")
        .to_owned();
    let txn = api.get(key, &format!("/v1/balance_transactions/{txn_id}")).await;
    assert_eq!(txn.status, 200, "{}", txn.text);
    let t = &txn.body;
    assert_eq!(t["object"], "balance_transaction");
    assert_eq!(t["type"], "payment");
    assert_eq!(
        (t["amount"].as_i64(), t["fee"].as_i64(), t["net"].as_i64()),
        (Some(10_000), Some(320), Some(9_680))
    );
    assert_eq!(
        t["fee_details"],
        json!([{"amount": 320, "currency": "usd", "type": "paynectra_fee", "description": "Paynectra processing fees"}])
    );
    assert_eq!(t["status"], "pending");
    assert_eq!(
        t["available_on"].as_i64().unwrap() - t["created"].as_i64().unwrap(),
        2 * 86_400
    );
    assert_eq!(
        (t["source"].as_str(), t["currency"].as_str(), t["livemode"].as_bool()),
        (Some(pay.as_str()), Some("usd"), Some(false))
    );

    // A refund takes its amount (not the fee) back at once; its failure
    // returns it.
    let refund = api.refund(key, json!({"payment_id": pay, "amount": 2_500})).await.ok();
    let re = refund.id();
    let taken = refund.body["balance_transaction"].as_str().unwrap().to_owned();
    assert!(refund.body["failure_balance_transaction"].is_null());
    let r = api.get(key, &format!("/v1/balance_transactions/{taken}")).await.body;
    assert_eq!(
        (
            r["type"].as_str(),
            r["amount"].as_i64(),
            r["fee"].as_i64(),
            r["net"].as_i64()
        ),
        (Some("refund"), Some(-2_500), Some(0), Some(-2_500))
    );
    assert_eq!(r["source"], re.as_str());
    let failed = api.expire_refund(key, &re).await.ok();
    assert_eq!(failed.body["status"], "failed");
    let back = failed.body["failure_balance_transaction"].as_str().unwrap().to_owned();
    let b = api.get(key, &format!("/v1/balance_transactions/{back}")).await.body;
    assert_eq!(
        (b["type"].as_str(), b["net"].as_i64()),
        (Some("refund_failure"), Some(2_500))
    );

    // Lists: newest first; by source, by type.
    let all = api.get(key, "/v1/balance_transactions").await;
    assert_eq!(all.ids(), [back.clone(), taken.clone(), txn_id.clone()]);
    let net: i64 = all.data().iter().map(|t| t["net"].as_i64().unwrap()).sum();
    assert_eq!(net, 9_680, "the fee stays taken; the failed refund's amount came back");
    assert_eq!(
        api.get(key, &format!("/v1/balance_transactions?source={re}"))
            .await
            .ids(),
        [back.clone(), taken.clone()]
    );
    assert_eq!(
        api.get(key, &format!("/v1/balance_transactions?source={pay}"))
            .await
            .ids(),
        std::slice::from_ref(&txn_id)
    );
    assert_eq!(
        api.get(key, "/v1/balance_transactions?type=refund").await.ids(),
        std::slice::from_ref(&taken)
    );
    assert_eq!(
        api.get(
            key,
            &format!("/v1/balance_transactions?type=refund_failure&source={re}")
        )
        .await
        .ids(),
        std::slice::from_ref(&back)
    );
    for (query, param) in [
        ("source=cus_1", "source"),
        ("type=payout", "type"),
        ("starting_after=txn_0000000000000000000000000000", "starting_after"),
        ("currency=xyz", "currency"),
        ("payout=po_1", "payout"),
    ] {
        let bad = api.get(key, &format!("/v1/balance_transactions?{query}")).await;
        assert_eq!(bad.error(400).1.as_deref(), Some(param), "{query}: {}", bad.text);
    }

    // Another account's, or the other mode's: not there.
    for k in [&other.test_key, &m.live_key] {
        let r = api.get(k, &format!("/v1/balance_transactions/{txn_id}")).await;
        assert_eq!(r.error(404), (Some("resource_missing".into()), Some("id".into())));
        assert!(api.get(k, "/v1/balance_transactions").await.data().is_empty());
    }
}

#[tokio::test]
async fn a_partial_capture_settles_what_was_captured_and_a_cancel_moves_nothing() {
    let (api, [m]) = TestApi::with_merchants(["Holds"]).await;
    let key = &m.test_key;
    let held = api
        .new_payment(
            key,
            json!({"amount": 5_000, "currency": "eur", "capture_method": "manual"}),
        )
        .await;
    api.confirm(key, &held, "pm_card_visa").await.ok();
    assert!(
        api.get_payment(key, &held).await.body["balance_transaction"].is_null(),
        "a hold moves no money"
    );
    let captured = api.capture(key, &held, json!({"amount_to_capture": 3_000})).await.ok();
    let t = api
        .get(
            key,
            &format!(
                "/v1/balance_transactions/{}",
                captured.body["balance_transaction"].as_str().unwrap()
            ),
        )
        .await
        .body;
    // 2.9% of 30.00 is 0.87, plus eur's fixed 0.25.
    assert_eq!(
        (
            t["amount"].as_i64(),
            t["fee"].as_i64(),
            t["net"].as_i64(),
            t["currency"].as_str()
        ),
        (Some(3_000), Some(112), Some(2_888), Some("eur"))
    );
    let cancelled = api
        .new_payment(
            key,
            json!({"amount": 5_000, "currency": "eur", "capture_method": "manual"}),
        )
        .await;
    api.confirm(key, &cancelled, "pm_card_visa").await.ok();
    api.cancel(key, &cancelled, json!({})).await.ok();
    let re = api
        .refund(key, json!({"payment_id": held, "amount": 1_000}))
        .await
        .ok()
        .id();
    api.cancel_refund(key, &re).await.ok();
    let types: Vec<String> = api
        .get(key, "/v1/balance_transactions")
        .await
        .data()
        .iter()
        .map(|t| t["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        types,
        ["refund_failure", "refund", "payment"],
        "a hold, and a hold cancelled, move nothing"
    );
    // The currency filters any list: alone, with a type, with a source and
    // a type.
    assert_eq!(
        api.get(key, "/v1/balance_transactions?currency=eur").await.data().len(),
        3
    );
    assert!(api
        .get(key, "/v1/balance_transactions?currency=usd")
        .await
        .data()
        .is_empty());
    let payments = api.get(key, "/v1/balance_transactions?currency=eur&type=payment").await;
    assert_eq!(payments.data().len(), 1);
    let of_refund = format!("/v1/balance_transactions?currency=eur&type=refund&source={re}");
    assert_eq!(api.get(key, &of_refund).await.data().len(), 1);
    let other = format!("/v1/balance_transactions?currency=usd&type=refund&source={re}");
    assert!(api.get(key, &other).await.data().is_empty());
}

#[tokio::test]
async fn the_bypass_pending_test_card_makes_a_captures_funds_available_at_once() {
    let (api, [m]) = TestApi::with_merchants(["Fast"]).await;
    let key = &m.test_key;
    for (alias, status) in [("pm_card_bypassPending", "available"), ("pm_card_visa", "pending")] {
        let pay = api.paid_with(key, alias, 2_000).await;
        let txn = api.get_payment(key, &pay).await.body["balance_transaction"]
            .as_str()
            .unwrap()
            .to_owned();
        let t = api.get(key, &format!("/v1/balance_transactions/{txn}")).await.body;
        assert_eq!(t["status"], status, "{alias}");
        let wait = t["available_on"].as_i64().unwrap() - t["created"].as_i64().unwrap();
        assert_eq!(wait, if status == "available" { 0 } else { 2 * 86_400 }, "{alias}");
        assert_eq!(
            (t["fee"].as_i64(), t["net"].as_i64()),
            (Some(88), Some(1_912)),
            "{alias}: the same fee"
        );
    }
}
