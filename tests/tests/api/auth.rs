//! API keys and tenancy over real HTTP: Bearer and Basic, refusals that
//! all look alike, revoked keys, and accounts and modes that never see each
//! other's objects.

use std::collections::HashSet;

use base64::Engine;
use paynectra_tests::TestApi;
use serde_json::json;

#[tokio::test]
async fn modes_and_accounts_are_isolated() {
    let (api, [a, b]) = TestApi::with_merchants(["A", "B"]).await;

    let eur = json!({"amount": 1000, "currency": "eur"});
    let cus = api
        .create_customer(&a.test_key, json!({"name": "A's customer"}))
        .await
        .id();
    let pay = api.create_payment(&a.test_key, eur.clone()).await.id();
    let live = api.create_payment(&a.live_key, eur).await;
    assert_eq!(live.body["livemode"], true);
    let live_pay = live.id();

    // Another account, or the other mode, sees a 404 exactly like an unknown id.
    for (key, path) in [
        (&b.test_key, format!("/v1/payments/{pay}")),
        (&b.live_key, format!("/v1/payments/{pay}")),
        (&a.live_key, format!("/v1/payments/{pay}")),
        (&a.test_key, format!("/v1/payments/{live_pay}")),
        (&b.test_key, format!("/v1/customers/{cus}")),
        (&a.live_key, format!("/v1/customers/{cus}")),
    ] {
        let r = api.get(key, &path).await;
        assert_eq!(
            r.error(404),
            (Some("resource_missing".into()), Some("id".into())),
            "{path}"
        );
        let id = path.rsplit('/').next().unwrap();
        assert!(r.body["error"]["message"].as_str().unwrap().contains(id));
    }
    let unknown = api
        .get(&b.test_key, "/v1/payments/pay_0000000000000000000000000000000a")
        .await;
    assert_eq!(unknown.error(404).0.as_deref(), Some("resource_missing"));

    // Nor can it pay with another account's customer, or the other mode's.
    let for_cus = json!({"amount": 1000, "currency": "eur", "customer_id": cus});
    for key in [&b.test_key, &a.live_key] {
        let r = api.create_payment(key, for_cus.clone()).await;
        assert_eq!(
            r.error(400),
            (Some("resource_missing".into()), Some("customer_id".into()))
        );
    }
    let own = api.create_payment(&a.test_key, for_cus).await;
    assert_eq!(own.status, 200);
}

#[tokio::test]
async fn authentication() {
    let (api, [m]) = TestApi::with_merchants(["Auth"]).await;
    let path = "/v1/payments/pay_0000000000000000000000000000000a";

    // Bearer and Basic (key as user name, empty password) both work.
    assert_eq!(api.get(&m.test_key, path).await.status, 404);
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:", m.test_key));
    let r = api
        .send(
            api.http
                .get(api.url(path))
                .header("Authorization", format!("Basic {basic}")),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);

    let refused = |header: Option<String>| {
        let mut req = api.http.get(api.url(path));
        if let Some(h) = header {
            req = req.header("Authorization", h);
        }
        api.send(req)
    };
    let with_password = base64::engine::general_purpose::STANDARD.encode(format!("{}:secret", m.test_key));
    let mut bodies = HashSet::new();
    for header in [
        None,
        Some(String::new()),
        Some("Bearer".into()),
        Some("Bearer sk_test_short".into()),
        Some(format!("Bearer {}x", m.test_key)),
        Some("Bearer sk_test_00000000000000000000000000000000".into()),
        Some(format!("Token {}", m.test_key)),
        Some(format!("Basic {with_password}")),
        Some("Basic not-base64!".into()),
        Some(m.test_key.clone()),
    ] {
        let r = refused(header.clone()).await;
        assert_eq!(r.error(401).0.as_deref(), Some("api_key_invalid"), "{header:?}");
        r.assert_request_id();
        assert!(!r.text.contains(&m.test_key[8..]), "the key is never echoed");
        bodies.insert(r.text.clone());
    }
    assert_eq!(bodies.len(), 1, "every refusal looks the same");

    // A revoked key is refused the same way; the account's other key still works.
    let keys = api
        .app
        .store
        .list_api_keys(&m.account_id.parse().unwrap())
        .await
        .unwrap();
    let test_key = keys.iter().find(|k| k.mode == paynectra::domain::Mode::Test).unwrap();
    paynectra::service::accounts::revoke_key(&api.app.store, &test_key.account_id, &test_key.id)
        .await
        .unwrap();
    let r = api.get(&m.test_key, path).await;
    r.error(401);
    assert!(bodies.contains(&r.text));
    assert_eq!(api.get(&m.live_key, path).await.status, 404);
}

/// Growing an account's list shards races rolling its keys: whichever
/// order they commit in, every active key ends up with the account's count
/// (a key that kept a smaller count would list fewer shards than the
/// account's other keys write).
#[tokio::test]
async fn list_shard_growth_racing_key_rolls_leaves_every_key_with_the_count() {
    use paynectra::{
        domain::{AccountId, KeyKind, KeyStatus, Mode},
        service::accounts::{revoke_key, roll_key},
        store::StoreError,
    };
    let api = TestApi::spawn().await;
    let m = api.merchant("Racing").await;
    let account: AccountId = m.account_id.parse().unwrap();
    let store = &api.app.store;
    for round in 2..=9u8 {
        let grow = async {
            // A growth that lost the race to a roll is run again.
            loop {
                match store.set_list_shards(&account, round).await {
                    Err(StoreError::Conflict) => continue,
                    done => break done,
                }
            }
        };
        let mode = if round % 2 == 0 { Mode::Test } else { Mode::Live };
        // The mode's secret keys revoked first: the roll then revokes
        // nothing, so only the account item orders it against the growth.
        for k in store.list_api_keys(&account).await.unwrap() {
            if k.mode == mode && k.kind == KeyKind::Secret && k.status == KeyStatus::Active {
                revoke_key(store, &account, &k.id).await.unwrap();
            }
        }
        let (grown, rolled) = futures::future::join(grow, roll_key(store, &account, mode, api.now())).await;
        grown.unwrap();
        rolled.unwrap();
        let count = store.list_shards(&account).await.unwrap();
        assert_eq!(count, round);
        for k in store.list_api_keys(&account).await.unwrap() {
            if k.status == KeyStatus::Active {
                assert_eq!(k.list_shards, count, "round {round}: key {} ({:?})", k.id, k.mode);
            }
        }
    }
}

