//! The API as the tests call it: one method per endpoint on [`TestApi`]
//! (`api.create_payment(key, body)`, `api.refund(key, body)`, ...), each
//! sending exactly the request a client would and returning the [`Reply`],
//! read whole. Bodies stay with the tests, so every test shows what it asks.

use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};

use crate::TestApi;

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: serde_json::Value,
    pub text: String,
}

impl Reply {
    pub async fn from(res: reqwest::Response) -> Self {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        Self {
            status,
            headers,
            body,
            text,
        }
    }

    /// Asserts a 200 (showing the body otherwise) and passes the reply on.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(self.status, 200, "{}", self.text);
        self
    }

    /// The `id` of the object returned.
    #[track_caller]
    pub fn id(&self) -> String {
        self.body["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id in {}", self.text))
            .to_owned()
    }

    /// A list's `data`.
    #[track_caller]
    pub fn data(&self) -> &Vec<Value> {
        self.body["data"]
            .as_array()
            .unwrap_or_else(|| panic!("no list in {}", self.text))
    }

    /// The ids of a list's objects, in order.
    #[track_caller]
    pub fn ids(&self) -> Vec<String> {
        self.data()
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Whether this answer is a replay of a recorded one (`Idempotent-Replayed`).
    pub fn replayed(&self) -> bool {
        self.headers.get("idempotent-replayed").is_some_and(|v| v == "true")
    }

    #[track_caller]
    pub fn assert_request_id(&self) {
        let v = self
            .headers
            .get("request-id")
            .expect("every response carries Request-Id");
        assert!(!v.to_str().unwrap().is_empty());
    }

    /// Asserts the standard error shape and returns `(code, param)`.
    #[track_caller]
    pub fn error(&self, status: u16) -> (Option<String>, Option<String>) {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.text);
        let e = self.body["error"]
            .as_object()
            .unwrap_or_else(|| panic!("no error object: {}", self.text));
        let mut keys: Vec<&str> = e.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["code", "message", "param", "type"], "error shape: {}", self.text);
        assert!(
            e["message"].as_str().is_some_and(|m| !m.is_empty()),
            "message: {}",
            self.text
        );
        (
            e["code"].as_str().map(str::to_owned),
            e["param"].as_str().map(str::to_owned),
        )
    }
}

/// `path`, with `?query` unless the query is empty.
fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// The raw requests: any method, header or body.
impl TestApi {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request to `path` with a bearer key, to finish and [`TestApi::send`].
    pub fn request(&self, method: Method, key: &str, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(key)
    }

    pub async fn send(&self, req: RequestBuilder) -> Reply {
        Reply::from(req.send().await.expect("request")).await
    }

    /// POST a JSON body with a bearer key.
    pub async fn post(&self, key: &str, path: &str, body: Value) -> Reply {
        self.send(self.request(Method::POST, key, path).json(&body)).await
    }

    /// [`TestApi::post`] with an `Idempotency-Key`.
    pub async fn post_idempotent(&self, key: &str, path: &str, idempotency_key: &str, body: Value) -> Reply {
        self.send(
            self.request(Method::POST, key, path)
                .header("Idempotency-Key", idempotency_key)
                .json(&body),
        )
        .await
    }

    /// POST these bytes as they are, with this `Content-Type`.
    pub async fn post_raw(&self, key: &str, path: &str, content_type: &str, body: impl Into<reqwest::Body>) -> Reply {
        self.send(
            self.request(Method::POST, key, path)
                .header("Content-Type", content_type)
                .body(body),
        )
        .await
    }

    pub async fn get(&self, key: &str, path: &str) -> Reply {
        self.send(self.request(Method::GET, key, path)).await
    }

    pub async fn delete(&self, key: &str, path: &str) -> Reply {
        self.send(self.request(Method::DELETE, key, path)).await
    }
}

/// Payments: `/v1/payments` and the lifecycle's transitions.
impl TestApi {
    pub async fn create_payment(&self, key: &str, body: Value) -> Reply {
        self.post(key, "/v1/payments", body).await
    }

    /// Creates a payment, asserting it was created; returns its id.
    pub async fn new_payment(&self, key: &str, body: Value) -> String {
        self.create_payment(key, body).await.ok().id()
    }

    pub async fn get_payment(&self, key: &str, id: &str) -> Reply {
        self.get(key, &format!("/v1/payments/{id}")).await
    }

    /// `GET /v1/payments?{query}` (no `?` for an empty query).
    pub async fn list_payments(&self, key: &str, query: &str) -> Reply {
        self.get(key, &with_query("/v1/payments", query)).await
    }

    /// Confirms `payment` with `payment_method` (an id or a test alias).
    pub async fn confirm(&self, key: &str, payment: &str, payment_method: &str) -> Reply {
        self.confirm_with(key, payment, json!({"payment_method": payment_method}))
            .await
    }

    /// Confirms `payment` with any body (a client secret, a bad one).
    pub async fn confirm_with(&self, key: &str, payment: &str, body: Value) -> Reply {
        self.post(key, &format!("/v1/payments/{payment}/confirm"), body).await
    }

    pub async fn capture(&self, key: &str, payment: &str, body: Value) -> Reply {
        self.post(key, &format!("/v1/payments/{payment}/capture"), body).await
    }

