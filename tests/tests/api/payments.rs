//! Payments over real HTTP: the local server (routes, authorizer and
//! gateway responses from template.yaml) in front of DynamoDB Local.

use std::collections::HashSet;

use paynectra_tests::{Reply, TestApi};
use serde_json::{json, Value};

use crate::helpers::{assert_request_id, id};

#[tokio::test]
async fn customer_and_payment_round_trip() {
    let api = TestApi::spawn().await;
    let m = api.merchant("Round trip").await;
    let before = paynectra::service::now_unix();

    let customer = api
        .post(
            &m.test_key,
            "/v1/customers",
            json!({
                "email": "jenny.rosen@example.com",
                "name": "Jenny Rosen",
                "phone": "+14155550123",
                "address": {"line1": "510 Townsend St", "line2": "Floor 2", "city": "San Francisco", "state": "CA", "postal_code": "94103", "country": "us"},
                "metadata": {"user_id": "u_42"}
            }),
        )
        .await;
    assert_eq!(customer.status, 200, "{}", customer.text);
    assert_request_id(&customer);
    let c = &customer.body;
    let cus = id(&customer);
    assert!(cus.starts_with("cus_"));
    assert_eq!(c["object"], "customer");
    assert_eq!(c["email"], "jenny.rosen@example.com");
    assert_eq!(c["name"], "Jenny Rosen");
    assert_eq!(c["phone"], "+14155550123");
    assert_eq!(c["address"]["country"], "US");
    assert_eq!(c["address"]["line2"], "Floor 2");
    assert_eq!(c["metadata"], json!({"user_id": "u_42"}));
    assert_eq!(c["livemode"], false);
    assert!(c["created"].as_i64().unwrap() >= before);

    let read = api.get(&m.test_key, &format!("/v1/customers/{cus}")).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body, customer.body, "a read returns what the create returned");

    let payment = api
        .post(
            &m.test_key,
            "/v1/payments",
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
        .await;
    assert_eq!(payment.status, 200, "{}", payment.text);
    assert_request_id(&payment);
    let p = &payment.body;
    let pay = id(&payment);
    assert!(pay.starts_with("pay_"));
    assert_eq!(p["object"], "payment");
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

    let read = api.get(&m.test_key, &format!("/v1/payments/{pay}")).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body, payment.body);
}

#[tokio::test]
async fn defaults_and_zero_decimal_currencies() {
    let api = TestApi::spawn().await;
    let m = api.merchant("Defaults").await;
    let p = api
        .post(&m.test_key, "/v1/payments", json!({"amount": 500, "currency": "jpy"}))
        .await;
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.body["capture_method"], "automatic");
    assert_eq!(p.body["metadata"], json!({}));
    for field in ["customer_id", "description", "return_url"] {
        assert!(p.body[field].is_null(), "{field} is present and null");
    }
    let small = api
        .post(&m.test_key, "/v1/payments", json!({"amount": 49, "currency": "jpy"}))
        .await;
    assert_eq!(
        small.error(400),
        (Some("amount_too_small".into()), Some("amount".into()))
    );

    // An empty body creates an empty customer, as on Stripe.
    let c = Reply::from(
        api.http
            .post(api.url("/v1/customers"))
            .bearer_auth(&m.test_key)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(c.status, 200, "{}", c.text);
    assert!(c.body["email"].is_null() && c.body["address"].is_null());
}

