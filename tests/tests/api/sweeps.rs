//! The hold sweep over the sharded hold index: page by page, each handled
//! entry deleted, resumed after its time budget, once per hold however many
//! runs overlap, and entries of the format before sharding swept too.

use std::time::{Duration, Instant};

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

use paynectra::{
    domain::{payment::HOLD_SECONDS, Mode},
    service::{
        deliveries::{deliver_event, enqueue_due},
        payments::expire_holds,
        queue::DeliveryQueue,
        sweeps::{SweepBudget, GRACE_SECONDS},
        App,
    },
    store::{DueEntry, DueHold, SweepIndex},
};
use paynectra_tests::{Merchant, TestApi};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::usd_held;

/// `n` payments of `m` held (confirmed, manual capture); their ids, and
/// the time their holds expire by.
async fn holds(api: &TestApi, m: &Merchant, n: usize) -> (Vec<String>, i64) {
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        let p = api.new_payment(&m.test_key, usd_held(1000)).await;
        let r = api.confirm(&m.test_key, &p, "pm_card_visa").await;
        assert_eq!(r.body["status"], "requires_capture", "{}", r.body);
        ids.push(p);
    }
    (ids, api.now() + HOLD_SECONDS)
}

/// Every entry of the hold index due by `now` in the buckets of the last
/// day (and the old day partitions).
async fn index_entries(app: &App, now: i64) -> Vec<DueEntry<DueHold>> {
    let index = SweepIndex::Holds;
    let mut partitions = app.store.legacy_sweep_partitions(index, now);
    for b in index.bucket(now - 86_400)..=index.bucket(now) {
        partitions.extend(app.store.sweep_partitions(index, b));
    }
    let mut out = Vec::new();
    for p in partitions {
        let mut start = None;
        loop {
            let page = app.store.due_page(&p, now, start, 100).await.unwrap();
            out.extend(page.entries);
            match page.next {
                Some(next) => start = Some(next),
                None => break,
            }
        }
    }
    out
}

fn budget(time: Duration, page_size: i32, concurrency: usize) -> SweepBudget {
    SweepBudget {
        deadline: Instant::now() + time,
        page_size,
        concurrency,
        partitions: 4,
    }
}

async fn statuses(api: &TestApi, m: &Merchant, ids: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for id in ids {
        let r = api.get_payment(&m.test_key, id).await;
        out.push(r.body["status"].as_str().unwrap().to_owned());
    }
    out
}

#[tokio::test]
async fn a_sweep_over_many_pages_cancels_every_hold_and_deletes_its_entry() {
    let (api, [m]) = TestApi::with_merchants(["Many holds"]).await;
    let (ids, expiry) = holds(&api, &m, 24).await;
    // Captured before the sweep: its entry left the index with the capture.
    api.capture(&m.test_key, &ids[0], serde_json::json!({})).await;
    let later = expiry + 600;
    assert_eq!(index_entries(api.app, later).await.len(), 23);
    // Pages of 2 over 16 shards: more than one page for several shards.
    let sweep = expire_holds(api.app, later, budget(Duration::from_secs(60), 2, 4))
        .await
        .unwrap();
    assert_eq!(sweep.cancelled, 23, "{sweep:?}");
    assert!(sweep.run.complete);
    assert_eq!(sweep.run.due, 23, "{sweep:?}");
    assert!(index_entries(api.app, later).await.is_empty(), "every entry deleted");
    let st = statuses(&api, &m, &ids).await;
    assert_eq!(st[0], "succeeded");
    assert!(st[1..].iter().all(|s| s == "cancelled"), "{st:?}");
    // Swept whole up to the bucket that ended a grace period ago.
    let index = SweepIndex::Holds;
    assert_eq!(sweep.run.swept_through, Some(index.bucket(later - GRACE_SECONDS) - 1));
    // The next run starts after the cursor and finds nothing.
    let again = expire_holds(api.app, later + 60, budget(Duration::from_secs(60), 2, 4))
        .await
        .unwrap();
    assert_eq!((again.run.due, again.cancelled), (0, 0));
    assert!(again.run.queries < sweep.run.queries, "{again:?}");
}

#[tokio::test]
async fn a_run_stopped_by_its_budget_is_resumed_by_the_next() {
    let (api, [m]) = TestApi::with_merchants(["Budget"]).await;
    let (ids, expiry) = holds(&api, &m, 7).await;
    let later = expiry + 600;
    let mut runs = Vec::new();
    loop {
        // No time at all: each run handles one page (of 2) and stops.
        let one_at_a_time = SweepBudget {
            partitions: 1,
            ..budget(Duration::ZERO, 2, 2)
        };
        let sweep = expire_holds(api.app, later, one_at_a_time).await.unwrap();
        runs.push(sweep);
        if sweep.run.complete {
            break;
        }
        assert!(sweep.cancelled >= 1 && sweep.cancelled <= 2, "{sweep:?}");
        assert!(runs.len() <= 8, "{runs:?}");
    }
    assert!(runs.len() >= 4, "7 holds, 2 a run: {runs:?}");
    assert_eq!(runs.iter().map(|r| r.cancelled).sum::<usize>(), 7, "{runs:?}");
    assert!(index_entries(api.app, later).await.is_empty());
    assert!(statuses(&api, &m, &ids).await.iter().all(|s| s == "cancelled"));
}

