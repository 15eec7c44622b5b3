//! bench-sweeps: the hold sweep over N due holds, and the retry sweep over N
//! due retries, on DynamoDB Local (and moto's SQS for the retries).
//!
//! Holds: fills N through the store (each payment stored, then moved to
//! `requires_capture` by the store's own transition, which writes its hold
//! index entry), then runs the sweep once at their expiry. Retries: starts
//! N deliveries through the store (each writes its retry entry, due at
//! once), then runs the retry sweep once, which enqueues them all on a
//! delivery queue in moto. For each: the entries per second of the run and
//! the DynamoDB calls per entry (counted by an interceptor on the SDK
//! client, one per operation), and the run projected at in-region
//! latencies with the sweep's concurrency.
//!
//!   PAYNECTRA_TEST_DYNAMODB=http://127.0.0.1:8000 PAYNECTRA_TEST_MOTO=http://127.0.0.1:5000 \
//!     cargo run -p paynectra-bench --bin bench-sweeps -- 2000
//!
//! Without `PAYNECTRA_TEST_MOTO`, the retry sweep is skipped.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use aws_sdk_dynamodb::config::{interceptors::BeforeSerializationInterceptorContextRef, ConfigBag, Intercept};
use futures::StreamExt;
use paynectra::{
    domain::{
        webhook_endpoint::EnabledEvents, CaptureMethod, EventHead, EventId, EventType, Mode, Payment, PaymentStatus,
        ReturnUrl, Tenant, WebhookEndpoint,
    },
    service::{
        deliveries::enqueue_due,
        now_unix,
        payments::expire_holds,
        sweeps::{SweepBudget, SweepRun},
        App,
    },
    store::{schema, Store, Writes},
};

/// Counts the SDK operations the client sends.
#[derive(Debug, Clone, Default)]
struct Calls(Arc<AtomicUsize>);