#[tokio::test]
async fn payment_bad_input_is_400_naming_the_param_and_writes_nothing() {
    let api = TestApi::spawn().await;
    let m = api.merchant("Bad input").await;
    let cus = id(&api.post(&m.test_key, "/v1/customers", json!({})).await);
    let items = api.item_count().await;
    let many: serde_json::Map<String, Value> = (0..51).map(|i| (format!("k{i}"), json!("v"))).collect();
    let cases: Vec<(Value, &str, Option<&str>)> = vec![
        (json!({"currency": "usd"}), "parameter_missing", Some("amount")),
        (json!({"amount": 100}), "parameter_missing", Some("currency")),
        (
            json!({"amount": "100", "currency": "usd"}),
            "parameter_invalid",
            Some("amount"),
        ),
        (
            json!({"amount": 49.99, "currency": "usd"}),
            "parameter_invalid",
            Some("amount"),
        ),
        (
            json!({"amount": 1e300, "currency": "usd"}),
            "parameter_invalid",
            Some("amount"),
        ),
        (
            json!({"amount": u64::MAX, "currency": "usd"}),
            "parameter_invalid",
            Some("amount"),
        ),
        (
            json!({"amount": -100, "currency": "usd"}),
            "parameter_invalid_integer",
            Some("amount"),
        ),
        (
            json!({"amount": 0, "currency": "usd"}),
            "parameter_invalid_integer",
            Some("amount"),
        ),
        (
            json!({"amount": 49, "currency": "usd"}),
            "amount_too_small",
            Some("amount"),
        ),
        (
            json!({"amount": 100_000_000, "currency": "usd"}),
            "amount_too_large",
            Some("amount"),
        ),
        (
            json!({"amount": 100, "currency": "USD"}),
            "currency_invalid",
            Some("currency"),
        ),
        (
            json!({"amount": 100, "currency": "xyz"}),
            "currency_invalid",
            Some("currency"),
        ),
        (
            json!({"amount": 100, "currency": 840}),
            "parameter_invalid",
            Some("currency"),
        ),
        (
            json!({"amount": 100, "currency": "usd", "customer_id": "pay_123"}),
            "resource_missing",
            Some("customer_id"),
        ),
        (
            json!({"amount": 100, "currency": "usd", "customer_id": "cus_00000000000000000000000000000000"}),
            "resource_missing",
            Some("customer_id"),
        ),
        (
            json!({"amount": 100, "currency": "usd", "customer_id": format!("{cus}' OR '1'='1")}),
            "resource_missing",
            Some("customer_id"),
        ),
        (
            json!({"amount": 100, "currency": "usd", "description": ""}),
            "parameter_invalid_string_empty",
            Some("description"),
        ),
        (
            json!({"amount": 100, "currency": "usd", "description": "x".repeat(1001)}),
            "parameter_invalid_string_too_long",
            Some("description"),
        ),
        (
            json!({"amount": 100, "currency": "usd", "capture_method": "later"}),
            "parameter_invalid",
            Some("capture_method"),
        ),
        (
            json!({"amount": 100, "currency": "usd", "metadata": many}),
            "parameter_invalid",
            Some("metadata"),
        ),
        (
            json!({"amount": 100, "currency": "usd", "metadata": {"k".repeat(41): "v"}}),
            "parameter_invalid",
            Some("metadata"),
        ),
        (
            json!({"amount": 100, "currency": "usd", "metadata": {"k": "v".repeat(501)}}),
            "parameter_invalid",
            Some("metadata[k]"),
        ),
        (
            json!({"amount": 100, "currency": "usd", "metadata": {"k": 5}}),
            "parameter_invalid",
            Some("metadata[k]"),
        ),
        (
            json!({"amount": 100, "currency": "usd", "metadata": "x"}),
            "parameter_invalid",
            Some("metadata"),
        ),
        (
            json!({"amount": 100, "currency": "usd", "return_url": "http://shop.example/done"}),
            "url_invalid",
            Some("return_url"),
        ),
        (
            json!({"amount": 100, "currency": "usd", "return_url": "/done"}),
            "url_invalid",
            Some("return_url"),
        ),
        (
            json!({"amount": 100, "currency": "usd", "return_url": "javascript:alert(1)"}),
            "url_invalid",
            Some("return_url"),
        ),
        (
            json!({"amount": 100, "currency": "usd", "amout": 100}),
            "parameter_unknown",
            Some("amout"),
        ),
        (
            json!({"amount": 100, "currency": "usd", "status": "succeeded"}),
            "parameter_unknown",
            Some("status"),
        ),
        (json!([1, 2]), "parameter_invalid", None),
        (json!("amount"), "parameter_invalid", None),
    ];
    for (body, code, param) in cases {
        let r = api.post(&m.test_key, "/v1/payments", body.clone()).await;
        let got = r.error(400);
        assert_eq!(got, (Some(code.to_owned()), param.map(str::to_owned)), "{body}");
        assert_request_id(&r);
    }

    let raw = |body: &'static [u8], content_type: &'static str| {
        let req = api
            .http
            .post(api.url("/v1/payments"))
            .bearer_auth(&m.test_key)
            .header("Content-Type", content_type)
            .body(body);
        async move { Reply::from(req.send().await.unwrap()).await }
    };
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
        items + 2,
        "only the one valid payment (and its event) was written"
    );
}

#[tokio::test]
async fn concurrent_creates_are_all_distinct_and_readable() {
    let api = TestApi::spawn().await;
    let m = api.merchant("Concurrent").await;
    let cus = id(&api.post(&m.test_key, "/v1/customers", json!({})).await);
    let replies = futures::future::join_all((0..20).map(|i| {
        let api = &api;
        let key = m.test_key.clone();
        let cus = cus.clone();
        async move {
            api.post(
                &key,
                "/v1/payments",
                json!({"amount": 1000 + i, "currency": "usd", "customer_id": cus}),
            )
            .await
        }
    }))
    .await;
    let ids: HashSet<String> = replies.iter().map(id).collect();
    assert_eq!(ids.len(), 20);
    for r in &replies {
        let read = api.get(&m.test_key, &format!("/v1/payments/{}", id(r))).await;
        assert_eq!(read.body, r.body);
    }
}
