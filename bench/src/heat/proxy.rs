//! The ledger's proxy: between the code under test and DynamoDB Local, it
//! forwards every call and charges each partition the call touches (the
//! table's and every index's) by the rules of [`super::ledger`].
//!
//! Writes are serialised through the proxy, so the item images it reads
//! around one (a consistent GetItem before, and after an Update, sent by the
//! proxy itself and not charged) are that write's. Every forwarded data-plane
//! call asks for `ReturnConsumedCapacity: INDEXES`, so DynamoDB Local's own
//! per-table and per-index figures are summed beside the ledger's (the
//! cross-check); the reply loses them again if the caller did not ask.

use std::{
    collections::{BTreeMap, HashMap},
    convert::Infallible,
    sync::{Arc, Mutex},
};

use http::{HeaderMap, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::{body::Bytes, service::service_fn};
use hyper_util::{
    client::legacy::{connect::HttpConnector, Client},
    rt::{TokioExecutor, TokioIo},
};
use serde_json::{json, Value};

use super::ledger::{self, Charge, Item, Kind, Schema};

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// Units per (index, partition key, kind), and who the item belongs to.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    /// (index or "table", partition key, kind) → units.
    pub by_key: HashMap<(String, String, Kind), f64>,
    /// (owning account or "platform", kind) → units: the account named in the
    /// charged item's key (a global index entry names its payment's account in
    /// its sort key).
    pub by_owner: HashMap<(String, Kind), f64>,
    /// The ledger's totals over calls that succeeded, per table / index and operation.
    pub charged: BTreeMap<(String, Kind), f64>,
    /// DynamoDB Local's `ConsumedCapacity` for the same calls, per table / index.
    pub reported: BTreeMap<(String, Kind), f64>,
    /// Calls per operation.
    pub ops: BTreeMap<String, usize>,
    /// Single writes refused by their condition (charged to the table's
    /// partition, as DynamoDB does) and cancelled transactions (not charged).
    pub refused: usize,
    pub cancelled: usize,
}

impl Ledger {
    fn add(&mut self, op: &str, owner: Option<&str>, charges: Vec<Charge>, ok: bool) {
        for c in charges {
            let index = c.index.clone().unwrap_or_else(|| "table".into());
            *self.by_key.entry((index.clone(), c.pk.clone(), c.kind)).or_default() += c.units;
            *self
                .by_owner
                .entry((owner.unwrap_or("platform").to_owned(), c.kind))
                .or_default() += c.units;
            if ok {
                *self.charged.entry((format!("{index} {op}"), c.kind)).or_default() += c.units;
            }
        }
    }

    /// Forgets the charges per key and owner (the cross-check's totals stay).
    pub fn reset_keys(&mut self) {
        self.by_key.clear();
        self.by_owner.clear();
    }
}

struct Inner {
    upstream: String,
    client: HttpClient,
    schema: Schema,
    ledger: Mutex<Ledger>,
    writes: tokio::sync::Mutex<()>,
}

#[derive(Clone)]
pub struct Proxy {
    pub url: String,
    inner: Arc<Inner>,
}