#[tokio::test]
async fn overlapping_sweeps_cancel_each_hold_once() {
    let (api, [m]) = TestApi::with_merchants(["Overlap"]).await;
    let (ids, expiry) = holds(&api, &m, 12).await;
    let later = expiry + 600;
    let b = || budget(Duration::from_secs(60), 3, 8);
    let (x, y, z) = tokio::join!(
        expire_holds(api.app, later, b()),
        expire_holds(api.app, later, b()),
        expire_holds(api.app, later, b()),
    );
    let (x, y, z) = (x.unwrap(), y.unwrap(), z.unwrap());
    assert_eq!(x.cancelled + y.cancelled + z.cancelled, 12, "{x:?} {y:?} {z:?}");
    assert!(index_entries(api.app, later).await.is_empty());
    // One cancellation event per payment.
    let events = api.list_events(&m.test_key, "type=payment.cancelled&limit=100").await;
    assert_eq!(events.body["data"].as_array().unwrap().len(), 12, "{}", events.body);
    assert!(statuses(&api, &m, &ids).await.iter().all(|s| s == "cancelled"));
    // The cursor was moved by one of them, to where all three got.
    let expected = Some(SweepIndex::Holds.bucket(later - GRACE_SECONDS) - 1);
    assert_eq!(api.app.store.sweep_cursor(SweepIndex::Holds).await.unwrap(), expected);
}

#[tokio::test]
async fn entries_of_the_format_before_sharding_are_still_swept() {
    let (api, [m]) = TestApi::with_merchants(["Legacy"]).await;
    let (ids, expiry) = holds(&api, &m, 3).await;
    // One is captured (its old-format entry stays: only the sweep deletes
    // those), then all three entries are moved to the old HOLD#{day}
    // partitions, as entries written before sharding are.
    let later = expiry + 600;
    for due in index_entries(api.app, later).await {
        api.app
            .store
            .move_to_legacy_format(SweepIndex::Holds, &due, due.entry.capture_before)
            .await
            .unwrap();
    }
    api.capture(&m.test_key, &ids[0], serde_json::json!({})).await;
    let legacy = index_entries(api.app, later).await;
    assert_eq!(legacy.len(), 3);
    assert!(legacy.iter().all(|d| !api.app.store.is_current_hold_entry(d)));
    let sweep = expire_holds(api.app, later, budget(Duration::from_secs(60), 100, 16))
        .await
        .unwrap();
    assert_eq!((sweep.run.due, sweep.cancelled), (3, 2), "{sweep:?}");
    assert!(
        index_entries(api.app, later).await.is_empty(),
        "old entries deleted too"
    );
    assert_eq!(statuses(&api, &m, &ids).await, ["succeeded", "cancelled", "cancelled"]);
}

#[tokio::test]
async fn a_sweep_long_after_the_holds_expired_still_cancels_them() {
    // The sweep did not run for three days (an outage, or a clock that
    // jumps, as the heat benchmark's does): the buckets after its cursor
    // are swept however old they are, not only the last day's.
    let (api, [m]) = TestApi::with_merchants(["Late sweep"]).await;
    let (ids, expiry) = holds(&api, &m, 5).await;
    let much_later = expiry + 3 * 86_400;
    let sweep = expire_holds(api.app, much_later, budget(Duration::from_secs(60), 100, 16))
        .await
        .unwrap();
    assert_eq!((sweep.run.due, sweep.cancelled), (5, 5), "{sweep:?}");
    assert!(sweep.run.complete);
    assert!(statuses(&api, &m, &ids).await.iter().all(|s| s == "cancelled"));
    assert_eq!(
        sweep.run.swept_through,
        Some(SweepIndex::Holds.bucket(much_later - GRACE_SECONDS) - 1)
    );
}

/// The list index keys (gsi1, gsi3) of a payment's stored item.
async fn list_keys(api: &TestApi, m: &Merchant, id: &str) -> [String; 2] {
    let pk = format!("T#{}#test#{id}", m.account_id);
    let item = api
        .app
        .store
        .client()
        .get_item()
        .table_name(api.app.store.table())
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(pk))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S("payment".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    ["gsi1pk", "gsi3pk"].map(|k| item[k].as_s().unwrap().clone())
}

