//! A recording proxy between the code under test and DynamoDB Local, and the
//! replay of what it recorded against a twin table.
//!
//! Every call is forwarded unchanged and recorded (operation, body, arrival
//! time, DynamoDB Local's own time for it). The twin table is created and
//! written by replaying the same calls with the table name swapped, so it
//! holds the same items as the measured table before each measured request;
//! replaying a request's calls against it is then the same work for
//! DynamoDB (the same conditions pass, the same items are read), done by a
//! bare HTTP client: the "raw DynamoDB calls" a request makes. The replay
//! also asks for `ReturnConsumedCapacity=TOTAL`, so the capacity each call
//! consumed is known without changing what the code under test sends.

use std::{
    convert::Infallible,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use http::{HeaderMap, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::{body::Bytes, service::service_fn};
use hyper_util::{
    client::legacy::{connect::HttpConnector, Client},
    rt::{TokioExecutor, TokioIo},
};

type HttpClient = Client<HttpConnector, Full<Bytes>>;

fn http_client() -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new()).build(connector)
}

/// One DynamoDB call as the proxy saw it.
#[derive(Clone, Debug)]
pub struct Call {
    pub at: Instant,
    /// `GetItem`, `TransactWriteItems`, ...
    pub op: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// DynamoDB Local's time for it, seen from the proxy.
    pub upstream: Duration,
}

#[derive(Clone)]
pub struct Proxy {
    pub url: String,
    log: Arc<Mutex<Vec<Call>>>,
    /// TCP connections accepted so far.
    connections: Arc<std::sync::atomic::AtomicUsize>,
}