impl Proxy {
    pub async fn start(upstream: &str, schema: Schema) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let url = format!("http://{}", listener.local_addr().expect("proxy addr"));
        let inner = Arc::new(Inner {
            upstream: upstream.trim_end_matches('/').to_owned(),
            client: Client::builder(TokioExecutor::new()).build(HttpConnector::new()),
            schema,
            ledger: Mutex::default(),
            writes: tokio::sync::Mutex::new(()),
        });
        let state = inner.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(state.handle(req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Proxy { url, inner }
    }

    pub fn ledger(&self) -> Ledger {
        self.inner.ledger.lock().unwrap().clone()
    }

    pub fn reset_keys(&self) {
        self.inner.ledger.lock().unwrap().reset_keys();
    }
}

/// A write a call makes: the item's key and what becomes of it.
enum Write {
    Put(Item),
    Update,
    Delete,
    Check,
}

/// The account an item belongs to, if its key names one.
fn owner(key: &Item) -> Option<String> {
    key.values().filter_map(|v| v.get("S")?.as_str()).find_map(|s| {
        let at = s.find("acct_")?;
        s.get(at..at + 37).map(str::to_owned)
    })
}

fn is_write(op: &str) -> bool {
    matches!(
        op,
        "PutItem" | "UpdateItem" | "DeleteItem" | "TransactWriteItems" | "BatchWriteItem"
    )
}

impl Inner {
    fn key_of(&self, item: &Item) -> Item {
        item.iter()
            .filter(|(k, _)| **k == self.schema.pk || **k == self.schema.sk)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The writes in a write call's request: (table, key, write).
    fn writes_of(&self, op: &str, req: &Value) -> Vec<(String, Item, Write)> {
        let table = |v: &Value| v["TableName"].as_str().unwrap_or_default().to_owned();
        let key = |v: &Value| v["Key"].as_object().cloned().unwrap_or_default();
        let put = |v: &Value| {
            let item = v["Item"].as_object().cloned().unwrap_or_default();
            (table(v), self.key_of(&item), Write::Put(item))
        };
        match op {
            "PutItem" => vec![put(req)],
            "UpdateItem" => vec![(table(req), key(req), Write::Update)],
            "DeleteItem" => vec![(table(req), key(req), Write::Delete)],
            "TransactWriteItems" => req["TransactItems"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| {
                    Some(if let Some(p) = t.get("Put") {
                        put(p)
                    } else if let Some(u) = t.get("Update") {
                        (table(u), key(u), Write::Update)
                    } else if let Some(d) = t.get("Delete") {
                        (table(d), key(d), Write::Delete)
                    } else {
                        let c = t.get("ConditionCheck")?;
                        (table(c), key(c), Write::Check)
                    })
                })
                .collect(),
            _ => req["RequestItems"]
                .as_object()
                .into_iter()
                .flatten()
                .flat_map(|(t, reqs)| {
                    reqs.as_array().into_iter().flatten().filter_map(move |r| {
                        if let Some(p) = r.get("PutRequest") {
                            let item = p["Item"].as_object().cloned().unwrap_or_default();
                            Some((t.clone(), self.key_of(&item), Write::Put(item)))
                        } else {
                            let k = r.get("DeleteRequest")?["Key"].as_object().cloned()?;
                            Some((t.clone(), k, Write::Delete))
                        }
                    })
                })
                .collect(),
        }
    }

    /// Sends `body` to DynamoDB Local with the caller's headers, as `op` if
    /// given (the proxy's own reads), else as the caller's call.
    async fn send(
        &self,
        headers: &HeaderMap,
        op: Option<&str>,
        body: Vec<u8>,
    ) -> Option<(http::StatusCode, HeaderMap, Bytes)> {
        let mut req = Request::builder().method("POST").uri(format!("{}/", self.upstream));
        for (k, v) in headers {
            if k != http::header::CONTENT_LENGTH
                && k != http::header::HOST
                && k != http::header::CONNECTION
                && k != http::header::TRANSFER_ENCODING
                && (op.is_none() || k != "x-amz-target")
            {
                req = req.header(k, v);
            }
        }
        if let Some(op) = op {
            req = req.header("x-amz-target", format!("DynamoDB_20120810.{op}"));
        }
        let res = self
            .client
            .request(req.body(Full::new(Bytes::from(body))).ok()?)
            .await
            .ok()?;
        let (p, b) = res.into_parts();
        Some((p.status, p.headers, b.collect().await.ok()?.to_bytes()))
    }

    /// A read the proxy makes for itself (not charged): the reply's JSON.
    async fn own(&self, headers: &HeaderMap, op: &str, body: Value) -> Value {
        match self.send(headers, Some(op), serde_json::to_vec(&body).unwrap()).await {
            Some((s, _, b)) if s.is_success() => serde_json::from_slice(&b).unwrap_or_default(),
            _ => Value::Null,
        }
    }

    async fn image(&self, headers: &HeaderMap, table: &str, key: &Item) -> Option<Item> {
        let r = self
            .own(
                headers,
                "GetItem",
                json!({"TableName": table, "Key": key, "ConsistentRead": true}),
            )
            .await;
        r["Item"].as_object().cloned()
    }

    async fn handle(&self, req: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
        let (parts, body) = req.into_parts();
        let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
            return Response::builder().status(400).body(Full::default()).unwrap();
        };
        let op = crate::operation::operation(&parts.headers);
        let charged = is_write(&op) || matches!(op.as_str(), "GetItem" | "BatchGetItem" | "Query");
        let mut request: Value = if charged {
            serde_json::from_slice(&body).unwrap_or_default()
        } else {
            Value::Null
        };
        let asked = request
            .get("ReturnConsumedCapacity")
            .and_then(Value::as_str)
            .is_some_and(|v| v != "NONE");
        let sent = if let Some(m) = request.as_object_mut() {
            m.insert("ReturnConsumedCapacity".into(), "INDEXES".into());
            serde_json::to_vec(&request).unwrap()
        } else {
            body.to_vec()
        };
        // A write's images before it, then the write alone (no other write
        // comes between the images and the write).
        let guard = if is_write(&op) {
            Some(self.writes.lock().await)
        } else {
            None
        };
        let mut writes = Vec::new();
        if guard.is_some() {
            for (table, key, w) in self.writes_of(&op, &request) {
                let before = self.image(&parts.headers, &table, &key).await;
                writes.push((table, key, w, before));
            }
        }
        let Some((status, headers, reply)) = self.send(&parts.headers, None, sent).await else {
            return Response::builder().status(502).body(Full::default()).unwrap();
        };
        let mut reply_json: Value = if charged {
            serde_json::from_slice(&reply).unwrap_or_default()
        } else {
            Value::Null
        };
        let mut charges: Vec<(Option<String>, Vec<Charge>, bool)> = Vec::new();
        let mut label = op.as_str();
        let mut checks: Vec<(Option<String>, Vec<Charge>)> = Vec::new();
        let schema = &self.schema;
        if guard.is_some() {
            let transactional = op == "TransactWriteItems";
            if status.is_success() {
                for (table, key, w, before) in &writes {
                    let after = match w {
                        Write::Put(item) => Some(item.clone()),
                        Write::Update => self.image(&parts.headers, table, key).await,
                        Write::Delete => None,
                        Write::Check => {
                            // DynamoDB Local reports nothing for a condition
                            // check: a line of its own in the cross-check.
                            let c = ledger::charge_refused_write(schema, key, before.as_ref(), transactional);
                            checks.push((owner(key), c));
                            continue;
                        }
                    };
                    let c = match (before, &after) {
                        // Deleting what is not there: the key's partition, the minimum.
                        (None, None) => ledger::charge_refused_write(schema, key, None, transactional),
                        _ => ledger::charge_write(schema, before.as_ref(), after.as_ref(), transactional),
                    };
                    charges.push((owner(key), c, true));
                }
            } else {
                let kind = reply_json["__type"].as_str().unwrap_or_default();
                let mut l = self.ledger.lock().unwrap();
                if kind.ends_with("ConditionalCheckFailedException") {
                    l.refused += 1;
                    drop(l);
                    for (_, key, _, before) in &writes {
                        charges.push((
                            owner(key),
                            ledger::charge_refused_write(schema, key, before.as_ref(), false),
                            false,
                        ));
                    }
                } else if kind.ends_with("TransactionCanceledException") {
                    l.cancelled += 1;
                }
            }
        } else if status.is_success() && op == "GetItem" {
            let consistent = request["ConsistentRead"].as_bool().unwrap_or(false);
            let key = request["Key"].as_object().cloned().unwrap_or_default();
            let item = if request.get("ProjectionExpression").is_some() {
                let table = request["TableName"].as_str().unwrap_or_default().to_owned();
                self.image(&parts.headers, &table, &key).await
            } else {
                reply_json["Item"].as_object().cloned()
            };
            let pk = key.get(&schema.pk).and_then(|v| v["S"].as_str()).unwrap_or_default();
            let read = ledger::charge_read(None, pk, item.as_slice(), consistent, false);
            charges.push((owner(&key), vec![read], true));
        } else if status.is_success() && op == "BatchGetItem" {
            // Each key as a GetItem of its own: the item found (by its key
            // attributes), or the minimum for a key that has none.
            for (table, asked) in request["RequestItems"].as_object().into_iter().flatten() {
                let consistent = asked["ConsistentRead"].as_bool().unwrap_or(false);
                let found: Vec<Item> = reply_json["Responses"][table]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|i| i.as_object().cloned())
                    .collect();
                for key in asked["Keys"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_object)
                {
                    let item = found.iter().find(|i| key.iter().all(|(k, v)| i.get(k) == Some(v)));
                    let pk = key.get(&schema.pk).and_then(|v| v["S"].as_str()).unwrap_or_default();
                    let read = ledger::charge_read(
                        None,
                        pk,
                        item.map(std::slice::from_ref).unwrap_or(&[]),
                        consistent,
                        false,
                    );
                    charges.push((owner(key), vec![read], true));
                }
            }
        } else if status.is_success() && op == "Query" {
            let items = self.read_by_query(&parts.headers, &request, &reply_json).await;
            if let Some(pk) = ledger::queried_partition(schema, &request) {
                let index = request["IndexName"].as_str();
                let consistent = request["ConsistentRead"].as_bool().unwrap_or(false);
                let key: Item = [(schema.pk.clone(), json!({"S": pk}))].into_iter().collect();
                let read = ledger::charge_read(index, &pk, &items, consistent, false);
                charges.push((owner(&key), vec![read], true));
                // DynamoDB Local reports nothing for a Query that read
                // nothing; DynamoDB charges its minimum: a line of its own
                // in the cross-check.
                if items.is_empty() {
                    label = "Query (read nothing)";
                }
            }
        }
        drop(guard);
        let ours: f64 = charges
            .iter()
            .filter(|c| c.2)
            .flat_map(|c| &c.1)
            .filter(|c| c.index.is_none())
            .map(|c| c.units)
            .sum();
        {
            let mut l = self.ledger.lock().unwrap();
            *l.ops.entry(op.clone()).or_default() += 1;
            for (o, c, ok) in charges {
                l.add(label, o.as_deref(), c, ok);
            }
            for (o, c) in checks {
                l.add("TransactWriteItems ConditionCheck", o.as_deref(), c, true);
            }
            if charged && status.is_success() {
                let kind = if is_write(&op) { Kind::Write } else { Kind::Read };
                if std::env::var_os("BENCH_DEBUG").is_some() {
                    let theirs: f64 = reported(&reply_json, kind)
                        .iter()
                        .filter(|r| r.0 == "table")
                        .map(|r| r.1 + r.2)
                        .sum();
                    if ours != theirs {
                        eprintln!("ledger {ours} vs {theirs}: {op} {request}");
                    }
                }
                for (index, read, write) in reported(&reply_json, kind) {
                    *l.reported.entry((format!("{index} {op}"), Kind::Read)).or_default() += read;
                    *l.reported.entry((format!("{index} {op}"), Kind::Write)).or_default() += write;
                }
            }
        }
        let reply = if charged && !asked && reply_json.get("ConsumedCapacity").is_some() {
            if let Some(m) = reply_json.as_object_mut() {
                m.remove("ConsumedCapacity");
            }
            Bytes::from(serde_json::to_vec(&reply_json).unwrap())
        } else {
            reply
        };
        let mut r = Response::builder().status(status);
        for (k, v) in &headers {
            // The body may have changed: its length and checksum are recomputed / dropped.
            if k != http::header::CONTENT_LENGTH && k != http::header::TRANSFER_ENCODING && k != "x-amz-crc32" {
                r = r.header(k, v);
            }
        }
        r.body(Full::new(reply)).unwrap()
    }

