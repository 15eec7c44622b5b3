//! Payouts over HTTP: the available balance paid out in one conditional
//! transaction (concurrent payouts never overdraw it), cancelled while
//! pending, moved on by the simulated bank to paid, or failed for Stripe's
//! failing test account number with the funds given back.

use std::time::Duration;

use paynectra::domain::{AccountId, BankAccount, Currency, Mode, Tenant};
use paynectra_tests::TestApi;
use serde_json::{json, Value};

/// Sets `account`'s bank account in `mode`, as `paynectra-admin accounts
/// bank-account` does.
async fn bank_account(api: &TestApi, account: &str, mode: Mode, number: &str) {
    let tenant = Tenant::new(account.parse::<AccountId>().unwrap(), mode);
    let usd = Currency::from_code("usd").unwrap();
    let bank = BankAccount::parse("110000000", number, usd).unwrap();
    api.app.store.set_bank_account(&tenant, &bank).await.unwrap();
}

fn available(balance: &Value) -> i64 {
    balance["available"][0]["amount"].as_i64().unwrap()
}

/// Reads `path` until `done` holds for it.
async fn until(api: &TestApi, key: &str, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut body = Value::Null;
    for _ in 0..200 {
        body = api.get(key, path).await.ok().body;
        if done(&body) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never got there: {body}");
}

#[tokio::test]
async fn concurrent_payouts_never_overdraw_and_the_bank_pays_or_fails_them() {
    let api = TestApi::spawn_with_webhooks().await;
    let (m, other) = (api.merchant("Payouts").await, api.merchant("Other").await);
    let key = &m.test_key;

    // No bank account yet: nowhere to pay out to.
    let none = api
        .post(key, "/v1/payouts", json!({"amount": 100, "currency": "usd"}))
        .await;
    assert_eq!(
        none.error(400).0.as_deref(),
        Some("no_external_account"),
        "{}",
        none.text
    );
    bank_account(&api, &m.account_id, Mode::Test, "000123456789").await;
    let eur = api
        .post(key, "/v1/payouts", json!({"amount": 100, "currency": "eur"}))
        .await;
    assert_eq!(
        eur.error(400),
        (Some("no_external_account".into()), Some("currency".into()))
    );
    for (body, param) in [
        (json!({"currency": "usd"}), "amount"),
        (json!({"amount": 0, "currency": "usd"}), "amount"),
        (json!({"amount": 100}), "currency"),
        (
            json!({"amount": 100, "currency": "usd", "destination": "ba_1"}),
            "destination",
        ),
    ] {
        let bad = api.post(key, "/v1/payouts", body.clone()).await;
        assert_eq!(bad.error(400).1.as_deref(), Some(param), "{body}: {}", bad.text);
    }

    // 9,680 available at once (4000 0000 0000 0077); ten concurrent payouts
    // of a fifth of it: exactly five succeed.
    api.paid_with(key, "pm_card_bypassPending", 10_000).await;
    until(&api, key, "/v1/balance", |b| available(b) == 9_680).await;
    let fifth = 9_680 / 5;
    let replies = futures::future::join_all((0..10).map(|i| {
        api.post(
            key,
            "/v1/payouts",
            json!({"amount": fifth, "currency": "usd", "metadata": {"n": i.to_string()}}),
        )
    }))
    .await;
    let paid: Vec<&Value> = replies.iter().filter(|r| r.status == 200).map(|r| &r.body).collect();
    let refused: Vec<_> = replies.iter().filter(|r| r.status != 200).collect();
    assert_eq!(
        paid.len(),
        5,
        "{:?}",
        replies.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    for r in &refused {
        assert_eq!(
            r.error(400),
            (Some("balance_insufficient".into()), Some("amount".into())),
            "{}",
            r.text
        );
    }
    assert_eq!(available(&api.get(key, "/v1/balance").await.ok().body), 0);
    let p = paid[0];
    assert_eq!(
        (
            &p["object"],
            &p["status"],
            &p["amount"],
            &p["destination"]["last4"],
            &p["livemode"]
        ),
        (
            &json!("payout"),
            &json!("pending"),
            &json!(fifth),
            &json!("6789"),
            &json!(false)
        )
    );
    assert!(
        !p.to_string().contains("000123456789"),
        "the account number is never shown"
    );
    let txn = api
        .get(
            key,
            &format!(
                "/v1/balance_transactions/{}",
                p["balance_transaction"].as_str().unwrap()
            ),
        )
        .await
        .ok()
        .body;
    assert_eq!(
        (&txn["type"], &txn["net"], &txn["status"], &txn["source"]),
        (&json!("payout"), &json!(-fifth), &json!("available"), &p["id"])
    );
    let listed = api.get(key, "/v1/payouts?status=pending").await.ok();
    assert_eq!(listed.data().len(), 5);

    // One cancelled while pending: its amount is back, once.
    let first = p["id"].as_str().unwrap().to_owned();
    let cancelled = api
        .post(key, &format!("/v1/payouts/{first}/cancel"), json!({}))
        .await
        .ok();
    assert_eq!(cancelled.body["status"], "cancelled");
    let back = cancelled.body["failure_balance_transaction"]
        .as_str()
        .unwrap()
        .to_owned();
    let t = api
        .get(key, &format!("/v1/balance_transactions/{back}"))
        .await
        .ok()
        .body;
    assert_eq!((&t["type"], &t["net"]), (&json!("payout_cancel"), &json!(fifth)));
    let again = api.post(key, &format!("/v1/payouts/{first}/cancel"), json!({})).await;
    assert_eq!(again.error(400).0.as_deref(), Some("payout_unexpected_state"));
    assert_eq!(available(&api.get(key, "/v1/balance").await.ok().body), fifth);

    // The bank takes the rest a minute after, and pays them at their
    // arrival date.
    let second = paid[1]["id"].as_str().unwrap().to_owned();
    api.advance(61);
    until(&api, key, &format!("/v1/payouts/{second}"), |p| {
        p["status"] == "in_transit"
    })
    .await;
    let late = api.post(key, &format!("/v1/payouts/{second}/cancel"), json!({})).await;
    assert_eq!(late.error(400).0.as_deref(), Some("payout_unexpected_state"));
    api.advance(60);
    let done = until(&api, key, &format!("/v1/payouts/{second}"), |p| p["status"] == "paid").await;
    assert!(done["arrival_date"].as_i64().unwrap() <= api.now());
    let events = until(&api, key, "/v1/events?type=payout.paid", |e| {
        e["data"].as_array().unwrap().len() == 4
    })
    .await;
    assert_eq!(events["data"][0]["data"]["object"]["status"], "paid");
    assert_eq!(api.list_events(key, "type=payout.created").await.ok().data().len(), 5);
    assert_eq!(api.list_events(key, "type=payout.cancelled").await.ok().data().len(), 1);

    // Stripe's failing test account number: the payout fails, and its
    // amount comes back with a payout_failure transaction.
    bank_account(&api, &m.account_id, Mode::Test, "000111111116").await;
    let failing = api
        .post(key, "/v1/payouts", json!({"amount": fifth, "currency": "usd"}))
        .await
        .ok();
    assert_eq!(failing.body["destination"]["last4"], "1116");
    assert_eq!(available(&api.get(key, "/v1/balance").await.ok().body), 0);
    api.advance(61);
    let id = failing.id();
    until(&api, key, &format!("/v1/payouts/{id}"), |p| p["status"] == "in_transit").await;
    api.advance(60);
    let failed = until(&api, key, &format!("/v1/payouts/{id}"), |p| p["status"] == "failed").await;
    assert_eq!(failed["failure_code"], "no_account");
    assert!(failed["failure_message"].is_string());
    let t = api
        .get(
            key,
            &format!(
                "/v1/balance_transactions/{}",
                failed["failure_balance_transaction"].as_str().unwrap()
            ),
        )
        .await
        .ok()
        .body;
    assert_eq!((&t["type"], &t["net"]), (&json!("payout_failure"), &json!(fifth)));
    assert_eq!(available(&api.get(key, "/v1/balance").await.ok().body), fifth);
    assert_eq!(api.list_events(key, "type=payout.failed").await.ok().data().len(), 1);

    // Every number adds up: the balance is the sum of the transactions.
    let all = api.get(key, "/v1/balance_transactions?limit=100").await.ok();
    let net: i64 = all.data().iter().map(|t| t["net"].as_i64().unwrap()).sum();
    assert_eq!(net, fifth, "{:?}", all.data());
    let by_type = api.get(key, "/v1/balance_transactions?type=payout").await.ok();
    assert_eq!(by_type.data().len(), 6);
    assert_eq!(
        api.get(key, &format!("/v1/balance_transactions?source={id}"))
            .await
            .ok()
            .data()
            .len(),
        2
    );

    // Another account's payouts are not there; live mode has no funds.
    let r = api.get(&other.test_key, &format!("/v1/payouts/{second}")).await;
    assert_eq!(r.error(404), (Some("resource_missing".into()), Some("id".into())));
    assert!(api.get(&other.test_key, "/v1/payouts").await.ok().data().is_empty());
    assert!(api.get(&m.live_key, "/v1/payouts").await.ok().data().is_empty());
    bank_account(&api, &m.account_id, Mode::Live, "000123456789").await;
    let live = api
        .post(&m.live_key, "/v1/payouts", json!({"amount": 100, "currency": "usd"}))
        .await;
    assert_eq!(
        live.error(400).0.as_deref(),
        Some("balance_insufficient"),
        "{}",
        live.text
    );
}

#[tokio::test]
async fn a_daily_schedule_pays_out_the_available_balance_once_a_day() {
    let api = TestApi::spawn_with_webhooks().await;
    let m = api.merchant("Daily").await;
    let key = &m.test_key;
    bank_account(&api, &m.account_id, Mode::Test, "000123456789").await;
    // As `paynectra-admin accounts settlement --payout-schedule daily` sets it.
    let tenant = Tenant::new(m.account_id.parse::<AccountId>().unwrap(), Mode::Test);
    let daily = paynectra::domain::Settlement::default().paid_out(paynectra::domain::balance::PayoutSchedule::Daily);
    api.app.store.set_settlement(&tenant, &daily).await.unwrap();
    api.app.store.set_automatic_payouts(&tenant, true).await.unwrap();

    // Funds available at once are paid out by the next hourly run (locally
    // every ten seconds of the app's clock).
    api.paid_with(key, "pm_card_bypassPending", 10_000).await;
    let listed = until(&api, key, "/v1/payouts", |l| !l["data"].as_array().unwrap().is_empty()).await;
    let auto = &listed["data"][0];
    assert_eq!(
        (&auto["automatic"], &auto["amount"], &auto["status"]),
        (&json!(true), &json!(9_680), &json!("pending")),
        "{auto}"
    );
    until(&api, key, "/v1/balance", |b| available(b) == 0).await;

    // More funds the same day wait for tomorrow's run.
    api.paid_with(key, "pm_card_bypassPending", 5_000).await;
    until(&api, key, "/v1/balance", |b| available(b) == 4_825).await;
    api.advance(30);
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(api.get(key, "/v1/payouts").await.ok().data().len(), 1, "one a day");
    api.advance(86_400);
    let listed = until(&api, key, "/v1/payouts", |l| l["data"].as_array().unwrap().len() == 2).await;
    assert_eq!(
        (&listed["data"][0]["automatic"], &listed["data"][0]["amount"]),
        (&json!(true), &json!(4_825))
    );
    // A manual payout still works beside it (nothing left to pay now).
    let none = api
        .post(key, "/v1/payouts", json!({"amount": 1, "currency": "usd"}))
        .await;
    assert_eq!(none.error(400).0.as_deref(), Some("balance_insufficient"));
}
