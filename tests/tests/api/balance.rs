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
    let (on, created) = (t["available_on"].as_i64().unwrap(), t["created"].as_i64().unwrap());
    assert_eq!(on % 86_400, 0, "a UTC midnight");
    assert!(
        (created + 2 * 86_400..created + 3 * 86_400).contains(&on),
        "the midnight after two days"
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
        ("type=transfer", "type"),
        ("starting_after=txn_0000000000000000000000000000", "starting_after"),
        ("currency=xyz", "currency"),
        ("payout=pay_1", "payout"),
    ] {
        let bad = api.get(key, &format!("/v1/balance_transactions?{query}")).await;
        assert_eq!(bad.error(400).1.as_deref(), Some(param), "{query}: {}", bad.text);
    }
    let unknown = api.get(key, "/v1/balance_transactions?payout=po_1").await;
    assert_eq!(
        unknown.error(404),
        (Some("resource_missing".into()), Some("payout".into()))
    );

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
        if status == "available" {
            assert_eq!(wait, 0, "{alias}");
        } else {
            assert!(
                (2 * 86_400..3 * 86_400).contains(&wait),
                "{alias}: the midnight after two days"
            );
        }
        assert_eq!(
            (t["fee"].as_i64(), t["net"].as_i64()),
            (Some(88), Some(1_912)),
            "{alias}: the same fee"
        );
    }
}

/// `(available, pending)` of `currency` in a balance object.
fn sides(balance: &serde_json::Value, currency: &str) -> (i64, i64) {
    let side = |name: &str| {
        balance[name]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["currency"] == currency)
            .map_or(0, |a| a["amount"].as_i64().unwrap())
    };
    (side("available"), side("pending"))
}

