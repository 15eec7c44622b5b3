//! Payments over real HTTP: the local server (routes, authorizer and
//! gateway responses from template.yaml) in front of DynamoDB Local.

use std::collections::HashSet;

use paynectra_tests::{Reply, TestApi};
use reqwest::Method;
use serde_json::{json, Value};

/// Asserts that `r` carries a Request-Id and is an `object` whose id starts
/// with `prefix`; returns the id.
#[track_caller]
fn new_object(r: &Reply, object: &str, prefix: &str) -> String {
    r.assert_request_id();
    let id = r.id();
    assert!(id.starts_with(prefix), "{id}");
    assert_eq!(r.body["object"], object);
    id
}

#[tokio::test]
async fn customer_and_payment_round_trip() {
    let (api, [m]) = TestApi::with_merchants(["Round trip"]).await;
    let before = paynectra::service::now_unix();

    let customer = api
        .create_customer(
            &m.test_key,
            json!({
                "email": "jenny.rosen@example.com",
                "name": "Jenny Rosen",
                "phone": "+14155550123",
                "address": {"line1": "510 Townsend St", "line2": "Floor 2", "city": "San Francisco", "state": "CA", "postal_code": "94103", "country": "us"},
                "metadata": {"user_id": "u_42"}
            }),
        )
        .await
        .ok();
    let cus = new_object(&customer, "customer", "cus_");
    let c = &customer.body;
    assert_eq!(c["email"], "jenny.rosen@example.com");
    assert_eq!(c["name"], "Jenny Rosen");
    assert_eq!(c["phone"], "+14155550123");
    assert_eq!(c["address"]["country"], "US");
    assert_eq!(c["address"]["line2"], "Floor 2");
    assert_eq!(c["metadata"], json!({"user_id": "u_42"}));
    assert_eq!(c["livemode"], false);
    assert!(c["created"].as_i64().unwrap() >= before);

    let read = api.get_customer(&m.test_key, &cus).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body, customer.body, "a read returns what the create returned");

    let payment = api
        .create_payment(
            &m.test_key,
            json!({
                "amount": 4999,
                "currency": "usd",
                "customer_id": cus,
                "description": "Order #6735",
                "capture_method": "manual",
                "metadata": {"order_id": "6735"},
                "return_url": "https://shop.example/orders/6735/done"
            }),
        )
        .await
        .ok();
    let pay = new_object(&payment, "payment", "pay_");
    let p = &payment.body;
    assert_eq!(p["amount"], 4999);
    assert_eq!(p["currency"], "usd");
    assert_eq!(p["customer_id"], cus.as_str());
    assert_eq!(p["description"], "Order #6735");
    assert_eq!(p["capture_method"], "manual");
    assert_eq!(p["metadata"], json!({"order_id": "6735"}));
    assert_eq!(p["return_url"], "https://shop.example/orders/6735/done");
    assert_eq!(p["status"], "pending");
    assert_eq!(p["amount_refunded"], 0);
    assert_eq!(p["livemode"], false);
    assert!(p["created"].as_i64().unwrap() >= before);

    let read = api.get_payment(&m.test_key, &pay).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body, payment.body);
}

#[tokio::test]
async fn defaults_and_zero_decimal_currencies() {
    let (api, [m]) = TestApi::with_merchants(["Defaults"]).await;
    let p = api
        .create_payment(&m.test_key, json!({"amount": 500, "currency": "jpy"}))
        .await
        .ok();
    assert_eq!(p.body["capture_method"], "automatic");
    assert_eq!(p.body["metadata"], json!({}));
    for field in ["customer_id", "description", "return_url"] {
        assert!(p.body[field].is_null(), "{field} is present and null");
    }
    let small = api
        .create_payment(&m.test_key, json!({"amount": 49, "currency": "jpy"}))
        .await;
    assert_eq!(
        small.error(400),
        (Some("amount_too_small".into()), Some("amount".into()))
    );

    // An empty body creates an empty customer, as on Stripe.
    let c = api
        .send(api.request(Method::POST, &m.test_key, "/v1/customers"))
        .await
        .ok();
    assert!(c.body["email"].is_null() && c.body["address"].is_null());
}

