//! The workload: merchants (one big one carrying 40% of the payments), some
//! with a webhook endpoint that answers 200 and some with one that answers
//! 500, and per payment a mix of the API's calls, on a simulated clock that
//! runs the retries and the hold sweep to their end.

use std::{
    convert::Infallible,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use futures::StreamExt;
use http_body_util::Full;
use hyper::{body::Bytes, service::service_fn};
use hyper_util::rt::TokioIo;
use paynectra_tests::TestApi;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::proxy::Proxy;

pub struct Config {
    pub merchants: usize,
    pub payments: usize,
    pub seed: u64,
    pub target_merchants: usize,
    pub concurrency: usize,
    /// The big merchant's list shard count (`paynectra-admin accounts
    /// shard-lists`).
    pub big_list_shards: u8,
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| v.parse().unwrap_or_else(|_| panic!("{name} must be a number")))
        .unwrap_or(default)
}

impl Config {
    pub fn from_env() -> Config {
        Config {
            merchants: env_or("BENCH_HEAT_MERCHANTS", 200).max(2) as usize,
            payments: env_or("BENCH_HEAT_PAYMENTS", 1000) as usize,
            seed: env_or("BENCH_HEAT_SEED", 16),
            target_merchants: env_or("BENCH_HEAT_TARGET_MERCHANTS", 10_000) as usize,
            concurrency: env_or("BENCH_HEAT_CONCURRENCY", 8).max(1) as usize,
            big_list_shards: u8::try_from(env_or("BENCH_HEAT_BIG_SHARDS", 64))
                .ok()
                .filter(|n| (1..=paynectra::domain::MAX_LIST_SHARDS).contains(n))
                .expect("BENCH_HEAT_BIG_SHARDS is 1 to 64"),
        }
    }
}

/// A merchant's webhook endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Hooks {
    None,
    /// One endpoint answering 200.
    Ok,
    /// One endpoint answering 500.
    Failing,
}

pub struct Merchant {
    pub account: String,
    /// `K#{sha256(key)}`: the partition the authorizer reads per request.
    pub key_partition: String,
    pub hooks: Hooks,
    pub big: bool,
    pub payments: usize,
    key: String,
}

/// What the workload did.
pub struct Run {
    pub merchants: Vec<Merchant>,
    pub payments: usize,
    /// API calls by what they were, and how many answered other than 2xx.
    pub calls: std::collections::BTreeMap<&'static str, usize>,
    pub failed_calls: usize,
    pub deliveries_ok: usize,
    pub deliveries_failed: usize,
    pub holds_expired: usize,
    pub simulated_seconds: i64,
}

/// splitmix64: a fixed sequence per seed, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A webhook receiver on loopback answering `status` to everything; counts.
async fn receiver(status: u16) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind receiver");
    let url = format!("http://{}/hooks", listener.local_addr().expect("addr"));
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |_req: hyper::Request<hyper::body::Incoming>| {
                    seen.fetch_add(1, Ordering::SeqCst);
                    let mut res = hyper::Response::new(Full::new(Bytes::from_static(b"ok")));
                    *res.status_mut() = hyper::StatusCode::from_u16(status).expect("a status");
                    async move { Ok::<_, Infallible>(res) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (url, count)
}

/// One payment's calls, chosen up front (so the run is the same whatever
/// order the concurrent payments finish in).
struct Plan {
    merchant: usize,
    manual: bool,
    /// Manual only: captured (else left to expire, for the hold sweep).
    capture: bool,
    refunds: usize,
    list_payments: bool,
    list_events: bool,
}

struct Client<'a> {
    api: &'a TestApi,
    calls: std::sync::Mutex<std::collections::BTreeMap<&'static str, usize>>,
    failed: AtomicUsize,
}

impl Client<'_> {
    async fn call(
        &self,
        what: &'static str,
        key: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        *self.calls.lock().unwrap().entry(what).or_default() += 1;
        let mut r = self
            .api
            .http
            .request(method, format!("{}{path}", self.api.base))
            .bearer_auth(key);
        if let Some(b) = body {
            r = r.json(&b);
        }
        match r.send().await {
            Ok(res) if res.status().is_success() => res.json().await.unwrap_or_default(),
            Ok(res) => {
                self.failed.fetch_add(1, Ordering::SeqCst);
                if std::env::var_os("BENCH_DEBUG").is_some() {
                    eprintln!(
                        "{what} {path}: {} {}",
                        res.status(),
                        res.text().await.unwrap_or_default()
                    );
                }
                Value::Null
            }
            Err(_) => {
                self.failed.fetch_add(1, Ordering::SeqCst);
                Value::Null
            }
        }
    }

    async fn payment(&self, key: &str, p: &Plan) {
        use reqwest::Method;
        let capture = if p.manual { "manual" } else { "automatic" };
        let body = json!({"amount": 4999, "currency": "usd", "capture_method": capture});
        let created = self.call("create", key, Method::POST, "/v1/payments", Some(body)).await;
        let Some(id) = created["id"].as_str() else { return };
        let pm = json!({"payment_method": "pm_card_visa"});
        self.call(
            "confirm",
            key,
            Method::POST,
            &format!("/v1/payments/{id}/confirm"),
            Some(pm),
        )
        .await;
        if p.manual {
            if !p.capture {
                return;
            }
            self.call(
                "capture",
                key,
                Method::POST,
                &format!("/v1/payments/{id}/capture"),
                Some(json!({})),
            )
            .await;
        }
        for _ in 0..p.refunds {
            let body = json!({"payment_id": id, "amount": 1000});
            self.call("refund", key, Method::POST, "/v1/refunds", Some(body)).await;
        }
        if p.list_payments {
            self.call("list payments", key, Method::GET, "/v1/payments?limit=10", None)
                .await;
        }
        if p.list_events {
            self.call("list events", key, Method::GET, "/v1/events?limit=10", None)
                .await;
        }
    }
}

