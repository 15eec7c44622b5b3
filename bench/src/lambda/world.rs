//! The data the measured requests act on: the local API in this process
//! over a fresh table (reached through the recording proxy, or directly),
//! one merchant, and per request the fresh objects its fixture names (a
//! capture needs a payment awaiting capture, a detach an attached method),
//! created through the API itself. The fixtures in `events/` name fixed
//! ids; they are rewritten to the created ones.

use std::{path::PathBuf, sync::Arc};

use paynectra::{
    service::{accounts, App},
    store::{schema, Store},
};
use paynectra_local::{LocalApi, Template, Throttling};
use paynectra_tests::Merchant;
use serde_json::{json, Value};

pub const FINGERPRINT_KEY: &str = "paynectra-bench-fingerprint-key";
pub const REQUEST_FINGERPRINT_KEY: &str = "paynectra-bench-request-fingerprint-key";
pub const WEBHOOK_SECRET_KEY: &str = "paynectra-bench-webhook-secret-key-0123";

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The local API on a fresh table reached at `endpoint`.
pub struct World {
    pub base: String,
    pub app: &'static App,
    pub http: reqwest::Client,
    pub merchant: Merchant,
    /// The local Secrets Manager the function binaries read their keys from.
    pub secrets_url: String,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl World {
    pub async fn start(endpoint: &str) -> World {
        let client = paynectra_tests::local_client(endpoint).await;
        let table = format!("test-{}", uuid::Uuid::new_v4().simple());
        schema::create_table(&client, &table).await.expect("create table");
        let app: &'static App = Box::leak(Box::new(App {
            card_fingerprint_key: Some(FINGERPRINT_KEY.as_bytes().to_vec()),
            request_fingerprint_key: Some(REQUEST_FINGERPRINT_KEY.as_bytes().to_vec()),
            webhook_secrets: paynectra::domain::webhook_endpoint::SecretBox::new(WEBHOOK_SECRET_KEY),
            allow_local_webhook_urls: true,
            ..App::new(Store::new(client, table))
        }));
        let template = Template::load(&repo_root().join("template.yaml")).expect("template.yaml");
        // The benchmark measures our code, not the stage's throttle.
        let api = Arc::new(
            LocalApi::new(template, app)
                .expect("every route has a function")
                .with_throttling(Throttling::Off),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(paynectra_local::serve(listener, api, async {
            let _ = rx.await;
        }));
        let secrets_url = paynectra_local::secrets::serve(std::collections::BTreeMap::from([
            (
                paynectra_local::secrets::CARD_FINGERPRINT_KEY.to_owned(),
                FINGERPRINT_KEY.to_owned(),
            ),
            (
                paynectra_local::secrets::REQUEST_FINGERPRINT_KEY.to_owned(),
                REQUEST_FINGERPRINT_KEY.to_owned(),
            ),
            (
                paynectra_local::secrets::WEBHOOK_SECRET_KEY.to_owned(),
                WEBHOOK_SECRET_KEY.to_owned(),
            ),
        ]))
        .await
        .expect("serve the local secrets");
        let merchant: Merchant = accounts::create_account(&app.store, "Bench", app.clock.now())
            .await
            .expect("create account")
            .into();
        World {
            base,
            app,
            http: reqwest::Client::new(),
            merchant,
            secrets_url,
            _shutdown: tx,
        }
    }

    pub fn table(&self) -> &str {
        self.app.store.table()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.merchant.test_key)
            .json(&body)
            .send()
            .await
            .expect("seed request");
        let status = r.status();
        let v: Value = r.json().await.expect("seed response");
        assert!(status.is_success(), "seeding POST {path}: {status} {v}");
        v
    }

    async fn id(&self, path: &str, body: Value) -> String {
        self.post(path, body).await["id"].as_str().expect("an id").to_owned()
    }

    async fn card(&self) -> String {
        self.id(
            "/v1/payment_methods",
            json!({"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}}),
        )
        .await
    }

    async fn payment(&self, manual: bool) -> Value {
        let capture = if manual { "manual" } else { "automatic" };
        self.post(
            "/v1/payments",
            json!({"amount": 4999, "currency": "usd", "capture_method": capture}),
        )
        .await
    }

    async fn confirmed(&self, manual: bool) -> String {
        let pay = self.payment(manual).await["id"].as_str().unwrap().to_owned();
        let pm = self.card().await;
        self.post(&format!("/v1/payments/{pay}/confirm"), json!({"payment_method": pm}))
            .await;
        pay
    }

    /// Creates what `function`'s fixture names and returns the fixture,
    /// rewritten to name it (and this merchant's account and keys).
    pub async fn event_for(&self, function: &str) -> String {
        let mut subst: Vec<(&str, String)> = Vec::new();
        let pay = "pay_0fixture000000000000000000000001";
        match function {
            "get_payment" | "hosted_page" | "authorizer" | "cancel_payment" | "list_refunds" => {
                let p = self.payment(false).await;
                subst.push((
                    "pay_0fixture000000000000000000000001_secret_0fixture",
                    p["client_secret"].as_str().unwrap_or_default().to_owned(),
                ));
                subst.push((pay, p["id"].as_str().unwrap().to_owned()));
            }
            "confirm_payment" => {
                let p = self.payment(false).await;
                subst.push((pay, p["id"].as_str().unwrap().to_owned()));
                subst.push(("pm_0fixture000000000000000000000001", self.card().await));
            }
            "capture_payment" => subst.push((pay, self.confirmed(true).await)),
            "create_refund" => subst.push((pay, self.confirmed(false).await)),
            "get_refund" | "update_refund" | "cancel_refund" | "expire_refund" => {
                let p = self.confirmed(false).await;
                let re = self.id("/v1/refunds", json!({"payment_id": p, "amount": 100})).await;
                // The expire fixture names the second fixture refund.
                let fixture = if function == "expire_refund" {
                    "re_0fixture000000000000000000000002"
                } else {
                    "re_0fixture000000000000000000000001"
                };
                subst.push((fixture, re));
            }
            "attach_payment_method" | "detach_payment_method" => {
                let cus = self.id("/v1/customers", json!({})).await;
                let pm = self.card().await;
                if function == "detach_payment_method" {
                    self.post(
                        &format!("/v1/customers/{cus}/payment_methods"),
                        json!({"payment_method": pm}),
                    )
                    .await;
                }
                subst.push(("cus_0fixture000000000000000000000001", cus));
                subst.push(("pm_0fixture000000000000000000000001", pm));
            }
            "get_customer" | "update_customer" | "delete_customer" | "list_payment_methods" => {
                let cus = self.id("/v1/customers", json!({})).await;
                subst.push(("cus_0fixture000000000000000000000001", cus));
            }
            "get_event" => {
                let p = self.payment(false).await;
                let r = self
                    .http
                    .get(format!("{}/v1/events?limit=1", self.base))
                    .bearer_auth(&self.merchant.test_key)
                    .send()
                    .await
                    .expect("list events");
                let v: Value = r.json().await.expect("events");
                let evt = v["data"][0]["id"].as_str().expect("an event").to_owned();
                drop(p);
                subst.push(("evt_0fixture000000000000000000000001", evt));
            }
            "delete_webhook_endpoint" => {
                let we = self
                    .id(
                        "/v1/webhook_endpoints",
                        json!({"url": "https://shop.example/hooks", "enabled_events": ["payment.*"]}),
                    )
                    .await;
                subst.push(("we_0fixture000000000000000000000001", we));
            }
            _ => {}
        }
        // The stream record of deliver_webhooks stays on the fixture's
        // account, which has no webhook endpoints: the bench merchant's
        // (created by create_webhook_endpoint runs) would have it POST to
        // the fixtures' shop.example URLs, over the network.
        if function != "deliver_webhooks" {
            subst.push((
                "acct_0fixture000000000000000000000001",
                self.merchant.account_id.clone(),
            ));
        }
        subst.push((
            "sk_test_0fixtureKeyNotARealSecret0000001",
            self.merchant.test_key.clone(),
        ));
        subst.push((
            "pk_test_0fixturePublishableKey000001",
            self.merchant.test_publishable_key.clone(),
        ));
        let mut text = std::fs::read_to_string(repo_root().join("events").join(format!("{function}.json")))
            .unwrap_or_else(|e| panic!("events/{function}.json: {e}"));
        for (from, to) in &subst {
            text = text.replace(from, to);
        }
        text
    }
}

/// An HTTP request described by an API Gateway REST event.
pub struct HttpCall {
    pub method: reqwest::Method,
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

impl HttpCall {
    pub fn from_event(event: &str) -> HttpCall {
        let e: Value = serde_json::from_str(event).expect("event JSON");
        let mut path_and_query = e["path"].as_str().expect("path").to_owned();
        if let Some(q) = e["queryStringParameters"].as_object() {
            let mut s = form_urlencoded_pairs(q);
            if !s.is_empty() {
                s.insert(0, '?');
                path_and_query.push_str(&s);
            }
        }
        let headers = e["headers"]
            .as_object()
            .map(|h| {
                h.iter()
                    .filter(|(k, _)| {
                        let k = k.to_ascii_lowercase();
                        k != "host" && !k.starts_with("x-forwarded") && k != "content-length"
                    })
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        HttpCall {
            method: e["httpMethod"].as_str().expect("httpMethod").parse().expect("a method"),
            path_and_query,
            headers,
            body: e["body"].as_str().map(str::to_owned),
        }
    }

    pub fn request(&self, http: &reqwest::Client, base: &str) -> reqwest::RequestBuilder {
        let mut r = http.request(self.method.clone(), format!("{base}{}", self.path_and_query));
        for (k, v) in &self.headers {
            r = r.header(k, v);
        }
        if let Some(b) = &self.body {
            r = r.body(b.clone());
        }
        r
    }
}

fn form_urlencoded_pairs(q: &serde_json::Map<String, Value>) -> String {
    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'*' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    q.iter()
        .filter_map(|(k, v)| Some(format!("{}={}", enc(k), enc(v.as_str()?))))
        .collect::<Vec<_>>()
        .join("&")
}

/// The order of `jobs` in round `round` of an interleaved run: rotated by
/// `round * stride` places, and reversed on odd rounds, so that no job
/// always runs first, last or after the same neighbour (drift on the machine
/// spreads over all of them).
pub fn round_order<T: Clone>(jobs: &[T], round: usize, stride: usize) -> Vec<T> {
    let mut order = jobs.to_vec();
    order.rotate_left((round * stride) % jobs.len());
    if round % 2 == 1 {
        order.reverse();
    }
    order
}

/// Milliseconds.
pub fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Median of (unsorted) values.
pub fn median(v: &[f64]) -> f64 {
    percentile(v, 0.5)
}

/// Nearest-rank percentile.
pub fn percentile(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p * s.len() as f64).ceil() as usize).clamp(1, s.len());
    if p == 0.5 && s.len().is_multiple_of(2) {
        return (s[s.len() / 2 - 1] + s[s.len() / 2]) / 2.0;
    }
    s[rank - 1]
}
