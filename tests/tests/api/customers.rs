//! The customer resource over HTTP: list, update, delete, and what deletion
//! means for payments.

use paynectra_tests::{Reply, TestApi};
use serde_json::{json, Value};

fn ids(r: &Reply) -> Vec<String> {
    assert_eq!(r.status, 200, "{}", r.text);
    r.ids()
}

#[tokio::test]
async fn list_customers_with_cursors_and_email() {
    let (api, [a, b]) = TestApi::with_merchants(["A", "B"]).await;
    let mut made = Vec::new();
    for i in 0..7 {
        let email = if i % 2 == 0 {
            "Shared@Example.com".to_string()
        } else {
            format!("c{i}@example.com")
        };
        made.push(api.create_customer(&a.test_key, json!({"email": email})).await.id());
    }
    for key in [&b.test_key, &a.live_key] {
        api.create_customer(key, json!({"email": "shared@example.com"})).await;
    }
    made.reverse();

    let first = api.list_customers(&a.test_key, "limit=3").await;
    assert_eq!(first.body["url"], "/v1/customers");
    assert_eq!(ids(&first), made[..3]);
    assert_eq!(first.body["has_more"], true);
    let mut seen = ids(&first);
    loop {
        let after = seen.last().unwrap();
        let r = api
            .list_customers(&a.test_key, &format!("limit=3&starting_after={after}"))
            .await;
        seen.extend(ids(&r));
        if r.body["has_more"] != true {
            break;
        }
    }
    assert_eq!(seen, made, "every customer once, newest first");
    let back = api
        .list_customers(&a.test_key, &format!("limit=3&ending_before={}", made[6]))
        .await;
    assert_eq!(ids(&back), made[3..6]);

    // Email: case-insensitive, this account and mode only.
    let shared = api.list_customers(&a.test_key, "email=shared@EXAMPLE.com").await;
    let expected: Vec<String> = made
        .iter()
        .enumerate()
        .filter(|(i, _)| (6 - i) % 2 == 0)
        .map(|(_, id)| id.clone())
        .collect();
    assert_eq!(ids(&shared), expected);
    assert_eq!(
        ids(&api.list_customers(&a.test_key, "email=nobody@example.com").await),
        Vec::<String>::new()
    );
    assert_eq!(ids(&api.list_customers(&b.test_key, "").await).len(), 1);
    assert_eq!(ids(&api.list_customers(&a.live_key, "").await).len(), 1);
    for (query, param) in [
        ("limit=101", "limit"),
        ("starting_after=pay_1", "starting_after"),
        (
            &format!("starting_after={}", ids(&api.list_customers(&b.test_key, "").await)[0]),
            "starting_after",
        ),
        ("email=", "email"),
        ("name=x", "name"),
        ("email=a@b.co&email=c@d.co", "email"),
    ] {
        let r = api.list_customers(&a.test_key, query).await;
        assert_eq!(r.error(400).1.as_deref(), Some(param), "{query}");
    }
}