    pub async fn cancel(&self, key: &str, payment: &str, body: Value) -> Reply {
        self.post(key, &format!("/v1/payments/{payment}/cancel"), body).await
    }
}

/// Refunds.
impl TestApi {
    pub async fn refund(&self, key: &str, body: Value) -> Reply {
        self.post(key, "/v1/refunds", body).await
    }

    pub async fn get_refund(&self, key: &str, id: &str) -> Reply {
        self.get(key, &format!("/v1/refunds/{id}")).await
    }

    pub async fn list_refunds(&self, key: &str, query: &str) -> Reply {
        self.get(key, &with_query("/v1/refunds", query)).await
    }

    pub async fn update_refund(&self, key: &str, id: &str, body: Value) -> Reply {
        self.post(key, &format!("/v1/refunds/{id}"), body).await
    }

    pub async fn cancel_refund(&self, key: &str, id: &str) -> Reply {
        self.post(key, &format!("/v1/refunds/{id}/cancel"), serde_json::json!({}))
            .await
    }

    /// The test helper: the simulated network answers the refund now.
    pub async fn expire_refund(&self, key: &str, id: &str) -> Reply {
        self.post(
            key,
            &format!("/v1/test_helpers/refunds/{id}/expire"),
            serde_json::json!({}),
        )
        .await
    }

    /// A test-mode payment of `amount` cents confirmed (and captured) with
    /// the test card `alias` (`pm_card_visa`, `pm_card_refundFail`, ...).
    pub async fn paid_with(&self, key: &str, alias: &str, amount: i64) -> String {
        let pay = self
            .new_payment(key, serde_json::json!({"amount": amount, "currency": "usd"}))
            .await;
        let confirmed = self.confirm(key, &pay, alias).await;
        assert_eq!(confirmed.status, 200, "{}", confirmed.text);
        assert_eq!(confirmed.body["status"], "succeeded");
        pay
    }
}

/// Customers.
impl TestApi {
    pub async fn create_customer(&self, key: &str, body: Value) -> Reply {
        self.post(key, "/v1/customers", body).await
    }

    /// Creates a customer, asserting it was created; returns its id.
    pub async fn new_customer(&self, key: &str, body: Value) -> String {
        self.create_customer(key, body).await.ok().id()
    }

    pub async fn get_customer(&self, key: &str, id: &str) -> Reply {
        self.get(key, &format!("/v1/customers/{id}")).await
    }

    pub async fn update_customer(&self, key: &str, id: &str, body: Value) -> Reply {
        self.post(key, &format!("/v1/customers/{id}"), body).await
    }

    pub async fn delete_customer(&self, key: &str, id: &str) -> Reply {
        self.delete(key, &format!("/v1/customers/{id}")).await
    }

    pub async fn list_customers(&self, key: &str, query: &str) -> Reply {
        self.get(key, &with_query("/v1/customers", query)).await
    }
}

/// Payment methods, and a customer's saved ones.
impl TestApi {
    pub async fn create_payment_method(&self, key: &str, body: Value) -> Reply {
        self.post(key, "/v1/payment_methods", body).await
    }

    /// A card payment method for `number` (12/2034, a CVC of the brand's length).
    pub async fn create_card(&self, key: &str, number: &str) -> Reply {
        let cvc = if number.starts_with("37") { "1234" } else { "123" };
        self.create_payment_method(
            key,
            json!({"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": cvc}}),
        )
        .await
    }

    /// Creates a card payment method, asserting it was created; returns its id.
    pub async fn new_card(&self, key: &str, number: &str) -> String {
        self.create_card(key, number).await.ok().id()
    }

    /// Attaches `payment_method` to `customer`.
    pub async fn attach(&self, key: &str, customer: &str, payment_method: &str) -> Reply {
        self.post(
            key,
            &format!("/v1/customers/{customer}/payment_methods"),
            json!({"payment_method": payment_method}),
        )
        .await
    }

    pub async fn detach(&self, key: &str, customer: &str, payment_method: &str) -> Reply {
        self.delete(
            key,
            &format!("/v1/customers/{customer}/payment_methods/{payment_method}"),
        )
        .await
    }

    pub async fn list_payment_methods(&self, key: &str, customer: &str) -> Reply {
        self.get(key, &format!("/v1/customers/{customer}/payment_methods"))
            .await
    }
}

/// Events and webhook endpoints.
impl TestApi {
    pub async fn get_event(&self, key: &str, id: &str) -> Reply {
        self.get(key, &format!("/v1/events/{id}")).await
    }

    pub async fn list_events(&self, key: &str, query: &str) -> Reply {
        self.get(key, &with_query("/v1/events", query)).await
    }

    pub async fn create_webhook_endpoint(&self, key: &str, body: Value) -> Reply {
        self.post(key, "/v1/webhook_endpoints", body).await
    }

    pub async fn list_webhook_endpoints(&self, key: &str) -> Reply {
        self.get(key, "/v1/webhook_endpoints").await
    }

    pub async fn delete_webhook_endpoint(&self, key: &str, id: &str) -> Reply {
        self.delete(key, &format!("/v1/webhook_endpoints/{id}")).await
    }
}
