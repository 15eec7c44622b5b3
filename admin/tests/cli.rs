//! The admin tool as an operator runs it, against DynamoDB Local; keys it
//! prints are checked through the same authentication the authorizer uses.

use std::process::{Command, Output};

use paynectra::{http::auth::authenticate, store::Store};
use paynectra_tests::{child_env, fresh_store};
use serde_json::Value;

fn admin(store: &Store, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_paynectra-admin"))
        .args(args)
        .envs(child_env(store))
        .output()
        .expect("run paynectra-admin")
}

fn json(out: &Output) -> Value {
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

async fn works(store: &Store, key: &str) -> bool {
    authenticate(store, Some(&format!("Bearer {key}")))
        .await
        .unwrap()
        .is_some()
}

#[tokio::test]
async fn accounts_and_keys_lifecycle() {
    let store = fresh_store().await;

    let created = json(&admin(&store, &["accounts", "create", "--name", "Acme Ltd"]));
    let mut fields: Vec<&str> = created.as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "id",
            "live_publishable_key",
            "live_secret_key",
            "name",
            "test_publishable_key",
            "test_secret_key"
        ]
    );
    assert_eq!(created["name"], "Acme Ltd");
    let account = created["id"].as_str().unwrap();
    let test_key = created["test_secret_key"].as_str().unwrap();
    let live_key = created["live_secret_key"].as_str().unwrap();
    assert!(account.starts_with("acct_"));
    assert!(test_key.starts_with("sk_test_") && live_key.starts_with("sk_live_"));
    assert!(works(&store, test_key).await && works(&store, live_key).await);

    // Listing shows ids and hints, never a secret.
    let listed = admin(&store, &["keys", "list", "--account", account]);
    let text = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(!text.contains(&test_key[8..]) && !text.contains(&live_key[8..]));
    let keys = json(&listed)["keys"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 4, "test and live, secret and publishable");
    assert!(keys.iter().all(|k| k["status"] == "active"));

    // Rolling the test key: the new one works, the old one does not, live is untouched.
    let rolled = json(&admin(
        &store,
        &["keys", "roll", "--account", account, "--mode", "test"],
    ));
    let new_key = rolled["secret_key"].as_str().unwrap();
    assert!(new_key.starts_with("sk_test_"));
    assert_eq!(rolled["revoked"].as_array().unwrap().len(), 1);
    assert!(works(&store, new_key).await);
    assert!(!works(&store, test_key).await);
    assert!(works(&store, live_key).await);

    // A restricted key for test mode: printed once, works, never listed in
    // clear; the other keys stay.
    let restricted = json(&admin(
        &store,
        &["keys", "restricted", "--account", account, "--mode", "test"],
    ));
    let rk = restricted["restricted_key"].as_str().unwrap();
    assert!(rk.starts_with("rk_test_"), "{restricted}");
    assert_eq!(restricted["key"]["kind"], "restricted");
    let found = authenticate(&store, Some(&format!("Bearer {rk}")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.kind, paynectra::domain::KeyKind::Restricted);
    assert!(works(&store, new_key).await, "the secret key stays");
    let text = String::from_utf8_lossy(&admin(&store, &["keys", "list", "--account", account]).stdout).into_owned();
    assert!(!text.contains(&rk[8..]));
    let rk_id = restricted["key"]["id"].as_str().unwrap();
    json(&admin(
        &store,
        &["keys", "revoke", "--account", account, "--key", rk_id],
    ));
    assert!(!works(&store, rk).await, "revoked");

    // Revoking the live key.
    let keys = json(&admin(&store, &["keys", "list", "--account", account]))["keys"].clone();
    let live_id = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["mode"] == "live" && k["kind"] == "secret" && k["status"] == "active")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = json(&admin(
        &store,
        &["keys", "revoke", "--account", account, "--key", &live_id],
    ));
    assert_eq!(revoked["status"], "revoked");
    assert!(!works(&store, live_key).await);

    // Revoking it again, or an unknown account, fails with a message and a non-zero exit.
    let again = admin(&store, &["keys", "revoke", "--account", account, "--key", &live_id]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains(&live_id));
    let unknown = admin(
        &store,
        &["keys", "list", "--account", "acct_00000000000000000000000000000000"],
    );
    assert!(!unknown.status.success());
    let bad = admin(&store, &["keys", "list", "--account", "cus_123"]);
    assert!(!bad.status.success(), "ids are parsed, not passed through");
}

