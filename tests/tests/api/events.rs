//! Events over HTTP: one per state change, written with the change, listed
//! and filtered, tenant-scoped, gone after 30 days.

use paynectra::domain::{Event, EventRequest, EventType, Mode, Tenant};
use paynectra_tests::{Reply, TestApi};
use serde_json::json;

fn types(r: &Reply) -> Vec<String> {
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_change_records_its_event() {
    let api = TestApi::spawn().await;
    let m = api.merchant("Events").await;
    let cus = api
        .post(
            &m.test_key,
            "/v1/customers",
            json!({"name": "Jenny", "metadata": {"a": "1"}}),
        )
        .await;
    let cus_id = cus.body["id"].as_str().unwrap().to_owned();
    api.post(
        &m.test_key,
        &format!("/v1/customers/{cus_id}"),
        json!({"name": "Jenny Rosen", "metadata": {"a": ""}}),
    )
    .await;
    let card = api
        .post(
            &m.test_key,
            "/v1/payment_methods",
            json!({"card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}}),
        )
        .await;
    let pm = card.body["id"].as_str().unwrap().to_owned();
    let created = Reply::from(
        api.http
            .post(api.url("/v1/payments"))
            .bearer_auth(&m.test_key)
            .header("Idempotency-Key", "order-42")
            .json(&json!({"amount": 1000, "currency": "usd", "capture_method": "manual"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let pay = created.body["id"].as_str().unwrap().to_owned();
    api.post(
        &m.test_key,
        &format!("/v1/payments/{pay}/confirm"),
        json!({"payment_method": pm}),
    )
    .await;
    api.post(&m.test_key, &format!("/v1/payments/{pay}/capture"), json!({}))
        .await;
    api.post(&m.test_key, "/v1/refunds", json!({"payment_id": pay, "amount": 100}))
        .await;
    let (declined, _) = {
        let r = api
            .post(&m.test_key, "/v1/payments", json!({"amount": 1000, "currency": "usd"}))
            .await;
        (r.body["id"].as_str().unwrap().to_owned(), r)
    };
    let bad = api
        .post(
            &m.test_key,
            "/v1/payment_methods",
            json!({"card": {"number": "4000000000000002", "exp_month": 12, "exp_year": 2034, "cvc": "123"}}),
        )
        .await;
    api.post(
        &m.test_key,
        &format!("/v1/payments/{declined}/confirm"),
        json!({"payment_method": bad.body["id"]}),
    )
    .await;
    api.post(&m.test_key, &format!("/v1/payments/{declined}/cancel"), json!({}))
        .await;
    let del = api
        .http
        .delete(api.url(&format!("/v1/customers/{cus_id}")))
        .bearer_auth(&m.test_key)
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 200);

    let all = api.get(&m.test_key, "/v1/events?limit=100").await;
    assert_eq!(
        types(&all),
        [
            "customer.deleted",
            "payment.cancelled",
            "payment.failed",
            "payment.created",
            "refund.created",
            "payment.captured",
            "payment.requires_capture",
            "payment.created",
            "customer.updated",
            "customer.created",
        ],
        "newest first, one per change"
    );
    let events = all.body["data"].as_array().unwrap();
    let updated = &events[8];
    assert_eq!(updated["data"]["object"]["name"], "Jenny Rosen");
    assert_eq!(
        updated["data"]["previous_attributes"],
        json!({"name": "Jenny", "metadata": {"a": "1"}})
    );
    let created_event = &events[7];
    assert_eq!(created_event["data"]["object"]["id"], pay.as_str());
    assert_eq!(created_event["request"]["idempotency_key"], "order-42");
    assert_eq!(
        created_event["request"]["id"],
        created.headers["request-id"].to_str().unwrap()
    );
    assert!(
        created_event["data"]["object"].get("client_secret").is_none(),
        "events never carry client secrets"
    );
    assert_eq!(
        (created_event["object"].as_str(), created_event["livemode"].as_bool()),
        (Some("event"), Some(false))
    );

    // Retrieve one; filter by type and by group.
    let id = events[4]["id"].as_str().unwrap();
    let mut one = api.get(&m.test_key, &format!("/v1/events/{id}")).await.body;
    assert_eq!(
        one.as_object_mut().unwrap().remove("deliveries"),
        Some(json!([])),
        "no endpoints, no deliveries"
    );
    assert_eq!(one, events[4]);
    assert_eq!(
        types(&api.get(&m.test_key, "/v1/events?type=payment.created").await),
        ["payment.created", "payment.created"]
    );
    assert_eq!(
        types(&api.get(&m.test_key, "/v1/events?type=customer.*").await),
        ["customer.deleted", "customer.updated", "customer.created"]
    );
    let page = api.get(&m.test_key, "/v1/events?type=payment.*&limit=2").await;
    assert_eq!(types(&page), ["payment.cancelled", "payment.failed"]);
    assert_eq!(page.body["has_more"], true);
    for (query, param) in [
        ("type=charge.*", "type"),
        ("type=payment", "type"),
        ("limit=0", "limit"),
        ("starting_after=pay_1", "starting_after"),
    ] {
        assert_eq!(
            api.get(&m.test_key, &format!("/v1/events?{query}"))
                .await
                .error(400)
                .1
                .as_deref(),
            Some(param),
            "{query}"
        );
    }
}

#[tokio::test]
async fn events_are_per_tenant_and_kept_thirty_days() {
    let api = TestApi::spawn().await;
    let a = api.merchant("A").await;
    let b = api.merchant("B").await;
    api.post(&a.test_key, "/v1/customers", json!({})).await;
    let mine = api.get(&a.test_key, "/v1/events").await;
    let id = mine.body["data"][0]["id"].as_str().unwrap().to_owned();
    for key in [&b.test_key, &a.live_key] {
        assert!(types(&api.get(key, "/v1/events").await).is_empty());
        assert_eq!(
            api.get(key, &format!("/v1/events/{id}")).await.error(404).0.as_deref(),
            Some("resource_missing")
        );
    }

    // An event past its 30 days is gone, even before DynamoDB's TTL deletes it.
    let tenant = Tenant {
        account_id: a.account_id.parse().unwrap(),
        mode: Mode::Test,
    };
    let old = Event::new(
        EventType::CustomerCreated,
        Mode::Test,
        &json!({"id": "cus_old"}),
        None,
        EventRequest::default(),
        paynectra::service::now_unix() - 31 * 86_400,
    );
    // Stored through a customer write, as every event is.
    let customer = paynectra::domain::Customer::create(Default::default(), Mode::Test, old.created);
    api.app
        .store
        .insert_customer(&tenant, &customer, paynectra::store::Writes::new(&old, None))
        .await
        .unwrap();
    assert_eq!(
        api.get(&a.test_key, &format!("/v1/events/{}", old.id)).await.status,
        404
    );
    assert_eq!(
        types(&api.get(&a.test_key, "/v1/events").await).len(),
        1,
        "only the recent one is listed"
    );
}