impl Intercept for Calls {
    fn name(&self) -> &'static str {
        "count DynamoDB calls"
    }

    fn read_before_execution(
        &self,
        _: &BeforeSerializationInterceptorContextRef<'_>,
        _: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// Runs one sweep: its result, its seconds and the DynamoDB calls it made.
async fn measured<T>(calls: &Calls, sweep: impl std::future::Future<Output = T>) -> (T, f64, usize) {
    calls.0.store(0, Ordering::SeqCst);
    let started = Instant::now();
    let out = sweep.await;
    (out, started.elapsed().as_secs_f64(), calls.0.load(Ordering::SeqCst))
}

/// Prints a sweep run's figures: entries due and handled (`handled`, named
/// `what`), entries per second on `on`, DynamoDB calls per entry.
fn report(name: &str, what: &str, handled: usize, run: &SweepRun, elapsed: f64, made: usize, on: &str) {
    let per_entry = made as f64 / run.due.max(1) as f64;
    println!(
        "{name}: {} due, {handled} {what}, {} left after failures, complete: {}",
        run.due, run.failed, run.complete
    );
    println!(
        "  {elapsed:.2} s: {:.0} entries/s ({on}); {made} DynamoDB calls, {per_entry:.3} per entry ({} Queries)",
        run.due as f64 / elapsed,
        run.queries
    );
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let endpoint = paynectra_tests::endpoint();
    let base = paynectra_tests::local_client(&endpoint).await;
    let calls = Calls::default();
    let client = aws_sdk_dynamodb::Client::from_conf(base.config().to_builder().interceptor(calls.clone()).build());
    let table = format!("bench-sweeps-{}", uuid::Uuid::new_v4().simple());
    schema::create_table(&client, &table).await.expect("create the table");
    let store = Store::new(client, table);
    let now = now_unix();
    store.start_sweeps(now).await.expect("start the sweeps");
    let app = paynectra_tests::app_on(store);
    let tenant = Tenant::new("acct_0bench".parse().expect("a valid id"), Mode::Test);

    // Fill: N holds, all expiring at `now`.
    let filled = Instant::now();
    futures::stream::iter(0..n)
        .for_each_concurrent(32, |_| {
            let tenant = &tenant;
            async move {
                let new = paynectra::domain::NewPayment {
                    capture_method: CaptureMethod::Manual,
                    ..paynectra_tests::usd_payment(1_000, None)
                };
                let pending = Payment::create(new, Mode::Test, now);
                app.store
                    .insert(tenant, &pending, Writes::NONE)
                    .await
                    .expect("store the payment");
                let held = Payment {
                    status: PaymentStatus::RequiresCapture,
                    amount_capturable: pending.amount.into(),
                    capture_before: Some(now),
                    ..pending.clone()
                };
                app.store
                    .transition_payment(tenant, &pending, &held, Writes::NONE)
                    .await
                    .expect("hold the payment");
            }
        })
        .await;
    println!("filled {n} holds in {:.1} s", filled.elapsed().as_secs_f64());

    let budget = SweepBudget::within(Duration::from_secs(600));
    let (sweep, elapsed, made) = measured(&calls, expire_holds(app, now + 600, budget)).await;
    let sweep = sweep.expect("the hold sweep");
    report(
        "hold sweep",
        "cancelled",
        sweep.cancelled,
        &sweep.run,
        elapsed,
        made,
        "DynamoDB Local",
    );
    // In region: per partition, a page of `page_size` is one Query (6 ms)
    // then its entries `concurrency` at a time, each a GetItem (4 ms) and a
    // transaction (10 ms); `partitions` partitions at once.
    let page = f64::from(budget.page_size);
    let rounds = (page / budget.concurrency as f64).ceil();
    let page_ms = 6.0 + rounds * (4.0 + 10.0);
    let projected = page / page_ms * 1_000.0 * budget.partitions as f64;
    println!(
        "  projected in region: {page_ms:.0} ms per page of {page} per partition, {} partitions at once: {projected:.0} entries/s",
        budget.partitions
    );

    if std::env::var("PAYNECTRA_TEST_MOTO").is_ok() {
        retries(app, &tenant, &calls, n, now).await;
    } else {
        println!("retry sweep: skipped (no PAYNECTRA_TEST_MOTO)");
    }
}

/// The retry sweep over `n` due retries: one endpoint, `n` events' first
/// deliveries started through the store (each with its retry entry, due at
/// `now`), then one sweep that enqueues them on a queue in moto.
async fn retries(app: &'static App, tenant: &Tenant, calls: &Calls, n: usize, now: i64) {
    let sqs = paynectra_local::queue::sqs_client(&paynectra_tests::moto_endpoint()).await;
    let queues = paynectra_local::queue::create(sqs, app.store.table(), 60)
        .await
        .expect("create the queues in moto");
    let app: &'static App = Box::leak(Box::new(App {
        queue: Some(queues.delivery_queue()),
        ..app.clone()
    }));
    let url = ReturnUrl::parse("url", "https://shop.example/hooks".into()).expect("a valid URL");
    let events = EnabledEvents::parse("enabled_events", vec!["*".into()]).expect("valid events");
    let endpoint = WebhookEndpoint::create(url, events, |_| String::new(), Mode::Test, now);
    let filled = Instant::now();
    futures::stream::iter(0..n)
        .for_each_concurrent(32, |_| {
            let endpoint = &endpoint;
            async move {
                let head = EventHead {
                    id: EventId::generate(),
                    kind: EventType::PaymentCreated,
                    created: now,
                    expires_at: now + 30 * 86_400,
                };
                let started = app
                    .store
                    .start_deliveries(tenant, &head, std::slice::from_ref(endpoint), now)
                    .await
                    .expect("start the delivery");
                assert_eq!(started.len(), 1);
            }
        })
        .await;
    println!("filled {n} retries in {:.1} s", filled.elapsed().as_secs_f64());

    let budget = SweepBudget::within(Duration::from_secs(600));
    let (sweep, elapsed, made) = measured(calls, enqueue_due(app, now + 600, budget)).await;
    let sweep = sweep.expect("the retry sweep");
    report(
        "retry sweep",
        "enqueued",
        sweep.enqueued,
        &sweep.run,
        elapsed,
        made,
        "DynamoDB Local, moto",
    );
    // In region: pages of `page_size` read on `partitions` partitions at
    // once, but one page's sends at a time (its SendMessageBatch calls of
    // ten at once, 20 ms), then its deletes `concurrency` at a time (5 ms
    // each): the sends bound the run.
    let page = f64::from(budget.page_size);
    let deletes_ms = (page / budget.concurrency as f64).ceil() * 5.0;
    let projected = page / 20.0 * 1_000.0;
    println!(
        "  projected in region: a page of {page} sent in 20 ms (one page at a time), deleted in {deletes_ms:.0} ms \
         alongside: {projected:.0} entries/s"
    );
}
