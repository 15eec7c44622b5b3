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