#[tokio::test]
async fn growing_an_accounts_list_shards() {
    let store = fresh_store().await;
    let created = json(&admin(&store, &["accounts", "create", "--name", "Big shop"]));
    let account = created["id"].as_str().unwrap();
    let test_key = created["test_secret_key"].as_str().unwrap();
    let shards = |args: &[&str]| {
        admin(
            &store,
            &[&["accounts", "shard-lists", "--account", account], args].concat(),
        )
    };

    let grown = json(&shards(&["--shards", "16"]));
    assert_eq!(grown, serde_json::json!({"account_id": account, "list_shards": 16}));
    // Every key carries it, so the authorizer hands it to the functions.
    let keys = json(&admin(&store, &["keys", "list", "--account", account]))["keys"].clone();
    assert!(
        keys.as_array().unwrap().iter().all(|k| k["list_shards"] == 16),
        "{keys}"
    );
    let key = authenticate(&store, Some(&format!("Bearer {test_key}")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(key.tenant().list_shards(), 16);

    // It only grows; out of range and unknown accounts are refused.
    let shrink = shards(&["--shards", "4"]);
    assert!(!shrink.status.success());
    assert!(String::from_utf8_lossy(&shrink.stderr).contains("have 16 shards"));
    assert_eq!(json(&shards(&["--shards", "16"]))["list_shards"], 16);
    for bad in ["0", "65", "x"] {
        assert!(!shards(&["--shards", bad]).status.success(), "{bad}");
    }
    let unknown = admin(
        &store,
        &[
            "accounts",
            "shard-lists",
            "--account",
            "acct_00000000000000000000000000000000",
            "--shards",
            "2",
        ],
    );
    assert!(!unknown.status.success());
    // A rolled key inherits the count.
    let rolled = json(&admin(
        &store,
        &["keys", "roll", "--account", account, "--mode", "test"],
    ));
    assert_eq!(rolled["key"]["list_shards"], 16);
    let new_key = rolled["secret_key"].as_str().unwrap();
    assert!(works(&store, new_key).await);
    let keys = json(&admin(&store, &["keys", "list", "--account", account]))["keys"].clone();
    let active_test: Vec<&Value> = keys
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["mode"] == "test" && k["kind"] == "secret" && k["status"] == "active")
        .collect();
    assert_eq!(active_test.len(), 1);
    assert_eq!(active_test[0]["id"], rolled["key"]["id"]);
    assert_eq!(active_test[0]["list_shards"], 16);
}

#[tokio::test]
async fn refunds_from_before_refund_states_join_their_status_list() {
    use paynectra::domain::{ListWindow, Mode, RefundStatus};
    let store = fresh_store().await;
    let created = json(&admin(&store, &["accounts", "create", "--name", "Old shop"]));
    let tenant = paynectra::domain::Tenant::new(created["id"].as_str().unwrap().parse().unwrap(), Mode::Test);
    let payment =
        paynectra::domain::Payment::create(paynectra_tests::usd_payment(1000, None), Mode::Test, 1).captured();
    store
        .insert(&tenant, &payment, paynectra::store::Writes::NONE)
        .await
        .unwrap();
    let new = paynectra::domain::NewRefund {
        payment_id: payment.id.clone(),
        amount: None,
        reason: None,
        metadata: Default::default(),
    };
    let refund = paynectra::domain::Refund {
        status: RefundStatus::Succeeded,
        ..paynectra::domain::Refund::against(&new, &payment, 2).unwrap()
    };
    store
        .insert_refund(&tenant, &refund, paynectra::store::Writes::NONE)
        .await
        .unwrap();
    // As a refund written before states: no status list key.
    let client = store.client();
    let items = client
        .scan()
        .table_name(store.table())
        .filter_expression("sk = :sk")
        .expression_attribute_values(":sk", aws_sdk_dynamodb::types::AttributeValue::S("refund".into()))
        .send()
        .await
        .unwrap();
    let item = &items.items()[0];
    client
        .update_item()
        .table_name(store.table())
        .key("pk", item["pk"].clone())
        .key("sk", item["sk"].clone())
        .update_expression("REMOVE gsi3pk, gsi3sk, revision, list_shards")
        .send()
        .await
        .unwrap();
    let succeeded = || async {
        let filter = paynectra::store::RefundFilter {
            status: Some(RefundStatus::Succeeded),
            ..Default::default()
        };
        let (page, _) = store
            .list_refunds(&tenant, &filter, &ListWindow::new(None, None, None).unwrap())
            .await
            .unwrap();
        page.data.into_iter().map(|r| r.id).collect::<Vec<_>>()
    };
    assert!(succeeded().await.is_empty(), "not on its status list yet");
    assert_eq!(
        json(&admin(&store, &["refunds", "index-statuses"])),
        serde_json::json!({"indexed": 1})
    );
    assert_eq!(succeeded().await, [refund.id]);
    assert_eq!(
        json(&admin(&store, &["refunds", "index-statuses"])),
        serde_json::json!({"indexed": 0}),
        "once"
    );
}

#[tokio::test]
async fn setting_an_accounts_bank_account_stores_it_masked() {
    let store = fresh_store().await;
    let created = json(&admin(&store, &["accounts", "create", "--name", "Payee"]));
    let account = created["id"].as_str().unwrap();
    let set = |args: &[&str]| {
        admin(
            &store,
            &[
                &[
                    "accounts",
                    "bank-account",
                    "--account",
                    account,
                    "--routing-number",
                    "110000000",
                ],
                args,
            ]
            .concat(),
        )
    };
    let out = json(&set(&["--account-number", "000123456789"]));
    assert_eq!(
        out,
        serde_json::json!({"account_id": account, "modes": ["test", "live"],
            "bank_account": {"last4": "6789", "routing_number": "110000000", "currency": "usd"}})
    );
    let tenant = paynectra::domain::Tenant::new(account.parse().unwrap(), paynectra::domain::Mode::Test);
    let bank = store.bank_account(&tenant).await.unwrap().unwrap();
    assert_eq!((bank.last4.as_str(), bank.simulated_failure), ("6789", None));
    let failing = json(&set(&["--account-number", "000111111116", "--mode", "test"]));
    assert_eq!(failing["modes"], serde_json::json!(["test"]));
    let bank = store.bank_account(&tenant).await.unwrap().unwrap();
    assert_eq!(
        bank.simulated_failure,
        Some(paynectra::domain::PayoutFailureCode::NoAccount)
    );
    for bad in [
        &["--account-number", "12"][..],
        &["--account-number", "000123456789", "--currency", "xyz"],
    ] {
        assert!(!set(bad).status.success(), "{bad:?}");
    }
    let unknown = admin(
        &store,
        &[
            "accounts",
            "bank-account",
            "--account",
            "acct_00000000000000000000000000000000",
            "--routing-number",
            "110000000",
            "--account-number",
            "000123456789",
        ],
    );
    assert!(!unknown.status.success());
}

#[tokio::test]
async fn setting_an_accounts_settlement_terms() {
    let store = fresh_store().await;
    let created = json(&admin(&store, &["accounts", "create", "--name", "Priced"]));
    let account = created["id"].as_str().unwrap();
    let set = |args: &[&str]| {
        admin(
            &store,
            &[&["accounts", "settlement", "--account", account], args].concat(),
        )
    };
    let out = json(&set(&[
        "--percent-basis-points",
        "150",
        "--fixed-fee",
        "10",
        "--delay-days",
        "7",
        "--mode",
        "test",
    ]));
    assert_eq!(
        out,
        serde_json::json!({"account_id": account, "modes": ["test"], "percent_basis_points": 150,
            "fixed_fee": 10, "delay_days": 7, "payout_schedule": "manual"})
    );
    let tenant = paynectra::domain::Tenant::new(account.parse().unwrap(), paynectra::domain::Mode::Test);
    let terms = store.settlement(&tenant).await.unwrap().unwrap();
    assert_eq!(terms, paynectra::domain::Settlement::new(150, Some(10), 7).unwrap());
    let live = paynectra::domain::Tenant::new(account.parse().unwrap(), paynectra::domain::Mode::Live);
    assert!(store.settlement(&live).await.unwrap().is_none(), "only the mode asked");
    // A daily schedule puts the account in the automatic payout index; manual takes it out.
    let in_index = || async {
        let mut n = 0;
        for shard in 0..paynectra::store::AUTOPAY_SHARDS {
            n += store.automatic_payouts(shard).await.unwrap().len();
        }
        n
    };
    assert_eq!(in_index().await, 0);
    let daily = json(&set(&["--payout-schedule", "daily", "--mode", "test"]));
    assert_eq!(daily["payout_schedule"], "daily");
    assert_eq!(in_index().await, 1);
    assert_eq!(
        store.settlement(&tenant).await.unwrap().unwrap().payout_schedule,
        paynectra::domain::balance::PayoutSchedule::Daily
    );
    // Growing the account's lists moves its entry's shard count too (the
    // run reads the ledger and the balance with it); setting the schedule
    // again keeps it.
    let entry_shards = || async {
        let mut all = Vec::new();
        for shard in 0..paynectra::store::AUTOPAY_SHARDS {
            all.extend(store.automatic_payouts(shard).await.unwrap());
        }
        all.iter().map(|e| e.list_shards).collect::<Vec<_>>()
    };
    assert_eq!(entry_shards().await, [1]);
    json(&admin(
        &store,
        &["accounts", "shard-lists", "--account", account, "--shards", "4"],
    ));
    assert_eq!(entry_shards().await, [4]);
    json(&set(&["--payout-schedule", "daily", "--mode", "test"]));
    assert_eq!(entry_shards().await, [4]);
    json(&set(&["--mode", "test"]));
    assert_eq!(in_index().await, 0, "manual again: out of the index");
    for bad in [
        &["--percent-basis-points", "10001"][..],
        &["--delay-days", "31"],
        &["--fixed-fee", "-1"],
    ] {
        assert!(!set(bad).status.success(), "{bad:?}");
    }
}