impl Proxy {
    /// A proxy to `upstream`; `record`: keep a log of the calls (the
    /// replay's own hop, which makes the replayed calls cross the same kind
    /// of hop as the measured ones, does not).
    pub async fn start(upstream: &str, record: bool) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr: SocketAddr = listener.local_addr().expect("proxy addr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let client = http_client();
        let upstream = upstream.trim_end_matches('/').to_owned();
        let state = (record.then(|| log.clone()), client, upstream);
        let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let accepted = connections.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                accepted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let _ = stream.set_nodelay(true);
                let (log, client, upstream) = state.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                        let (log, client, upstream) = (log.clone(), client.clone(), upstream.clone());
                        async move { Ok::<_, Infallible>(forward(req, log.as_deref(), &client, &upstream).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Proxy {
            url: format!("http://{addr}"),
            log,
            connections,
        }
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// How many calls were recorded so far.
    pub fn len(&self) -> usize {
        self.log.lock().unwrap().len()
    }

    /// The calls recorded from index `from` on.
    pub fn since(&self, from: usize) -> Vec<Call> {
        self.log.lock().unwrap()[from..].to_vec()
    }
}

async fn forward(
    req: Request<hyper::body::Incoming>,
    log: Option<&Mutex<Vec<Call>>>,
    client: &HttpClient,
    upstream: &str,
) -> Response<Full<Bytes>> {
    let at = Instant::now();
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Response::builder().status(400).body(Full::default()).unwrap(),
    };
    let op = crate::operation::operation(&parts.headers);
    let uri = format!(
        "{upstream}{}",
        parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
    );
    let mut out = Request::builder().method(parts.method.clone()).uri(uri);
    for (k, v) in &parts.headers {
        if k != http::header::CONTENT_LENGTH && k != http::header::TRANSFER_ENCODING && k != http::header::CONNECTION {
            out = out.header(k, v);
        }
    }
    let started = Instant::now();
    let res = client.request(out.body(Full::new(body.clone())).unwrap()).await;
    let res = match res {
        Ok(r) => {
            let (p, b) = r.into_parts();
            let bytes = b.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            let mut r = Response::builder().status(p.status);
            for (k, v) in &p.headers {
                if k != http::header::CONTENT_LENGTH && k != http::header::TRANSFER_ENCODING {
                    r = r.header(k, v);
                }
            }
            r.body(Full::new(bytes)).unwrap()
        }
        Err(_) => Response::builder().status(502).body(Full::default()).unwrap(),
    };
    let upstream_time = started.elapsed();
    let Some(log) = log else { return res };
    log.lock().unwrap().push(Call {
        at,
        op,
        headers: parts.headers,
        body,
        upstream: upstream_time,
    });
    res
}

/// Capacity DynamoDB reported for some calls.
#[derive(Clone, Copy, Debug, Default)]
pub struct Capacity {
    pub read: f64,
    pub write: f64,
}

impl std::ops::AddAssign for Capacity {
    fn add_assign(&mut self, o: Self) {
        self.read += o.read;
        self.write += o.write;
    }
}

/// What replaying some calls took.
#[derive(Clone, Debug, Default)]
pub struct Replayed {
    pub total: Duration,
    pub capacity: Capacity,
    pub ops: Vec<String>,
    /// Calls DynamoDB refused on the twin (should be the same refusals as
    /// on the measured table: a lost condition, say).
    pub errors: usize,
}

const DATA_PLANE: [&str; 10] = [
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "TransactWriteItems",
    "TransactGetItems",
    "BatchGetItem",
    "BatchWriteItem",
];

fn is_read(op: &str) -> bool {
    matches!(op, "GetItem" | "Query" | "Scan" | "TransactGetItems" | "BatchGetItem")
}

/// The twin table and a warm client to it.
pub struct Twin {
    upstream: String,
    from: String,
    to: String,
    warm: HttpClient,
    /// Index in the proxy's log up to which calls have been replayed.
    done: usize,
}

impl Twin {
    /// `from` is the measured table's name; the twin's name has the same
    /// length, so bodies keep their size. `upstream`: DynamoDB Local, or a
    /// non-recording proxy in front of it (the same hop the measured calls
    /// take through the recording proxy).
    pub fn new(upstream: &str, from: &str) -> Twin {
        let to = format!("twin{}", &from[4..]);
        assert_eq!(to.len(), from.len());
        Twin {
            upstream: upstream.trim_end_matches('/').to_owned(),
            from: from.to_owned(),
            to,
            warm: http_client(),
            done: 0,
        }
    }

    /// Replays, untimed, every call recorded since the last replay (seeding,
    /// init-phase calls), so the twin holds what the measured table holds.
    pub async fn catch_up(&mut self, proxy: &Proxy) {
        self.catch_up_to(proxy, proxy.len()).await;
    }

    /// [`Twin::catch_up`], up to index `end` of the log.
    pub async fn catch_up_to(&mut self, proxy: &Proxy, end: usize) {
        let mut calls = proxy.since(self.done);
        calls.truncate(end.saturating_sub(self.done));
        self.done += calls.len();
        for c in &calls {
            let _ = self.send(&self.warm.clone(), c).await;
        }
    }

    /// Replays `calls` (the calls of one measured request, recorded from
    /// index `first` in the log; the caller has caught up to `first`),
    /// timed, on the warm client or, `cold`, each on a new connection.
    pub async fn replay(&mut self, first: usize, calls: &[Call], cold: bool) -> Replayed {
        assert_eq!(self.done, first, "catch up before replaying a request");
        self.done += calls.len();
        let mut r = Replayed::default();
        let mut client = self.warm.clone();
        if cold {
            client = http_client();
        }
        for c in calls {
            let (took, cap, ok) = self.send(&client, c).await;
            r.total += took;
            r.capacity += cap;
            r.ops.push(c.op.clone());
            if !ok {
                r.errors += 1;
            }
        }
        r
    }

    async fn send(&self, client: &HttpClient, c: &Call) -> (Duration, Capacity, bool) {
        let text = String::from_utf8_lossy(&c.body).replace(&self.from, &self.to);
        let body = if DATA_PLANE.contains(&c.op.as_str()) {
            match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(serde_json::Value::Object(mut m)) => {
                    m.entry("ReturnConsumedCapacity").or_insert("TOTAL".into());
                    // DynamoDB keeps transaction tokens per account for 10
                    // minutes: the measured call's token, sent again for
                    // another table, would be refused as a mismatch.
                    m.remove("ClientRequestToken");
                    serde_json::to_vec(&m).unwrap()
                }
                _ => text.into_bytes(),
            }
        } else {
            text.into_bytes()
        };
        let mut req = Request::builder().method("POST").uri(format!("{}/", self.upstream));
        for (k, v) in &c.headers {
            if k != http::header::CONTENT_LENGTH && k != http::header::HOST && k != http::header::CONNECTION {
                req = req.header(k, v);
            }
        }
        let req = req.body(Full::new(Bytes::from(body))).unwrap();
        let started = Instant::now();
        let Ok(res) = client.request(req).await else {
            return (started.elapsed(), Capacity::default(), false);
        };
        let ok = res.status().is_success();
        let bytes = res
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let took = started.elapsed();
        if !ok && std::env::var_os("BENCH_DEBUG").is_some() {
            eprintln!("replayed {} refused: {}", c.op, String::from_utf8_lossy(&bytes));
        }
        let mut units = 0.0;
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            let cc = &v["ConsumedCapacity"];
            let all: Vec<&serde_json::Value> = match cc {
                serde_json::Value::Array(a) => a.iter().collect(),
                serde_json::Value::Object(_) => vec![cc],
                _ => vec![],
            };
            units = all.iter().map(|c| c["CapacityUnits"].as_f64().unwrap_or(0.0)).sum();
        }
        let cap = if is_read(&c.op) {
            Capacity {
                read: units,
                write: 0.0,
            }
        } else {
            Capacity {
                read: 0.0,
                write: units,
            }
        };
        (took, cap, ok)
    }
}
