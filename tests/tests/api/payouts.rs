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

/// `GET /v1/balance_transactions?payout=...`: (type, source, net) of each.
async fn reconciled(api: &TestApi, key: &str, payout: &str) -> Vec<(String, String, i64)> {
    let r = api
        .get(key, &format!("/v1/balance_transactions?payout={payout}&limit=100"))
        .await
        .ok();
    assert_eq!(r.body["has_more"], false);
    let mut rows: Vec<(String, String, i64)> = r
        .data()
        .iter()
        .map(|t| {
            (
                t["type"].as_str().unwrap().to_owned(),
                t["source"].as_str().unwrap().to_owned(),
                t["net"].as_i64().unwrap(),
            )
        })
        .collect();
    rows.sort();
    rows
}

const DAY: i64 = 86_400;

#[tokio::test]
async fn a_daily_schedule_pays_out_each_settled_day_once_and_reconciles_it() {
    let api = TestApi::spawn_with_webhooks().await;
    let m = api.merchant("Daily").await;
    let key = &m.test_key;
    bank_account(&api, &m.account_id, Mode::Test, "000123456789").await;
    // As `paynectra-admin accounts settlement --payout-schedule daily` sets it.
    let tenant = Tenant::new(m.account_id.parse::<AccountId>().unwrap(), Mode::Test);
    let daily = paynectra::domain::Settlement::default().paid_out(paynectra::domain::balance::PayoutSchedule::Daily);
    api.app.store.set_settlement(&tenant, &daily).await.unwrap();
    api.app.store.set_automatic_payouts(&tenant, true).await.unwrap();
    let day0 = api.now().div_euclid(DAY);

    // Day 0: a capture available at once (net 9,680), one available in two
    // days (net 4,825), a refund of 1,000 off the available balance.
    let now_pay = api.paid_with(key, "pm_card_bypassPending", 10_000).await;
    let later_pay = api.paid_with(key, "pm_card_visa", 5_000).await;
    until(&api, key, "/v1/balance", |b| available(b) == 9_680).await;
    let refund = api.refund(key, json!({"payment_id": now_pay, "amount": 1_000})).await;
    assert_eq!(refund.status, 200, "{}", refund.text);
    let refund_id = refund.body["id"].as_str().unwrap().to_owned();
    until(&api, key, "/v1/balance", |b| available(b) == 8_680).await;

    // A daily schedule makes manual payouts refusals.
    let manual = api
        .post(key, "/v1/payouts", json!({"amount": 100, "currency": "usd"}))
        .await;
    assert_eq!(manual.error(400).0.as_deref(), Some("payouts_not_allowed"));
    // Nothing is paid out the day the funds become available (the hourly
    // run, locally every ten seconds of the app's clock, finds no day
    // settled yet).
    api.advance(30);
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert!(api.get(key, "/v1/payouts").await.ok().data().is_empty());

    // Twenty minutes after midnight a refund is taken off the available
    // balance at once: it counts for day 1, so day 0's payout still pays
    // day 0's net, and the available balance goes below zero for it, as
    // Stripe's may.
    api.advance((day0 + 1) * DAY + 1_200 - api.now());
    let late = api.refund(key, json!({"payment_id": now_pay, "amount": 500})).await;
    assert_eq!(late.status, 200, "{}", late.text);
    let late_id = late.body["id"].as_str().unwrap().to_owned();
    until(&api, key, "/v1/balance", |b| available(b) == 8_180).await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert!(
        api.get(key, "/v1/payouts").await.ok().data().is_empty(),
        "not an hour yet"
    );

    // An hour after midnight, day 0 is settled: its net is paid out.
    api.advance((day0 + 1) * DAY + 3_601 - api.now());
    let listed = until(&api, key, "/v1/payouts", |l| !l["data"].as_array().unwrap().is_empty()).await;
    let first = listed["data"][0].clone();
    assert_eq!(
        (
            &first["automatic"],
            &first["amount"],
            &first["status"],
            &first["description"]
        ),
        (
            &json!(true),
            &json!(8_680),
            &json!("pending"),
            &json!("AUTOMATIC PAYOUT")
        ),
        "{first}"
    );
    let first_id = first["id"].as_str().unwrap().to_owned();
    // Reconciliation: what it settled, and its own transaction; they net to zero.
    assert_eq!(
        reconciled(&api, key, &first_id).await,
        vec![
            ("payment".into(), now_pay.clone(), 9_680),
            ("payout".into(), first_id.clone(), -8_680),
            ("refund".into(), refund_id, -1_000),
        ],
        "sorted by type"
    );
    until(&api, key, "/v1/balance", |b| available(b) == -500).await;

    // Day 1: another capture available at once. Later runs that day pay
    // nothing more.
    let day1_pay = api.paid_with(key, "pm_card_bypassPending", 2_000).await;
    until(&api, key, "/v1/balance", |b| available(b) == 1_412).await;
    api.advance(3_600);
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(api.get(key, "/v1/payouts").await.ok().data().len(), 1, "one a day");

    // Day 3, an hour in: days 1 to 3 are settled, the capture of day 0 that
    // became available at day 3's start and the refund of day 1 among them;
    // the balance is back to zero.
    api.advance((day0 + 3) * DAY + 3_601 - api.now());
    let listed = until(&api, key, "/v1/payouts", |l| l["data"].as_array().unwrap().len() == 2).await;
    let second = listed["data"][0].clone();
    assert_eq!((&second["automatic"], &second["amount"]), (&json!(true), &json!(6_237)));
    let second_id = second["id"].as_str().unwrap().to_owned();
    assert_eq!(reconciled(&api, key, &second_id).await, {
        let mut want: Vec<(String, String, i64)> = vec![
            ("payment".into(), day1_pay, 1_912),
            ("payment".into(), later_pay, 4_825),
            ("payout".into(), second_id.clone(), -6_237),
            ("refund".into(), late_id, -500),
        ];
        want.sort();
        want
    });
    until(&api, key, "/v1/balance", |b| available(b) == 0).await;
    // The first payout's list is unchanged; filters narrow it.
    assert_eq!(reconciled(&api, key, &first_id).await.len(), 3);
    let of_type = api
        .get(key, &format!("/v1/balance_transactions?payout={first_id}&type=payment"))
        .await
        .ok();
    assert_eq!(of_type.data().len(), 1);
    let other_currency = api
        .get(key, &format!("/v1/balance_transactions?payout={first_id}&currency=eur"))
        .await
        .ok();
    assert!(other_currency.data().is_empty());
    // Pages: one at a time, each once.
    let page1 = api
        .get(key, &format!("/v1/balance_transactions?payout={first_id}&limit=2"))
        .await
        .ok();
    assert_eq!((page1.data().len(), &page1.body["has_more"]), (2, &json!(true)));
    let last = page1.data()[1]["id"].as_str().unwrap().to_owned();
    let page2 = api
        .get(
            key,
            &format!("/v1/balance_transactions?payout={first_id}&limit=2&starting_after={last}"),
        )
        .await
        .ok();
    assert_eq!((page2.data().len(), &page2.body["has_more"]), (1, &json!(false)));
    // Another account's payout is no payout of this one: 404, as for an unknown id.
    let other = api.merchant("Other").await;
    let theirs = api
        .get(&other.test_key, &format!("/v1/balance_transactions?payout={first_id}"))
        .await;
    assert_eq!(theirs.error(404).0.as_deref(), Some("resource_missing"));
    assert_eq!(theirs.body["error"]["param"], "payout");
}

#[tokio::test]
async fn only_an_automatic_payout_reconciles_by_payout() {
    let api = TestApi::spawn_with_webhooks().await;
    let m = api.merchant("Manual").await;
    let key = &m.test_key;
    bank_account(&api, &m.account_id, Mode::Test, "000123456789").await;
    api.paid_with(key, "pm_card_bypassPending", 10_000).await;
    until(&api, key, "/v1/balance", |b| available(b) == 9_680).await;
    let payout = api
        .post(key, "/v1/payouts", json!({"amount": 500, "currency": "usd"}))
        .await;
    assert_eq!(payout.status, 200, "{}", payout.text);
    let id = payout.body["id"].as_str().unwrap();
    assert_eq!(payout.body["automatic"], false);
    let r = api.get(key, &format!("/v1/balance_transactions?payout={id}")).await;
    assert_eq!(r.error(400).0.as_deref(), Some("parameter_invalid"));
    assert_eq!(r.body["error"]["param"], "payout");
    // Its own transaction is listed by source.
    let own = api
        .get(key, &format!("/v1/balance_transactions?source={id}"))
        .await
        .ok();
    assert_eq!(own.data().len(), 1);
    assert_eq!(own.data()[0]["net"], -500);
}
