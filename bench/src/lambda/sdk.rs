//! What the SDK adds to one DynamoDB call: the same strongly consistent
//! GetItem sent by a bare HTTP client and by SDK clients configured as the
//! functions' (`paynectra::store::sdk_config`) and with one feature turned
//! off, alternating call by call against the same DynamoDB Local.

use std::time::Instant;

use aws_sdk_dynamodb::{
    config::StalledStreamProtectionConfig,
    types::{AttributeValue, ReturnConsumedCapacity},
};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::{client::legacy::Client, rt::TokioExecutor};

use crate::world::{median, ms, percentile};

pub async fn measure(endpoint: &str, table: &str, iterations: usize) {
    let ours = paynectra_tests::local_client(endpoint).await;
    let no_stall = aws_sdk_dynamodb::Client::from_conf(
        ours.config()
            .to_builder()
            .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
            .build(),
    );
    let key = |c: &aws_sdk_dynamodb::Client| {
        c.get_item()
            .table_name(table)
            .key("pk", AttributeValue::S("BENCH#item".into()))
            .key("sk", AttributeValue::S("BENCH".into()))
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::None)
    };
    ours.put_item()
        .table_name(table)
        .item("pk", AttributeValue::S("BENCH#item".into()))
        .item("sk", AttributeValue::S("BENCH".into()))
        .item("data", AttributeValue::S("x".repeat(400)))
        .send()
        .await
        .expect("put the item");
    let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
    connector.set_nodelay(true);
    let raw: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);
    let body = Bytes::from(
        serde_json::json!({
            "TableName": table,
            "Key": {"pk": {"S": "BENCH#item"}, "sk": {"S": "BENCH"}},
            "ConsistentRead": true,
        })
        .to_string(),
    );
    let raw_call = || {
        let req = http::Request::post(format!("{}/", endpoint.trim_end_matches('/')))
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", "DynamoDB_20120810.GetItem")
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
            )
            .body(Full::new(body.clone()))
            .unwrap();
        let raw = raw.clone();
        async move {
            let res = raw.request(req).await.expect("raw GetItem");
            assert!(res.status().is_success());
            res.into_body().collect().await.expect("body");
        }
    };
    // Warm all three.
    for _ in 0..50 {
        raw_call().await;
        key(&ours).send().await.expect("GetItem");
        key(&no_stall).send().await.expect("GetItem");
    }
    let (mut r, mut o, mut n) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..iterations {
        for j in 0..3 {
            let t = Instant::now();
            match (i + j) % 3 {
                0 => {
                    raw_call().await;
                    r.push(ms(t.elapsed()));
                }
                1 => {
                    key(&ours).send().await.expect("GetItem");
                    o.push(ms(t.elapsed()));
                }
                _ => {
                    key(&no_stall).send().await.expect("GetItem");
                    n.push(ms(t.elapsed()));
                }
            }
        }
    }
    println!("\n### One GetItem: bare HTTP client against the SDK ({iterations} calls each, alternating; ms)\n");
    println!("| client | median | p99 | median − bare |");
    println!("|---|---|---|---|");
    let base = median(&r);
    for (name, v) in [
        ("bare HTTP/1.1 (hyper), same JSON body", &r),
        ("SDK, the functions' configuration", &o),
        ("SDK, stalled-stream protection off", &n),
    ] {
        println!(
            "| {name} | {:.3} | {:.3} | {:+.3} |",
            median(v),
            percentile(v, 0.99),
            median(v) - base
        );
    }
}

/// GET /v1/events/{id}'s reads before and after they became one Query
/// (the old path is still in the store), alternating, on one event.
pub async fn measure_event_read(world: &crate::world::World, iterations: usize) {
    use paynectra::domain::{EventId, Mode, Tenant};
    let r = world
        .http
        .post(format!("{}/v1/customers", world.base))
        .bearer_auth(&world.merchant.test_key)
        .json(&serde_json::json!({"email": "jenny@example.com"}))
        .send()
        .await
        .expect("create a customer");
    assert!(r.status().is_success());
    let v: serde_json::Value = world
        .http
        .get(format!("{}/v1/events?limit=1", world.base))
        .bearer_auth(&world.merchant.test_key)
        .send()
        .await
        .expect("list events")
        .json()
        .await
        .expect("events");
    let id: EventId = v["data"][0]["id"]
        .as_str()
        .expect("an event")
        .parse()
        .expect("an event id");
    let tenant = Tenant::new(world.merchant.account_id.parse().expect("account id"), Mode::Test);
    let store = &world.app.store;
    let (mut before, mut after) = (Vec::new(), Vec::new());
    for i in 0..iterations + 20 {
        for j in 0..2 {
            let t = Instant::now();
            if (i + j) % 2 == 0 {
                let e = store
                    .get_event(&tenant, &id, paynectra::service::now_unix())
                    .await
                    .expect("GetItem")
                    .expect("found");
                let d = store.deliveries(&tenant, &id).await.expect("Query");
                std::hint::black_box((e, d));
                if i >= 20 {
                    before.push(ms(t.elapsed()));
                }
            } else {
                let x = store
                    .event_with_deliveries(&tenant, &id, paynectra::service::now_unix())
                    .await
                    .expect("Query")
                    .expect("found");
                std::hint::black_box(x);
                if i >= 20 {
                    after.push(ms(t.elapsed()));
                }
            }
        }
    }
    println!("\n### GET /v1/events/{{id}}'s reads, before and after ({iterations} each, alternating; ms)\n");
    println!("| path | DynamoDB calls | median | p99 |");
    println!("|---|---|---|---|");
    println!(
        "| before: GetItem event + Query deliveries | 2 | {:.3} | {:.3} |",
        median(&before),
        percentile(&before, 0.99)
    );
    println!(
        "| after: one Query of the event's partition | 1 | {:.3} | {:.3} |",
        median(&after),
        percentile(&after, 0.99)
    );
    println!("\nAfter / before: {:.2}x (median).", median(&after) / median(&before));
}
