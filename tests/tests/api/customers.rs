//! The customer resource over HTTP: list, update, delete, and what deletion
//! means for payments.

use paynectra_tests::TestApi;
use serde_json::{json, Value};

fn ids(r: &paynectra_tests::Reply) -> Vec<String> {
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn list_customers_with_cursors_and_email() {
    let api = TestApi::spawn().await;
    let a = api.merchant("A").await;
    let b = api.merchant("B").await;
    let mut made = Vec::new();
    for i in 0..7 {
        let email = if i % 2 == 0 {
            "Shared@Example.com".to_string()
        } else {
            format!("c{i}@example.com")
        };
        let r = api.post(&a.test_key, "/v1/customers", json!({"email": email})).await;
        made.push(r.body["id"].as_str().unwrap().to_owned());
    }
    api.post(&b.test_key, "/v1/customers", json!({"email": "shared@example.com"}))
        .await;
    api.post(&a.live_key, "/v1/customers", json!({"email": "shared@example.com"}))
        .await;
    made.reverse();

    let first = api.get(&a.test_key, "/v1/customers?limit=3").await;
    assert_eq!(first.body["url"], "/v1/customers");
    assert_eq!(ids(&first), made[..3]);
    assert_eq!(first.body["has_more"], true);
    let mut seen = ids(&first);
    loop {
        let r = api
            .get(
                &a.test_key,
                &format!("/v1/customers?limit=3&starting_after={}", seen.last().unwrap()),
            )
            .await;
        seen.extend(ids(&r));
        if r.body["has_more"] != true {
            break;
        }
    }
    assert_eq!(seen, made, "every customer once, newest first");
    let back = api
        .get(&a.test_key, &format!("/v1/customers?limit=3&ending_before={}", made[6]))
        .await;
    assert_eq!(ids(&back), made[3..6]);

    // Email: case-insensitive, this account and mode only.
    let shared = api.get(&a.test_key, "/v1/customers?email=shared@EXAMPLE.com").await;
    let expected: Vec<String> = made
        .iter()
        .enumerate()
        .filter(|(i, _)| (6 - i) % 2 == 0)
        .map(|(_, id)| id.clone())
        .collect();
    assert_eq!(ids(&shared), expected);
    assert_eq!(
        ids(&api.get(&a.test_key, "/v1/customers?email=nobody@example.com").await),
        Vec::<String>::new()
    );
    assert_eq!(ids(&api.get(&b.test_key, "/v1/customers").await).len(), 1);
    assert_eq!(ids(&api.get(&a.live_key, "/v1/customers").await).len(), 1);
    for (query, param) in [
        ("limit=101", "limit"),
        ("starting_after=pay_1", "starting_after"),
        (
            &format!(
                "starting_after={}",
                ids(&api.get(&b.test_key, "/v1/customers").await)[0]
            ),
            "starting_after",
        ),
        ("email=", "email"),
        ("name=x", "name"),
        ("email=a@b.co&email=c@d.co", "email"),
    ] {
        let r = api.get(&a.test_key, &format!("/v1/customers?{query}")).await;
        assert_eq!(r.error(400).1.as_deref(), Some(param), "{query}");
    }
}

#[tokio::test]
async fn update_customers() {
    let api = TestApi::spawn().await;
    let a = api.merchant("A").await;
    let b = api.merchant("B").await;
    let created = api
        .post(
            &a.test_key,
            "/v1/customers",
            json!({"email": "old@example.com", "name": "Jenny", "phone": "+14155550123", "address": {"city": "Paris", "country": "FR"}, "metadata": {"a": "1", "b": "2"}}),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/customers/{id}");

    let r = api
        .post(
            &a.test_key,
            &path,
            json!({"email": "new@example.com", "phone": "", "metadata": {"a": "", "c": "3"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["email"], "new@example.com");
    assert!(r.body["phone"].is_null());
    assert_eq!(r.body["name"], "Jenny", "fields not sent stay");
    assert_eq!(r.body["address"]["city"], "Paris");
    assert_eq!(r.body["metadata"], json!({"b": "2", "c": "3"}));
    assert_eq!(r.body["created"], created.body["created"]);
    assert_eq!(
        api.get(&a.test_key, &path).await.body,
        r.body,
        "the update is what a read returns"
    );
    // The email index follows the change.
    assert!(ids(&api.get(&a.test_key, "/v1/customers?email=old@example.com").await).is_empty());
    assert_eq!(
        ids(&api.get(&a.test_key, "/v1/customers?email=new@example.com").await),
        std::slice::from_ref(&id)
    );

    let r = api.post(&a.test_key, &path, json!({"address": ""})).await;
    assert!(r.body["address"].is_null());
    let r = api
        .post(
            &a.test_key,
            &path,
            json!({"address": {"line1": "1 Main St", "country": "us"}}),
        )
        .await;
    assert_eq!(r.body["address"]["country"], "US");

    for (body, code, param) in [
        (json!({"email": "nope"}), "email_invalid", "email"),
        (json!({"phone": "123"}), "phone_invalid", "phone"),
        (
            json!({"address": {"country": "ZZ"}}),
            "country_invalid",
            "address[country]",
        ),
        (json!({"address": "somewhere"}), "parameter_invalid", "address"),
        (
            json!({"metadata": {"k": "v".repeat(501)}}),
            "parameter_invalid",
            "metadata[k]",
        ),
        (json!({"created": 5}), "parameter_unknown", "created"),
        (json!({"name": 5}), "parameter_invalid", "name"),
    ] {
        let r = api.post(&a.test_key, &path, body.clone()).await;
        assert_eq!(r.error(400), (Some(code.into()), Some(param.into())), "{body}");
    }
    let many: serde_json::Map<String, serde_json::Value> = (0..49).map(|i| (format!("k{i}"), json!("v"))).collect();
    let r = api.post(&a.test_key, &path, json!({"metadata": many})).await;
    assert_eq!(r.error(400).1.as_deref(), Some("metadata"), "51 keys after the merge");

    for (key, p) in [
        (&b.test_key, path.clone()),
        (&a.live_key, path.clone()),
        (
            &a.test_key,
            "/v1/customers/cus_00000000000000000000000000000000".to_string(),
        ),
    ] {
        assert_eq!(
            api.post(key, &p, json!({"name": "x"})).await.error(404).0.as_deref(),
            Some("resource_missing")
        );
    }
    assert_eq!(
        api.get(&a.test_key, &path).await.body["name"],
        "Jenny",
        "refused updates changed nothing"
    );

    // Concurrent updates of different metadata keys: none is lost.
    let replies = futures::future::join_all(
        (0..10).map(|i| api.post(&a.test_key, &path, json!({"metadata": {format!("race{i}"): "x"}}))),
    )
    .await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    let retried = replies.iter().filter(|r| r.status == 409).count();
    assert_eq!(ok + retried, 10);
    let meta = api.get(&a.test_key, &path).await.body["metadata"].clone();
    for (i, r) in replies.iter().enumerate() {
        assert_eq!(
            meta.get(format!("race{i}")).is_some(),
            r.status == 200,
            "update {i}: {}",
            r.text
        );
    }
}

#[tokio::test]
async fn delete_customers() {
    let api = TestApi::spawn().await;
    let a = api.merchant("A").await;
    let b = api.merchant("B").await;
    let cus = api
        .post(&a.test_key, "/v1/customers", json!({"email": "gone@example.com"}))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let pay = api
        .post(
            &a.test_key,
            "/v1/payments",
            json!({"amount": 1000, "currency": "usd", "customer_id": cus}),
        )
        .await;
    let pay = pay.body["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/customers/{cus}");
    let delete = |key: String, path: String| {
        let req = api.http.delete(api.url(&path)).bearer_auth(key);
        async move { paynectra_tests::Reply::from(req.send().await.unwrap()).await }
    };

    for key in [&b.test_key, &a.live_key] {
        assert_eq!(
            delete(key.clone(), path.clone()).await.error(404).0.as_deref(),
            Some("resource_missing")
        );
    }
    let r = delete(a.test_key.clone(), path.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body, json!({"id": cus, "object": "customer", "deleted": true}));
    assert_eq!(
        api.get(&a.test_key, &path).await.body,
        r.body,
        "retrieving a deleted customer shows the stub"
    );
    assert_eq!(
        delete(a.test_key.clone(), path.clone()).await.error(404).0.as_deref(),
        Some("resource_missing")
    );
    assert_eq!(
        api.post(&a.test_key, &path, json!({"name": "x"}))
            .await
            .error(404)
            .0
            .as_deref(),
        Some("resource_missing")
    );
    assert!(ids(&api.get(&a.test_key, "/v1/customers").await).is_empty());
    assert!(ids(&api.get(&a.test_key, "/v1/customers?email=gone@example.com").await).is_empty());

    // Its payments keep their customer_id; new payments for it are refused.
    assert_eq!(
        api.get(&a.test_key, &format!("/v1/payments/{pay}")).await.body["customer_id"],
        cus.as_str()
    );
    assert_eq!(
        ids(&api.get(&a.test_key, &format!("/v1/payments?customer={cus}")).await),
        [pay]
    );
    let r = api
        .post(
            &a.test_key,
            "/v1/payments",
            json!({"amount": 1000, "currency": "usd", "customer_id": cus}),
        )
        .await;
    assert_eq!(
        r.error(400),
        (Some("resource_missing".into()), Some("customer_id".into()))
    );
}

#[tokio::test]
async fn customer_bad_input_is_400_naming_the_param_and_writes_nothing() {
    let api = TestApi::spawn().await;
    let m = api.merchant("Bad customers").await;
    let items = api.item_count().await;
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({"email": "not-an-email"}), "email_invalid", "email"),
        (json!({"email": "a@b"}), "email_invalid", "email"),
        (json!({"email": 5}), "parameter_invalid", "email"),
        (
            json!({"email": format!("{}@example.com", "a".repeat(600))}),
            "parameter_invalid_string_too_long",
            "email",
        ),
        (json!({"phone": "4155550123"}), "phone_invalid", "phone"),
        (json!({"phone": "+1 415 555 0123"}), "phone_invalid", "phone"),
        (
            json!({"name": "n".repeat(257)}),
            "parameter_invalid_string_too_long",
            "name",
        ),
        (json!({"name": ""}), "parameter_invalid_string_empty", "name"),
        (json!({"address": "510 Townsend St"}), "parameter_invalid", "address"),
        (
            json!({"address": {"country": "USA"}}),
            "country_invalid",
            "address[country]",
        ),
        (
            json!({"address": {"country": "XX"}}),
            "country_invalid",
            "address[country]",
        ),
        (
            json!({"address": {"line1": ""}}),
            "parameter_invalid_string_empty",
            "address[line1]",
        ),
        (
            json!({"address": {"line1": "x".repeat(201)}}),
            "parameter_invalid_string_too_long",
            "address[line1]",
        ),
        (
            json!({"address": {"zip": "94103"}}),
            "parameter_unknown",
            "address[zip]",
        ),
        (
            json!({"address": {"city": 94103}}),
            "parameter_invalid",
            "address[city]",
        ),
        (json!({"metadata": {"a[b]": "c"}}), "parameter_invalid", "metadata"),
        (json!({"description": "hi"}), "parameter_unknown", "description"),
    ];
    for (body, code, param) in cases {
        let r = api.post(&m.test_key, "/v1/customers", body.clone()).await;
        assert_eq!(r.error(400), (Some(code.to_owned()), Some(param.to_owned())), "{body}");
    }
    assert_eq!(api.item_count().await, items, "nothing was written");
}
