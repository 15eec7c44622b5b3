//! Request overhead: each endpoint through the local HTTP stack (HTTP
//! server, authorizer, handler, both in this process, DynamoDB Local through
//! the recording proxy), against the raw DynamoDB calls it made, replayed
//! on the twin table through the same kind of proxy hop.

use std::{collections::BTreeMap, time::Instant};

use crate::{
    proxy::{Capacity, Proxy, Twin},
    world::{median, ms, percentile, round_order, HttpCall, World},
};

/// The functions behind the API's routes.
pub fn endpoints(functions: &[String]) -> Vec<String> {
    functions
        .iter()
        .filter(|f| {
            !matches!(
                f.as_str(),
                "authorizer" | "deliver_webhooks" | "attempt_webhooks" | "retry_webhooks" | "expire_holds"
            )
        })
        .cloned()
        .collect()
}

/// The fewest DynamoDB calls the data model allows for the fixture's
/// request (docs/data-model.md, "Access patterns"), the authorizer's GetItem
/// included (API Gateway caches it for 60 s when deployed; the local stack
/// runs it on every request).
pub fn minimum(endpoint: &str) -> (usize, &'static str) {
    match endpoint {
        "hosted_page" => (2, "GetItem key + GetItem payment; no authorizer"),
        "get_payment" | "get_customer" | "get_refund" => (2, "auth + GetItem"),
        "list_payments" | "list_customers" | "list_refunds" | "list_events" | "list_webhook_endpoints" => {
            (2, "auth + Query")
        }
        "list_payment_methods" => (3, "auth + GetItem customer (404 if none) + Query"),
        "create_payment" | "create_customer" => (2, "auth + one write: the object and its event"),
        "create_payment_method" | "create_webhook_endpoint" => (2, "auth + PutItem"),
        "attach_payment_method" => (3, "auth + GetItem (a transaction returns nothing) + TransactWriteItems"),
        "detach_payment_method" => (2, "auth + UpdateItem returning the item"),
        "confirm_payment" => (3, "auth + BatchGetItem payment and method + TransactWriteItems"),
        "capture_payment" | "cancel_payment" | "create_refund" | "update_customer" | "delete_customer"
        | "update_refund" | "cancel_refund" | "expire_refund" => (3, "auth + GetItem + TransactWriteItems"),
        "delete_webhook_endpoint" => (2, "auth + conditional UpdateItem"),
        "get_event" => (2, "auth + one Query of the event's partition"),
        _ => (0, "?"),
    }
}

/// One endpoint's requests, each measured three ways (milliseconds).
#[derive(Default)]
pub struct Sample {
    /// The request through the local API, as the client saw it.
    pub took: Vec<f64>,
    /// The same DynamoDB calls replayed back to back on a raw SDK client:
    /// the floor the handler's own work sits on.
    pub raw: Vec<f64>,
    /// The time DynamoDB Local took over the request's calls (through the
    /// recording proxy).
    pub upstream: Vec<f64>,
    pub statuses: Vec<u16>,
    /// The first request's DynamoDB operations, and what they cost.
    pub ops: Vec<String>,
    pub capacity: Capacity,
    /// Replayed calls that failed (the replay is then not a fair floor).
    pub replay_errors: usize,
}

pub async fn measure(
    world: &World,
    proxy: &Proxy,
    twin: &mut Twin,
    endpoints: &[String],
    iterations: usize,
) -> BTreeMap<String, Sample> {
    let mut out: BTreeMap<String, Sample> = BTreeMap::new();
    // Warm every path once (connections, lazy statics), untimed.
    for e in endpoints {
        let call = HttpCall::from_event(&world.event_for(e).await);
        let _ = call.request(&world.http, &world.base).send().await.map(|r| r.bytes());
    }
    let started = Instant::now();
    for i in 0..iterations {
        let order = round_order(endpoints, i, 5);
        for e in order {
            let call = HttpCall::from_event(&world.event_for(&e).await);
            twin.catch_up(proxy).await;
            let mark = proxy.len();
            let t = Instant::now();
            let res = call.request(&world.http, &world.base).send().await.expect("request");
            let status = res.status().as_u16();
            let _ = res.bytes().await;
            let took = t.elapsed();
            let calls = proxy.since(mark);
            let upstream: f64 = calls.iter().map(|c| ms(c.upstream)).sum();
            let r = twin.replay(mark, &calls, false).await;
            let s = out.entry(e.clone()).or_default();
            s.took.push(ms(took));
            s.raw.push(ms(r.total));
            s.upstream.push(upstream);
            s.statuses.push(status);
            if s.ops.is_empty() {
                s.ops = r.ops.clone();
                s.capacity = r.capacity;
            }
            s.replay_errors += r.errors;
        }
        if (i + 1) % 10 == 0 {
            eprintln!("overhead: {}/{iterations} rounds in {:.1?}", i + 1, started.elapsed());
        }
    }
    out
}

pub fn report(samples: &BTreeMap<String, Sample>, iterations: usize) {
    println!("\n### Request overhead ({iterations} requests per endpoint, alternating endpoints; ms)\n");
    println!("| endpoint | status | DynamoDB calls | minimum the data model allows | RCU / WCU | stack median / p99 | raw calls median / p99 | ratio median / p99 |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut ratios = Vec::new();
    for (e, s) in samples {
        let mut statuses = s.statuses.clone();
        statuses.sort();
        statuses.dedup();
        let (min, why) = minimum(e);
        let (m, p) = (median(&s.took), percentile(&s.took, 0.99));
        let (rm, rp) = (median(&s.raw), percentile(&s.raw, 0.99));
        ratios.push(m / rm);
        println!(
            "| {e} | {} | {}{} {}| {min}: {why} | {:.1} / {:.1} | {m:.2} / {p:.2} | {rm:.2} / {rp:.2} | {:.2}x / {:.2}x |",
            statuses.iter().map(|s| s.to_string()).collect::<Vec<_>>().join("/"),
            s.ops.len(),
            if s.ops.len() > min { " **over**" } else { "" },
            summarise(&s.ops),
            s.capacity.read,
            s.capacity.write,
            m / rm,
            p / rp,
        );
        if s.replay_errors > 0 {
            eprintln!(
                "  {e}: {} replayed calls were refused on the twin table",
                s.replay_errors
            );
        }
    }
    println!(
        "\nMedian ratio over endpoints: {:.2}x (max {:.2}x).",
        median(&ratios),
        ratios.iter().cloned().fold(f64::MIN, f64::max)
    );
}

fn summarise(ops: &[String]) -> String {
    if ops.is_empty() {
        return String::new();
    }
    format!("[{}] ", ops.join(", "))
}