/// Every operation of `openapi.yaml`: (method, path template).
fn operations() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(paynectra_tests::repo_root().join("openapi.yaml")).unwrap();
    let spec: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_mapping().unwrap() {
        for (method, _) in item.as_mapping().unwrap() {
            let method = method.as_str().unwrap();
            if ["get", "post", "delete", "put", "patch"].contains(&method) {
                out.push((method.to_uppercase(), path.as_str().unwrap().to_owned()));
            }
        }
    }
    out
}

#[tokio::test]
async fn restricted_keys_read_everything_of_their_mode_and_write_nothing() {
    let (api, [a, b]) = TestApi::with_merchants(["A", "B"]).await;
    let sk = &a.test_key;
    let cus = api.new_customer(sk, json!({"email": "jenny@example.com"})).await;
    let pay = api.paid_with(sk, "pm_card_visa", 2_000).await;
    let refund = api.refund(sk, json!({"payment_id": pay, "amount": 500})).await.ok();
    let re = refund.id();
    let endpoint = api
        .post(
            sk,
            "/v1/webhook_endpoints",
            json!({"url": "https://example.com/hook", "enabled_events": ["*"]}),
        )
        .await
        .ok()
        .id();
    let evt = api.get(sk, "/v1/events?limit=1").await.ok().ids()[0].clone();
    let rk = api.restricted_key(&a, paynectra::domain::Mode::Test).await;
    assert!(rk.starts_with("rk_test_"));

    let fill = |path: &str| {
        let id = if path.starts_with("/v1/payments") {
            &pay
        } else if path.starts_with("/v1/customers") {
            &cus
        } else if path.starts_with("/v1/refunds") || path.starts_with("/v1/test_helpers/refunds") {
            &re
        } else if path.starts_with("/v1/webhook_endpoints") {
            &endpoint
        } else if path.starts_with("/v1/events") {
            &evt
        } else {
            "x_1"
        };
        path.replace("{id}", id).replace("{payment_method}", "pm_1")
    };

    // Every read answers as it does to the secret key: the same objects.
    let mut read = 0;
    for (method, path) in operations().into_iter().filter(|(m, _)| m == "GET") {
        let path = fill(&path);
        if path.contains("x_1") {
            continue;
        }
        let with_rk = api.get(&rk, &path).await;
        let with_sk = api.get(sk, &path).await;
        assert_eq!(
            (with_rk.status, &with_rk.body),
            (with_sk.status, &with_sk.body),
            "{method} {path}"
        );
        if with_rk.status == 200 {
            read += 1;
        }
    }
    assert!(read >= 10, "only {read} reads answered 200");

    // Every write is a 403 secret_key_required, and writes nothing.
    let before = api.get(sk, "/v1/events?limit=100").await.ok().ids();
    let mut writes = 0;
    for (method, path) in operations().into_iter().filter(|(m, _)| m != "GET") {
        let path = fill(&path);
        let req = api
            .request(method.parse().unwrap(), &rk, &path)
            .header("Idempotency-Key", format!("rk-{method}-{path}"))
            .json(&json!({"amount": 100, "currency": "usd", "payment_id": pay, "url": "https://example.com/x"}));
        let r = api.send(req).await;
        assert_eq!(
            r.error(403).0.as_deref(),
            Some("secret_key_required"),
            "{method} {path}"
        );
        assert!(r.body["error"]["message"].as_str().unwrap().contains("restricted"));
        writes += 1;
    }
    assert!(writes >= 15, "{writes} writes tried");
    assert_eq!(
        api.get(sk, "/v1/events?limit=100").await.ok().ids(),
        before,
        "no event: nothing changed"
    );
    assert_eq!(
        api.get(sk, &format!("/v1/refunds?payment_id={pay}"))
            .await
            .ok()
            .data()
            .len(),
        1
    );

    // Tenancy as for secret keys: the other mode's and account's objects are
    // 404s; a revoked restricted key is a 401 like any other.
    let live_pay = api
        .new_payment(&a.live_key, json!({"amount": 1000, "currency": "usd"}))
        .await;
    let other = api
        .new_payment(&b.test_key, json!({"amount": 1000, "currency": "usd"}))
        .await;
    for id in [&live_pay, &other] {
        let r = api.get(&rk, &format!("/v1/payments/{id}")).await;
        assert_eq!(r.error(404).0.as_deref(), Some("resource_missing"));
    }
    assert!(!api.list_payments(&rk, "").await.ok().ids().contains(&live_pay));
    let account: paynectra::domain::AccountId = a.account_id.parse().unwrap();
    let keys = api.app.store.list_api_keys(&account).await.unwrap();
    let restricted = keys
        .iter()
        .find(|k| k.kind == paynectra::domain::KeyKind::Restricted)
        .unwrap();
    paynectra::service::accounts::revoke_key(&api.app.store, &account, &restricted.id)
        .await
        .unwrap();
    let r = api.get(&rk, "/v1/payments").await;
    assert_eq!(r.error(401).0.as_deref(), Some("api_key_invalid"));
}
