//! Events over HTTP: one per state change, written with the change, listed
//! and filtered, tenant-scoped, gone after 30 days.

use paynectra::domain::{Event, EventRequest, EventType, Mode};
use paynectra_tests::{Reply, TestApi};
use serde_json::json;

use crate::helpers::map_array;

fn types(r: &Reply) -> Vec<String> {
    assert_eq!(r.status, 200, "{}", r.text);
    map_array(&r.body["data"], |e| e["type"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn every_change_records_its_event() {
    let (api, [m, stranger]) = TestApi::with_merchants(["Events", "Events stranger"]).await;
    let key = &m.test_key;
    let card = |number| json!({"card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}});
    let cus_id = api
        .create_customer(key, json!({"name": "Jenny", "metadata": {"a": "1"}}))
        .await
        .id();
    api.update_customer(key, &cus_id, json!({"name": "Jenny Rosen", "metadata": {"a": ""}}))
        .await;
    let pm = api.create_payment_method(key, card("4242424242424242")).await.id();
    let created = api
        .post_idempotent(
            key,
            "/v1/payments",
            "order-42",
            json!({"amount": 1000, "currency": "usd", "capture_method": "manual"}),
        )
        .await;
    let pay = created.id();
    api.confirm(key, &pay, &pm).await;
    api.capture(key, &pay, json!({})).await;
    api.refund(key, json!({"payment_id": pay, "amount": 100})).await;
    let declined = api
        .create_payment(key, json!({"amount": 1000, "currency": "usd"}))
        .await
        .id();
    let bad = api.create_payment_method(key, card("4000000000000002")).await;
    api.confirm_with(key, &declined, json!({"payment_method": bad.body["id"]}))
        .await;
    api.cancel(key, &declined, json!({})).await;
    assert_eq!(api.delete_customer(key, &cus_id).await.status, 200);

    let all = api.list_events(key, "limit=100").await;
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
    let events = all.data();
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
    let mut one = api.get_event(key, id).await.body;
    assert_eq!(
        one.as_object_mut().unwrap().remove("deliveries"),
        Some(json!([])),
        "no endpoints, no deliveries"
    );
    assert_eq!(one, events[4]);
    assert_eq!(
        types(&api.list_events(key, "type=payment.created").await),
        ["payment.created", "payment.created"]
    );
    assert_eq!(
        types(&api.list_events(key, "type=customer.*").await),
        ["customer.deleted", "customer.updated", "customer.created"]
    );
    // A payment's timeline: its own events and its refund's, nothing else;
    // paged like any list; empty for another tenant.
    let timeline = api.list_events(key, &format!("payment={pay}")).await;
    assert_eq!(
        types(&timeline),
        [
            "refund.created",
            "payment.captured",
            "payment.requires_capture",
            "payment.created"
        ]
    );
    assert_eq!(timeline.data()[3], events[7], "the same event as listed");
    let first = api.list_events(key, &format!("payment={pay}&limit=1")).await;
    assert_eq!(
        (types(&first), first.body["has_more"].as_bool()),
        (vec!["refund.created".to_owned()], Some(true))
    );
    let rest = api
        .list_events(key, &format!("payment={pay}&starting_after={}", first.ids()[0]))
        .await;
    assert_eq!(types(&rest).len(), 3);
    assert_eq!(
        types(&api.list_events(key, &format!("payment={pay}&type=refund.*")).await),
        ["refund.created"],
        "a timeline by group"
    );
    assert_eq!(
        types(
            &api.list_events(key, &format!("payment={pay}&type=payment.captured"))
                .await
        ),
        ["payment.captured"],
        "a timeline by type"
    );
    assert_eq!(
        types(&api.list_events(key, &format!("payment={declined}")).await),
        ["payment.cancelled", "payment.failed", "payment.created"]
    );
    assert!(types(&api.list_events(&stranger.test_key, &format!("payment={pay}")).await).is_empty());
    let page = api.list_events(key, "type=payment.*&limit=2").await;
    assert_eq!(types(&page), ["payment.cancelled", "payment.failed"]);
    assert_eq!(page.body["has_more"], true);
    for (query, param) in [
        ("type=charge.*", "type"),
        ("type=payment", "type"),
        ("limit=0", "limit"),
        ("starting_after=pay_1", "starting_after"),
        ("payment=cus_1", "payment"),
    ] {
        assert_eq!(
            api.list_events(key, query).await.error(400).1.as_deref(),
            Some(param),
            "{query}"
        );
    }
}

#[tokio::test]
async fn events_are_per_tenant_and_kept_thirty_days() {
    let (api, [a, b]) = TestApi::with_merchants(["A", "B"]).await;
    api.create_customer(&a.test_key, json!({})).await;
    let mine = api.list_events(&a.test_key, "").await;
    let id = mine.body["data"][0]["id"].as_str().unwrap().to_owned();
    for key in [&b.test_key, &a.live_key] {
        assert!(types(&api.list_events(key, "").await).is_empty());
        assert_eq!(
            api.get_event(key, &id).await.error(404).0.as_deref(),
            Some("resource_missing")
        );
    }

    // An event past its 30 days is gone, even before DynamoDB's TTL deletes it.
    let tenant = a.tenant(Mode::Test);
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
        .insert(&tenant, &customer, paynectra::store::Writes::new(&old, None))
        .await
        .unwrap();
    assert_eq!(api.get_event(&a.test_key, &old.id.to_string()).await.status, 404);
    assert_eq!(
        types(&api.list_events(&a.test_key, "").await).len(),
        1,
        "only the recent one is listed"
    );
}

#[tokio::test]
async fn an_events_indexes_hold_its_head_and_its_body_has_an_item_of_its_own() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let (api, [m]) = TestApi::with_merchants(["Heads"]).await;
    let key = &m.test_key;
    let metadata: serde_json::Map<String, serde_json::Value> =
        (0..20).map(|i| (format!("key{i}"), json!("x".repeat(40)))).collect();
    let pay = api
        .create_payment(key, json!({"amount": 1000, "currency": "usd", "metadata": metadata}))
        .await
        .id();
    let listed = api.list_events(key, "limit=10").await;
    assert_eq!(types(&listed), ["payment.created"]);
    let evt = listed.body["data"][0]["id"].as_str().unwrap().to_owned();
    let expected = api.get_event(key, &evt).await;
    assert_eq!(expected.status, 200);
    assert_eq!(expected.body["data"]["object"]["id"], pay.as_str());
    // A list shows an event as retrieving it does, less its deliveries.
    let mut as_listed = expected.body.clone();
    as_listed.as_object_mut().unwrap().remove("deliveries");
    assert_eq!(listed.body["data"][0], as_listed);

    // What the index holds: the head, small, without the object.
    let client = api.app.store.client();
    let table = api.app.store.table();
    let s = |v: &str| AttributeValue::S(v.to_owned());
    let indexed = client
        .query()
        .table_name(table)
        .index_name("gsi1")
        .key_condition_expression("gsi1pk = :pk")
        .expression_attribute_values(":pk", s(&format!("T#{}#test#event", m.account_id)))
        .send()
        .await
        .unwrap();
    let head = &indexed.items()[0];
    assert!(!head.contains_key("object_json"), "{head:?}");
    let size: usize = head
        .iter()
        .map(|(k, v)| k.len() + v.as_s().map_or(16, |s| s.len()))
        .sum();
    assert!(size < 1024, "the head is under a write unit: {size} bytes");
    let pk = format!("T#{}#test#{evt}", m.account_id);
    let get = |sk: &str| {
        client
            .get_item()
            .table_name(table)
            .key("pk", s(&pk))
            .key("sk", s(sk))
            .send()
    };
    let body = get("body").await.unwrap().item.unwrap();
    assert!(body["object_json"].as_s().unwrap().contains(&pay));
    assert!(!body.contains_key("gsi1pk"), "the body is in no index");

    // An event written before the split (the object on its head, no body
    // item) reads the same, by id and in a list.
    let head_item = get("event").await.unwrap().item.unwrap();
    let mut legacy = head_item.clone();
    legacy.insert("object_json".into(), body["object_json"].clone());
    let put = |item| client.put_item().table_name(table).set_item(Some(item)).send();
    put(legacy).await.unwrap();
    client
        .delete_item()
        .table_name(table)
        .key("pk", s(&pk))
        .key("sk", s("body"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.get_event(key, &evt).await.body, expected.body);
    assert_eq!(api.list_events(key, "limit=10").await.body["data"][0], as_listed);

    // TTL deletes an expired event's items one by one: a head left without
    // its body is an event that is gone (404), not a broken one (500).
    put(head_item).await.unwrap();
    assert_eq!(
        api.get_event(key, &evt).await.error(404).0.as_deref(),
        Some("resource_missing")
    );
    let tenant = m.tenant(Mode::Test);
    let found = api
        .app
        .store
        .get_event_any_age(&tenant, &evt.parse().unwrap())
        .await
        .unwrap();
    assert!(found.is_none());
}