    /// The items a Query read (before its filter, whole whatever its
    /// projection): its reply's, or the same Query again without them.
    async fn read_by_query(&self, headers: &HeaderMap, request: &Value, reply: &Value) -> Vec<Item> {
        let reshaped = ["FilterExpression", "ProjectionExpression", "Select"]
            .iter()
            .any(|k| request.get(*k).is_some());
        let items = if reshaped {
            let mut again = request.clone();
            let m = again.as_object_mut().unwrap();
            for k in [
                "FilterExpression",
                "ProjectionExpression",
                "Select",
                "ReturnConsumedCapacity",
            ] {
                m.remove(k);
            }
            // Only the placeholders the key condition still uses may stay.
            let kc = m
                .get("KeyConditionExpression")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            for field in ["ExpressionAttributeNames", "ExpressionAttributeValues"] {
                if let Some(Value::Object(o)) = m.get_mut(field) {
                    o.retain(|k, _| kc.contains(k.as_str()));
                    if o.is_empty() {
                        m.remove(field);
                    }
                }
            }
            self.own(headers, "Query", again).await["Items"].clone()
        } else {
            reply["Items"].clone()
        };
        items
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i.as_object().cloned())
            .collect()
    }
}

/// DynamoDB's `ConsumedCapacity` in a reply: (table or index, read units,
/// write units); a figure without the split counts as `kind`.
fn reported(reply: &Value, kind: Kind) -> Vec<(String, f64, f64)> {
    let cc = &reply["ConsumedCapacity"];
    let all: Vec<&Value> = match cc {
        Value::Array(a) => a.iter().collect(),
        Value::Object(_) => vec![cc],
        _ => vec![],
    };
    let split = |v: &Value| {
        let f = |k: &str| v[k].as_f64();
        match (f("ReadCapacityUnits"), f("WriteCapacityUnits")) {
            (None, None) => {
                let units = f("CapacityUnits").unwrap_or(0.0);
                if kind == Kind::Read {
                    (units, 0.0)
                } else {
                    (0.0, units)
                }
            }
            (r, w) => (r.unwrap_or(0.0), w.unwrap_or(0.0)),
        }
    };
    let mut out = Vec::new();
    for c in all {
        // Only a total (no per-table line): all of it on the table's.
        let table = if c.get("Table").is_some() { &c["Table"] } else { c };
        let (r, w) = split(table);
        out.push(("table".to_owned(), r, w));
        for (name, i) in c["GlobalSecondaryIndexes"].as_object().into_iter().flatten() {
            let (r, w) = split(i);
            out.push((name.clone(), r, w));
        }
    }
    out
}