#[tokio::test]
async fn a_sharded_merchants_expired_holds_stay_in_their_list_shards() {
    // The hold's entry carries the account's list shard count, so the
    // sweep's cancellation writes the payment's list keys (and its event)
    // as the API would: the payment stays in its shard of the list.
    let (api, [m]) = TestApi::with_merchants(["Sharded holds"]).await;
    api.app
        .store
        .set_list_shards(&m.account_id.parse().unwrap(), 16)
        .await
        .unwrap();
    let (ids, expiry) = holds(&api, &m, 12).await;
    let before = futures::future::join_all(ids.iter().map(|id| list_keys(&api, &m, id))).await;
    let base = format!("T#{}#test#payment", m.account_id);
    assert!(before.iter().any(|[list, _]| *list != base), "spread over the shards");
    let entries = index_entries(api.app, expiry + 1).await;
    assert!(entries.iter().all(|e| e.entry.list_shards == 16));
    let sweep = expire_holds(
        api.app,
        expiry + GRACE_SECONDS + 1,
        budget(Duration::from_secs(60), 100, 16),
    )
    .await
    .unwrap();
    assert_eq!(sweep.cancelled, 12, "{sweep:?}");
    for (id, [list, status]) in ids.iter().zip(before) {
        let [list_after, status_after] = list_keys(&api, &m, id).await;
        assert_eq!(list_after, list, "{id} stays in its shard");
        assert_eq!(
            status_after,
            status.replace("#status#requires_capture", "#status#cancelled"),
            "{id}: the same shard of the cancelled status"
        );
    }
    let r = api.list_payments(&m.test_key, "status=cancelled&limit=100").await;
    assert_eq!(r.ids().len(), 12);
    let r = api.list_events(&m.test_key, "type=payment.cancelled&limit=100").await;
    assert_eq!(r.ids().len(), 12);
}

/// An "SQS" that refuses every call (400, one connection per call), and
/// the number of calls it got.
async fn refusing_sqs() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 65_536];
                let _ = conn.read(&mut buf).await;
                let _ = conn
                    .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")
                    .await;
            });
        }
    });
    (url, calls)
}

#[tokio::test]
async fn a_retry_sweep_stops_sending_once_the_queue_refuses() {
    // The heat benchmark's lost webhooks: the sweep sent every shard's page
    // at once, the local queue timed out under it, and the first attempts'
    // own sends timed out behind them. Now a run sends one page at a time
    // and, once a send fails, sends nothing more: the entries wait for the
    // next run, and the cursor does not pass them.
    let (api, [m]) = TestApi::with_merchants(["Queue down"]).await;
    api.create_webhook_endpoint(
        &m.test_key,
        json!({"url": "http://127.0.0.1:9/hooks", "enabled_events": ["*"]}),
    )
    .await
    .ok();
    for _ in 0..12 {
        api.create_customer(&m.test_key, json!({})).await.ok();
    }
    let (sqs, calls) = refusing_sqs().await;
    let client = paynectra_local::queue::sqs_client(&sqs).await;
    let queue_url = format!("{sqs}/000000000000/webhooks.fifo");
    let app: &'static App = Box::leak(Box::new(App {
        queue: Some(DeliveryQueue::new(client, Some(queue_url), None)),
        ..App::new(api.app.store.clone())
    }));
    let tenant = m.tenant(Mode::Test);
    let now = api.now();
    let listed = api.list_events(&m.test_key, "type=customer.created&limit=100").await;
    let ids = listed.ids();
    assert_eq!(ids.len(), 12);
    // Each event's deliveries start (their entries written, due now); each
    // first attempt's send is refused.
    let mut per_send = 0;
    for (i, id) in ids.iter().enumerate() {
        let event = app
            .store
            .get_event_any_age(&tenant, &id.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(deliver_event(app, &tenant, &event.head(), now).await.unwrap(), 1);
        if i == 0 {
            per_send = calls.load(Ordering::SeqCst);
            assert!(per_send >= 1, "the first attempt's send reached the queue");
        }
    }
    let before = calls.load(Ordering::SeqCst);
    let sweep = enqueue_due(app, now + 120, budget(Duration::from_secs(60), 100, 16))
        .await
        .unwrap();
    assert_eq!(
        (sweep.enqueued, sweep.run.due, sweep.run.failed),
        (0, 12, 12),
        "{sweep:?}"
    );
    assert_eq!(
        calls.load(Ordering::SeqCst) - before,
        per_send,
        "one send (the first page's), then none: {sweep:?}"
    );
    // Nothing passed: the cursor stays before the entries' bucket.
    let cursor = app.store.sweep_cursor(SweepIndex::Retries).await.unwrap();
    assert!(cursor < Some(SweepIndex::Retries.bucket(now)), "{cursor:?}");
}