#[tokio::test]
async fn payment_bad_input_is_400_naming_the_param_and_writes_nothing() {
    let (api, [m]) = TestApi::with_merchants(["Bad input"]).await;
    let cus = api.create_customer(&m.test_key, json!({})).await.id();
    let items = api.item_count().await;
    let many: serde_json::Map<String, Value> = (0..51).map(|i| (format!("k{i}"), json!("v"))).collect();
    // The error (code, param) each of these bodies gets.
    let cases: Vec<(&str, Option<&str>, Vec<Value>)> = vec![
        ("parameter_missing", Some("amount"), vec![json!({"currency": "usd"})]),
        ("parameter_missing", Some("currency"), vec![json!({"amount": 100})]),
        (
            "parameter_invalid",
            Some("amount"),
            vec![
                json!({"amount": "100", "currency": "usd"}),
                json!({"amount": 49.99, "currency": "usd"}),
                json!({"amount": 1e300, "currency": "usd"}),
                json!({"amount": u64::MAX, "currency": "usd"}),
            ],
        ),
        (
            "parameter_invalid_integer",
            Some("amount"),
            vec![
                json!({"amount": -100, "currency": "usd"}),
                json!({"amount": 0, "currency": "usd"}),
            ],
        ),
        (
            "amount_too_small",
            Some("amount"),
            vec![json!({"amount": 49, "currency": "usd"})],
        ),
        (
            "amount_too_large",
            Some("amount"),
            vec![json!({"amount": 100_000_000, "currency": "usd"})],
        ),
        (
            "currency_invalid",
            Some("currency"),
            vec![
                json!({"amount": 100, "currency": "USD"}),
                json!({"amount": 100, "currency": "xyz"}),
            ],
        ),
        (
            "parameter_invalid",
            Some("currency"),
            vec![json!({"amount": 100, "currency": 840})],
        ),
        (
            "resource_missing",
            Some("customer_id"),
            vec![
                json!({"amount": 100, "currency": "usd", "customer_id": "pay_123"}),
                json!({"amount": 100, "currency": "usd", "customer_id": "cus_00000000000000000000000000000000"}),
                json!({"amount": 100, "currency": "usd", "customer_id": format!("{cus}' OR '1'='1")}),
            ],
        ),
        (
            "parameter_invalid_string_empty",
            Some("description"),
            vec![json!({"amount": 100, "currency": "usd", "description": ""})],
        ),
        (
            "parameter_invalid_string_too_long",
            Some("description"),
            vec![json!({"amount": 100, "currency": "usd", "description": "x".repeat(1001)})],
        ),
        (
            "parameter_invalid",
            Some("capture_method"),
            vec![json!({"amount": 100, "currency": "usd", "capture_method": "later"})],
        ),
        (
            "parameter_invalid",
            Some("metadata"),
            vec![
                json!({"amount": 100, "currency": "usd", "metadata": many}),
                json!({"amount": 100, "currency": "usd", "metadata": {"k".repeat(41): "v"}}),
                json!({"amount": 100, "currency": "usd", "metadata": "x"}),
            ],
        ),
        (
            "parameter_invalid",
            Some("metadata[k]"),
            vec![
                json!({"amount": 100, "currency": "usd", "metadata": {"k": "v".repeat(501)}}),
                json!({"amount": 100, "currency": "usd", "metadata": {"k": 5}}),
            ],
        ),
        (
            "url_invalid",
            Some("return_url"),
            vec![
                json!({"amount": 100, "currency": "usd", "return_url": "http://shop.example/done"}),
                json!({"amount": 100, "currency": "usd", "return_url": "/done"}),
                json!({"amount": 100, "currency": "usd", "return_url": "javascript:alert(1)"}),
            ],
        ),
        (
            "parameter_unknown",
            Some("amout"),
            vec![json!({"amount": 100, "currency": "usd", "amout": 100})],
        ),
        (
            "parameter_unknown",
            Some("status"),
            vec![json!({"amount": 100, "currency": "usd", "status": "succeeded"})],
        ),
        ("parameter_invalid", None, vec![json!([1, 2]), json!("amount")]),
    ];
    for (code, param, bodies) in cases {
        for body in bodies {
            let r = api.create_payment(&m.test_key, body.clone()).await;
            let got = r.error(400);
            assert_eq!(got, (Some(code.to_owned()), param.map(str::to_owned)), "{body}");
            r.assert_request_id();
        }
    }

    let raw = |body: &'static [u8], content_type| api.post_raw(&m.test_key, "/v1/payments", content_type, body);
    for body in [
        &b"{"[..],
        b"{\"amount\": 100, \"currency\": \"usd\"",
        b"{\"amount\": 100,}",
        b"{\"amount\": 100} trailing",
        b"{\"amount\": 100, \"currency\": \"us\xffd\"}",
        b"{\"amount\": 100, \"amount\": 200, \"currency\": \"usd\"}",
    ] {
        let r = raw(body, "application/json").await;
        let (code, _) = r.error(400);
        assert!(
            matches!(code.as_deref(), Some("invalid_json") | Some("parameter_invalid")),
            "{}: {}",
            String::from_utf8_lossy(body),
            r.text
        );
    }
    let r = raw(b"amount=100&currency=usd", "application/x-www-form-urlencoded").await;
    assert_eq!(r.error(415).0.as_deref(), Some("content_type_invalid"));
    let r = raw(b"{\"amount\": 100, \"currency\": \"usd\"}", "text/plain").await;
    assert_eq!(r.error(415).0.as_deref(), Some("content_type_invalid"));
    let ok = raw(
        b"{\"amount\": 100, \"currency\": \"usd\"}",
        "application/json; charset=utf-8",
    )
    .await;
    assert_eq!(ok.status, 200, "a charset parameter is fine: {}", ok.text);

    assert_eq!(
        api.item_count().await,
        items + 4,
        "only the one valid payment (and its event's head, body and timeline entry) was written"
    );
}

#[tokio::test]
async fn concurrent_creates_are_all_distinct_and_readable() {
    let (api, [m]) = TestApi::with_merchants(["Concurrent"]).await;
    let cus = api.create_customer(&m.test_key, json!({})).await.id();
    let replies = futures::future::join_all((0..20).map(|i| {
        api.create_payment(
            &m.test_key,
            json!({"amount": 1000 + i, "currency": "usd", "customer_id": cus}),
        )
    }))
    .await;
    let ids: HashSet<String> = replies.iter().map(|r| r.id()).collect();
    assert_eq!(ids.len(), 20);
    for r in &replies {
        let read = api.get_payment(&m.test_key, &r.id()).await;
        assert_eq!(read.body, r.body);
    }
}