/// Waits until nothing has been written for 2 s (the stream consumer, the
/// workers and the sweep are done with what is due), 120 s at most.
async fn settle(proxy: &Proxy) {
    let writes = || {
        let l = proxy.ledger();
        [
            "PutItem",
            "UpdateItem",
            "DeleteItem",
            "TransactWriteItems",
            "BatchWriteItem",
        ]
        .iter()
        .map(|o| l.ops.get(*o).copied().unwrap_or(0))
        .sum::<usize>()
    };
    let mut last = writes();
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let now = writes();
        if now == last {
            return;
        }
        last = now;
    }
}

pub async fn run(cfg: &Config, proxy: &Proxy) -> Run {
    let api = TestApi::spawn_with_webhooks().await;
    let start = api.now();
    let (ok_url, ok_count) = receiver(200).await;
    let (bad_url, bad_count) = receiver(500).await;
    let mut rng = Rng(cfg.seed);
    let client = Client {
        api: &api,
        calls: Default::default(),
        failed: AtomicUsize::new(0),
    };
    let mut merchants = Vec::with_capacity(cfg.merchants);
    for i in 0..cfg.merchants {
        let m = api.merchant(&format!("Heat {i}")).await;
        if i == 0 {
            let account = m.account_id.parse().expect("an account id");
            api.app
                .store
                .set_list_shards(&account, cfg.big_list_shards)
                .await
                .expect("shard the big merchant's lists");
        }
        // The big merchant has one endpoint that works; the others: half
        // none, 40% one that works, 10% one that fails.
        let hooks = match (i, rng.unit()) {
            (0, _) => Hooks::Ok,
            (_, r) if r < 0.5 => Hooks::None,
            (_, r) if r < 0.9 => Hooks::Ok,
            _ => Hooks::Failing,
        };
        let url = match hooks {
            Hooks::None => None,
            Hooks::Ok => Some(&ok_url),
            Hooks::Failing => Some(&bad_url),
        };
        if let Some(url) = url {
            let body = json!({"url": url, "enabled_events": ["*"]});
            let we = client
                .call(
                    "endpoint",
                    &m.test_key,
                    reqwest::Method::POST,
                    "/v1/webhook_endpoints",
                    Some(body),
                )
                .await;
            assert!(we["id"].is_string(), "creating a webhook endpoint failed");
        }
        merchants.push(Merchant {
            key_partition: format!("K#{}", hex(&Sha256::digest(m.test_key.as_bytes()))),
            account: m.account_id,
            hooks,
            big: i == 0,
            payments: 0,
            key: m.test_key,
        });
    }
    let plans: Vec<Plan> = (0..cfg.payments)
        .map(|_| {
            let merchant = if rng.unit() < 0.4 {
                0
            } else {
                1 + (rng.next() % (cfg.merchants as u64 - 1)) as usize
            };
            let manual = rng.unit() < 0.25;
            let capture = rng.unit() < 0.8;
            let r = rng.unit();
            let refunds = if !manual || capture {
                (r < 0.2) as usize + (r < 0.05) as usize
            } else {
                0
            };
            Plan {
                merchant,
                manual,
                capture,
                refunds,
                list_payments: rng.unit() < 0.1,
                list_events: rng.unit() < 0.05,
            }
        })
        .collect();
    for p in &plans {
        merchants[p.merchant].payments += 1;
    }
    settle(proxy).await;
    // Setting up (accounts, endpoints) is not per-payment traffic.
    proxy.reset_keys();
    eprintln!(
        "==> {} merchants set up; {} payments, {} in flight",
        cfg.merchants, cfg.payments, cfg.concurrency
    );
    // A simulated minute per 100 payments: the first retries come due while
    // payments continue.
    for (n, chunk) in plans.chunks(100).enumerate() {
        futures::stream::iter(chunk)
            .for_each_concurrent(cfg.concurrency, |p| client.payment(&merchants[p.merchant].key, p))
            .await;
        api.advance(60);
        eprintln!("    {} payments", (n * 100 + chunk.len()).min(cfg.payments));
    }
    settle(proxy).await;
    // Every retry comes due, to the end of the schedule (about three days).
    let mut waited = 0;
    let mut n = 1;
    while waited <= paynectra::domain::delivery::RETRY_FOR_SECONDS {
        let step = paynectra::domain::delivery::backoff(n) + 1;
        api.advance(step);
        waited += step;
        n += 1;
        settle(proxy).await;
    }
    // Every hold that was not captured expires; the sweep cancels it (its
    // cancellations go through the stream and webhooks too).
    api.advance(paynectra::domain::payment::HOLD_SECONDS + 3600);
    let budget = paynectra::service::sweeps::SweepBudget::within(std::time::Duration::from_secs(600));
    let swept = paynectra::service::payments::expire_holds(api.app, api.now(), budget)
        .await
        .expect("the hold sweep");
    settle(proxy).await;
    let calls = client.calls.lock().unwrap().clone();
    Run {
        merchants,
        payments: cfg.payments,
        calls,
        failed_calls: client.failed.load(Ordering::SeqCst),
        deliveries_ok: ok_count.load(Ordering::SeqCst),
        deliveries_failed: bad_count.load(Ordering::SeqCst),
        holds_expired: swept.cancelled,
        simulated_seconds: api.now() - start,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