#[tokio::test]
async fn update_customers() {
    let (api, [a, b]) = TestApi::with_merchants(["A", "B"]).await;
    let created = api
        .create_customer(
            &a.test_key,
            json!({"email": "old@example.com", "name": "Jenny", "phone": "+14155550123", "address": {"city": "Paris", "country": "FR"}, "metadata": {"a": "1", "b": "2"}}),
        )
        .await;
    let id = created.id();
    let update = |key, body| api.update_customer(key, &id, body);

    let r = update(
        &a.test_key,
        json!({"email": "new@example.com", "phone": "", "metadata": {"a": "", "c": "3"}}),
    )
    .await
    .ok();
    assert_eq!(r.body["email"], "new@example.com");
    assert!(r.body["phone"].is_null());
    assert_eq!(r.body["name"], "Jenny", "fields not sent stay");
    assert_eq!(r.body["address"]["city"], "Paris");
    assert_eq!(r.body["metadata"], json!({"b": "2", "c": "3"}));
    assert_eq!(r.body["created"], created.body["created"]);
    assert_eq!(
        api.get_customer(&a.test_key, &id).await.body,
        r.body,
        "the update is what a read returns"
    );
    // The email index follows the change.
    assert!(ids(&api.list_customers(&a.test_key, "email=old@example.com").await).is_empty());
    assert_eq!(
        ids(&api.list_customers(&a.test_key, "email=new@example.com").await),
        std::slice::from_ref(&id)
    );

    let r = update(&a.test_key, json!({"address": ""})).await;
    assert!(r.body["address"].is_null());
    let r = update(&a.test_key, json!({"address": {"line1": "1 Main St", "country": "us"}})).await;
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
        let r = update(&a.test_key, body.clone()).await;
        assert_eq!(r.error(400), (Some(code.into()), Some(param.into())), "{body}");
    }
    let many: serde_json::Map<String, Value> = (0..49).map(|i| (format!("k{i}"), json!("v"))).collect();
    let r = update(&a.test_key, json!({"metadata": many})).await;
    assert_eq!(r.error(400).1.as_deref(), Some("metadata"), "51 keys after the merge");

    for (key, id) in [
        (&b.test_key, id.as_str()),
        (&a.live_key, &id),
        (&a.test_key, "cus_00000000000000000000000000000000"),
    ] {
        assert_eq!(
            api.update_customer(key, id, json!({"name": "x"}))
                .await
                .error(404)
                .0
                .as_deref(),
            Some("resource_missing")
        );
    }
    assert_eq!(
        api.get_customer(&a.test_key, &id).await.body["name"],
        "Jenny",
        "refused updates changed nothing"
    );

    // Concurrent updates of different metadata keys: none is lost.
    let replies =
        futures::future::join_all((0..10).map(|i| update(&a.test_key, json!({"metadata": {format!("race{i}"): "x"}}))))
            .await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    let retried = replies.iter().filter(|r| r.status == 409).count();
    assert_eq!(ok + retried, 10);
    let meta = api.get_customer(&a.test_key, &id).await.body["metadata"].clone();
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
    let (api, [a, b]) = TestApi::with_merchants(["A", "B"]).await;
    let cus = api
        .create_customer(&a.test_key, json!({"email": "gone@example.com"}))
        .await
        .id();
    let for_cus = json!({"amount": 1000, "currency": "usd", "customer_id": cus});
    let pay = api.create_payment(&a.test_key, for_cus.clone()).await.id();
    let missing = |r: Reply| r.error(404).0;

    for key in [&b.test_key, &a.live_key] {
        assert_eq!(
            missing(api.delete_customer(key, &cus).await).as_deref(),
            Some("resource_missing")
        );
    }
    let r = api.delete_customer(&a.test_key, &cus).await.ok();
    assert_eq!(r.body, json!({"id": cus, "object": "customer", "deleted": true}));
    assert_eq!(
        api.get_customer(&a.test_key, &cus).await.body,
        r.body,
        "retrieving a deleted customer shows the stub"
    );
    assert_eq!(
        missing(api.delete_customer(&a.test_key, &cus).await).as_deref(),
        Some("resource_missing")
    );
    assert_eq!(
        missing(api.update_customer(&a.test_key, &cus, json!({"name": "x"})).await).as_deref(),
        Some("resource_missing")
    );
    assert!(ids(&api.list_customers(&a.test_key, "").await).is_empty());
    assert!(ids(&api.list_customers(&a.test_key, "email=gone@example.com").await).is_empty());

    // Its payments keep their customer_id; new payments for it are refused.
    assert_eq!(
        api.get_payment(&a.test_key, &pay).await.body["customer_id"],
        cus.as_str()
    );
    assert_eq!(
        ids(&api.list_payments(&a.test_key, &format!("customer={cus}")).await),
        [pay]
    );
    let r = api.create_payment(&a.test_key, for_cus).await;
    assert_eq!(
        r.error(400),
        (Some("resource_missing".into()), Some("customer_id".into()))
    );
}

#[tokio::test]
async fn customer_bad_input_is_400_naming_the_param_and_writes_nothing() {
    let (api, [m]) = TestApi::with_merchants(["Bad customers"]).await;
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
        let r = api.create_customer(&m.test_key, body.clone()).await;
        assert_eq!(r.error(400), (Some(code.to_owned()), Some(param.to_owned())), "{body}");
    }
    assert_eq!(api.item_count().await, items, "nothing was written");
}

/// The SDK retries an attempt that timed out even when its write landed:
/// the retried PutItem of a new object then finds the very item it wrote.
/// That is the object created, not a clash (it was a 500 "already exists"
/// under load); another item under the same id still is one.
#[tokio::test]
async fn a_retried_insert_that_finds_its_own_item_is_applied() {
    let app = paynectra_tests::fresh_app().await;
    let tenant = paynectra::domain::Tenant::new(
        "acct_0retry00000000000000000000000001".parse().unwrap(),
        paynectra::domain::Mode::Test,
    );
    let customer = paynectra::domain::Customer::create(
        paynectra::domain::NewCustomer::default(),
        paynectra::domain::Mode::Test,
        1_795_521_600,
    );
    let store = &app.store;
    let none = paynectra::store::Writes::NONE;
    store.insert(&tenant, &customer, none).await.unwrap();
    store
        .insert(&tenant, &customer, none)
        .await
        .expect("its own write, found again");
    let other = paynectra::domain::Customer {
        created: customer.created + 1,
        ..customer.clone()
    };
    assert!(matches!(
        store.insert(&tenant, &other, none).await,
        Err(paynectra::store::StoreError::AlreadyExists)
    ));
}