/// Reads the balance until it shows `want` (the writer is a stream
/// consumer: a second or so behind the transactions).
async fn balance_becomes(api: &TestApi, key: &str, want: (i64, i64)) -> serde_json::Value {
    let mut body = serde_json::Value::Null;
    for _ in 0..150 {
        body = api.get(key, "/v1/balance").await.ok().body;
        if sides(&body, "usd") == want {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the balance never became {want:?}: {body}");
}

/// The sum of the nets of every balance transaction, `(available, pending)`
/// by their status now.
async fn sum_of_transactions(api: &TestApi, key: &str) -> (i64, i64) {
    let all = api.get(key, "/v1/balance_transactions?limit=100").await.ok();
    assert_eq!(all.body["has_more"], false);
    all.data().iter().fold((0, 0), |(a, p), t| {
        let net = t["net"].as_i64().unwrap();
        match t["status"].as_str() {
            Some("available") => (a + net, p),
            _ => (a, p + net),
        }
    })
}

#[tokio::test]
async fn the_balance_adds_up_the_transactions_and_moves_funds_to_available_when_due() {
    let api = TestApi::spawn_with_webhooks().await;
    let (m, other) = (api.merchant("Balance").await, api.merchant("Other").await);
    let key = &m.test_key;
    let zero = json!([{"amount": 0, "currency": "usd"}]);
    let empty = api.get(key, "/v1/balance").await.ok().body;
    assert_eq!(
        empty,
        json!({"object": "balance", "available": zero, "pending": zero, "livemode": false})
    );
    let bad = api.get(key, "/v1/balance?currency=usd").await;
    assert_eq!(
        bad.error(400).1.as_deref(),
        Some("currency"),
        "no parameters: {}",
        bad.text
    );

    // A capture with 4000 0000 0000 0077 is available at once; one with
    // another card is pending: 10,000 less the fee of 320 each.
    let fast = api.paid_with(key, "pm_card_bypassPending", 10_000).await;
    balance_becomes(&api, key, (9_680, 0)).await;
    let slow = api.paid_with(key, "pm_card_visa", 10_000).await;
    balance_becomes(&api, key, (9_680, 9_680)).await;

    // A refund the available balance covers is taken from it; one it does
    // not cover is taken from pending, with the refunded payment's funds.
    let covered = api.refund(key, json!({"payment_id": fast, "amount": 2_500})).await.ok();
    balance_becomes(&api, key, (7_180, 9_680)).await;
    let txn = covered.body["balance_transaction"].as_str().unwrap().to_owned();
    let t = api.get(key, &format!("/v1/balance_transactions/{txn}")).await.body;
    assert_eq!(t["status"], "available", "{t}");
    let uncovered = api.refund(key, json!({"payment_id": slow, "amount": 8_000})).await.ok();
    let body = balance_becomes(&api, key, (7_180, 1_680)).await;
    let txn = uncovered.body["balance_transaction"].as_str().unwrap().to_owned();
    let t = api.get(key, &format!("/v1/balance_transactions/{txn}")).await.body;
    let slow_txn = api.get_payment(key, &slow).await.body["balance_transaction"]
        .as_str()
        .unwrap()
        .to_owned();
    let s = api.get(key, &format!("/v1/balance_transactions/{slow_txn}")).await.body;
    assert_eq!(
        (t["status"].as_str(), &t["available_on"]),
        (Some("pending"), &s["available_on"])
    );
    assert_eq!(sum_of_transactions(&api, key).await, sides(&body, "usd"));

    // The pending funds' midnight comes: they are available at once (the
    // balance counts a begun day as available), and the balance sweep moves
    // them into the stored available amount, with `balance.available`.
    api.advance(s["available_on"].as_i64().unwrap() - api.now() + 1);
    let body = api.get(key, "/v1/balance").await.ok().body;
    assert_eq!(sides(&body, "usd"), (8_860, 0), "{body}");
    assert_eq!(sum_of_transactions(&api, key).await, (8_860, 0));
    // Each fold has its event; the last one's balance is the one now.
    let mut event = serde_json::Value::Null;
    for _ in 0..150 {
        let events = api.list_events(key, "type=balance.available").await.ok();
        if let Some(e) = events
            .data()
            .iter()
            .find(|e| sides(&e["data"]["object"], "usd") == (8_860, 0))
        {
            event = e.clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        event["data"]["object"]["object"], "balance",
        "no balance.available of the due funds"
    );
    assert_eq!(sides(&api.get(key, "/v1/balance").await.ok().body, "usd"), (8_860, 0));

    // Another account's balance, and the live one, have none of it.
    for k in [&other.test_key, &m.live_key] {
        let b = api.get(k, "/v1/balance").await.ok().body;
        assert_eq!((&b["available"], &b["pending"]), (&zero, &zero), "{b}");
    }
    assert_eq!(api.get(&m.live_key, "/v1/balance").await.body["livemode"], true);
}

#[tokio::test]
async fn an_accounts_settlement_terms_set_its_fees_and_its_delay() {
    let (api, [m, other]) = TestApi::with_merchants(["Priced", "Default"]).await;
    // As `paynectra-admin accounts settlement` sets them: 1% + 5, 5 days.
    let tenant = paynectra::domain::Tenant::new(m.account_id.parse().unwrap(), paynectra::domain::Mode::Test);
    let terms = paynectra::domain::Settlement::new(100, Some(5), 5).unwrap();
    api.app.store.set_settlement(&tenant, &terms).await.unwrap();
    for (key, fee, days) in [(&m.test_key, 105, 5), (&other.test_key, 320, 2)] {
        let pay = api.paid_with(key, "pm_card_visa", 10_000).await;
        let txn = api.get_payment(key, &pay).await.body["balance_transaction"]
            .as_str()
            .unwrap()
            .to_owned();
        let t = api.get(key, &format!("/v1/balance_transactions/{txn}")).await.body;
        assert_eq!(
            (t["fee"].as_i64(), t["net"].as_i64()),
            (Some(fee), Some(10_000 - fee)),
            "{t}"
        );
        let wait = t["available_on"].as_i64().unwrap() - t["created"].as_i64().unwrap();
        assert!((days * 86_400..(days + 1) * 86_400).contains(&wait), "{days} days: {t}");
    }
}

/// `GET /v1/reporting/volume` until its last `days` entries are `want`
/// ((captured, refunded) per day, oldest first): the balance writer is a
/// second or so behind.
async fn volume_becomes(api: &TestApi, key: &str, days: usize, want: &[(i64, i64)]) -> serde_json::Value {
    let mut body = serde_json::Value::Null;
    for _ in 0..100 {
        body = api
            .get(key, "/v1/reporting/volume?currency=usd&days=30")
            .await
            .ok()
            .body;
        let data = body["data"].as_array().unwrap();
        let tail: Vec<(i64, i64)> = data[data.len() - days..]
            .iter()
            .map(|d| (d["captured"].as_i64().unwrap(), d["refunded"].as_i64().unwrap()))
            .collect();
        if tail == want {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the volume never became {want:?}: {body}");
}

#[tokio::test]
async fn the_gross_volume_charts_captured_and_refunded_per_day() {
    // With the stream follower: the balance writer keeps the volume.
    let api = TestApi::spawn_with_webhooks().await;
    let (m, other) = (api.merchant("Volume").await, api.merchant("Other").await);
    let key = &m.test_key;
    // Day 1: two captures (gross, before fees) and a refund of one of them.
    let first = api.paid_with(key, "pm_card_visa", 10_000).await;
    api.paid_with(key, "pm_card_visa", 2_500).await;
    let refund = api.refund(key, json!({"payment_id": first, "amount": 1_000})).await;
    assert_eq!(refund.status, 200, "{}", refund.text);
    volume_becomes(&api, key, 1, &[(12_500, 1_000)]).await;
    // A held payment is not volume until captured; a refund that fails
    // later takes its amount off the refunded (of the day it failed).
    let held = api
        .new_payment(
            key,
            json!({"amount": 700, "currency": "usd", "capture_method": "manual"}),
        )
        .await;
    assert_eq!(api.confirm(key, &held, "pm_card_visa").await.status, 200);
    volume_becomes(&api, key, 1, &[(12_500, 1_000)]).await;

    // Day 2: the held payment captured, and a refund that fails (the card
    // is gone: 4000 0000 0000 5126's refunds fail), whose failure nets out.
    api.advance(86_400);
    assert_eq!(api.capture(key, &held, json!({})).await.status, 200);
    let failing = api.paid_with(key, "pm_card_refundFail", 3_000).await;
    let r = api.refund(key, json!({"payment_id": failing})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let body = volume_becomes(&api, key, 2, &[(12_500, 1_000), (3_700, 0)]).await;
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 30);
    let day = |i: usize| data[i]["date"].as_i64().unwrap();
    assert_eq!(day(29) - day(28), 86_400);
    assert_eq!(day(29), api.now().div_euclid(86_400) * 86_400, "today is the last day");
    assert!(data[..28].iter().all(|d| d["captured"] == 0 && d["refunded"] == 0));
    assert_eq!((&body["object"], &body["livemode"]), (&json!("volume"), &json!(false)));

    // Another account's and the live mode's charts are their own: zeros.
    for k in [&other.test_key, &m.live_key] {
        let theirs = api.get(k, "/v1/reporting/volume?currency=usd").await.ok();
        assert!(theirs.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["captured"] == 0 && d["refunded"] == 0));
    }
    // Bad input, by name.
    for (query, param) in [
        ("", "currency"),
        ("currency=xyz", "currency"),
        ("currency=usd&days=91", "days"),
        ("currency=usd&days=0", "days"),
        ("currency=usd&limit=3", "limit"),
    ] {
        let bad = api.get(key, &format!("/v1/reporting/volume?{query}")).await;
        assert_eq!(bad.error(400).1.as_deref(), Some(param), "{query}");
    }
}
