//! Requests the API refuses whatever the endpoint: a corpus of hostile
//! bodies against every POST endpoint (each gets a 4xx in the error shape,
//! and the table is exactly as it was, compared item by item before and
//! after), unknown routes and oversized bodies.

use paynectra_tests::TestApi;
use serde_json::json;

/// Every item in the table, sorted (tests only: a Scan).
async fn dump(api: &TestApi) -> Vec<String> {
    let mut items = Vec::new();
    let mut pages = api.scan().into_paginator().items().send();
    while let Some(item) = pages.next().await {
        // Canonical JSON (maps sorted), so the comparison does not depend on
        // the order a HashMap happens to iterate in.
        let value: serde_json::Value = serde_dynamo::from_item(item.unwrap()).unwrap();
        items.push(value.to_string());
    }
    items.sort();
    items
}

#[tokio::test]
async fn hostile_bodies_get_4xx_and_change_nothing() {
    let (api, [m]) = TestApi::with_merchants(["Hostile"]).await;
    let cus = api
        .create_customer(&m.test_key, json!({"email": "x@example.com"}))
        .await
        .id();
    let pay = api.captured_payment(&m, paynectra::domain::Mode::Test, 1000).await;
    let before = dump(&api).await;

    let endpoints = [
        "/v1/payments".to_string(),
        "/v1/customers".to_string(),
        format!("/v1/customers/{cus}"),
        "/v1/refunds".to_string(),
        "/v1/payment_methods".to_string(),
        format!("/v1/payments/{pay}/confirm"),
        format!("/v1/payments/{pay}/capture"),
        format!("/v1/payments/{pay}/cancel"),
        format!("/v1/customers/{cus}/payment_methods"),
        "/v1/webhook_endpoints".to_string(),
    ];
    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
    let long = format!(
        "{{\"description\": \"{}\", \"name\": \"{}\"}}",
        "x".repeat(100_000),
        "y".repeat(100_000)
    );
    let bodies: Vec<(Vec<u8>, &str)> = vec![
        (b"{".to_vec(), "application/json"),
        (b"{\"amount\": 1000, \"currency\": \"usd\"".to_vec(), "application/json"),
        (b"{\"amount\": 10".to_vec(), "application/json"),
        (b"\xff\xfe{}".to_vec(), "application/json"),
        (b"{\"a\": \"\xc3\x28\"}".to_vec(), "application/json"),
        (deep.into_bytes(), "application/json"),
        (b"{\"amount\": 1e999999, \"currency\": \"usd\"}".to_vec(), "application/json"),
        (b"{\"amount\": 123456789012345678901234567890, \"currency\": \"usd\"}".to_vec(), "application/json"),
        (b"{\"amount\": -0.0}".to_vec(), "application/json"),
        (b"{\"unknown_parameter\": true}".to_vec(), "application/json"),
        (long.into_bytes(), "application/json"),
        (b"{\"metadata\": {\"k\": {\"nested\": 1}}}".to_vec(), "application/json"),
        (b"{\"customer_id\": \"cus_x#T#acct_1#live\", \"payment_id\": \"pay_' OR 1=1 --\", \"payment_method\": \"pm_../../etc\"}".to_vec(), "application/json"),
        (b"{\"amount\": 1000, \"amount\": 2000}".to_vec(), "application/json"),
        (b"amount=1000&currency=usd".to_vec(), "application/x-www-form-urlencoded"),
        (b"<xml/>".to_vec(), "text/xml"),
        (b"[]".to_vec(), "application/json"),
        (b"null".to_vec(), "application/json"),
        (b"\"string\"".to_vec(), "application/json"),
        (b"{\"email\": \"\\u0000@example.com\", \"url\": \"javascript:alert(1)\", \"enabled_events\": \"*\"}".to_vec(), "application/json"),
    ];
    let mut checked = 0;
    for path in &endpoints {
        for (body, content_type) in &bodies {
            let r = api.post_raw(&m.test_key, path, content_type, body.clone()).await;
            assert!(
                (400..500).contains(&r.status),
                "{path} with {:?}: {} {}",
                String::from_utf8_lossy(&body[..body.len().min(80)]),
                r.status,
                r.text
            );
            r.error(r.status);
            checked += 1;
        }
    }
    assert_eq!(checked, endpoints.len() * bodies.len());
    assert_eq!(dump(&api).await, before, "nothing was written by any refused request");
}

#[tokio::test]
async fn gateway_level_errors() {
    let (api, [m]) = TestApi::with_merchants(["Gateway"]).await;
    for (method, path) in [
        ("GET", "/v1/nope"),
        ("DELETE", "/v1/payments"),
        ("PUT", "/v1/payments"),
        ("PATCH", "/v1/customers/cus_1"),
        ("GET", "/"),
    ] {
        let r = api.send(api.request(method.parse().unwrap(), &m.test_key, path)).await;
        assert_eq!(r.error(404).0.as_deref(), Some("url_unrecognized"), "{method} {path}");
        r.assert_request_id();
    }
    // Bodies over API Gateway's 10 MB limit are refused before any parsing.
    let big = vec![b' '; paynectra_local::MAX_BODY_BYTES + 1];
    let r = api.post_raw(&m.test_key, "/v1/payments", "application/json", big).await;
    assert_eq!(r.error(413).0.as_deref(), Some("request_too_large"));
}
