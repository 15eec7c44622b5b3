//! The local stack's stand-in for the stream's event source mappings: it
//! reads DynamoDB Local's stream of the table and hands every shard's new
//! records, as the mappings' batch, to the handlers the `deliver_webhooks`
//! function (which records the deliveries and enqueues them) and the
//! `answer_refunds` function (the simulated card network, and the balance
//! writer) run on AWS.

use std::{collections::HashMap, time::Duration};

use aws_lambda_events::dynamodb::{Event as StreamEvent, EventRecord};
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use paynectra::service::App;

/// A streams client for the same endpoint (DynamoDB Local serves both;
/// [`crate::sdk::config`]).
pub async fn streams_client(endpoint: &str) -> aws_sdk_dynamodbstreams::Client {
    let config = aws_sdk_dynamodbstreams::config::Builder::from(&crate::sdk::config().await)
        .endpoint_url(endpoint)
        .build();
    aws_sdk_dynamodbstreams::Client::from_conf(config)
}

/// Starts following the table's stream, and returns once it is following
/// (so an event written after this returns is delivered). The
/// returned task polls every 200 ms; two others run the retry sweep
/// (`retry_webhooks`' handler, every minute on AWS) and the refund sweep
/// (`sweep_refunds`'), each whenever the app's clock has moved
/// [`RETRY_SWEEP_EVERY`] seconds since its last run.
pub async fn follow(
    app: &'static App,
    streams: aws_sdk_dynamodbstreams::Client,
) -> Result<tokio::task::JoinHandle<()>, String> {
    let arn = stream_arn(app).await?;
    let mut iterators: HashMap<String, Option<String>> = HashMap::new();
    // From the start of the stream (DynamoDB Local keeps 24 hours): events
    // written while nothing followed are delivered too, and the ones that
    // were delivered already are skipped by their delivery records.
    open_shards(&streams, &arn, &mut iterators, ShardIteratorType::TrimHorizon).await?;
    // The sweeps run beside the stream, as their schedules do on AWS (a
    // slow sweep never holds up new events), each in a task of its own: the
    // refund sweep's first run reads a day of buckets, and must not hold up
    // the retries.
    every_sweep(app, "webhook retry", |app, now| {
        Box::pin(async move { paynectra_functions::deliveries::retry(app, now).await.map(drop) })
    });
    every_sweep(app, "refund", |app, now| {
        Box::pin(async move { paynectra_functions::refunds::sweep(app, now).await.map(drop) })
    });
    every_sweep(app, "balance", |app, now| {
        Box::pin(async move { paynectra_functions::balance::sweep(app, now).await.map(drop) })
    });
    every_sweep(app, "payout", |app, now| {
        Box::pin(async move { paynectra_functions::payouts::sweep(app, now).await.map(drop) })
    });
    every_sweep(app, "automatic payouts", |app, now| {
        Box::pin(async move { paynectra_functions::payouts::pay_out_daily(app, now).await.map(drop) })
    });
    Ok(tokio::spawn(async move {
        loop {
            if let Err(e) = poll_once(app, &streams, &arn, &mut iterators, Handlers::All).await {
                tracing::warn!(error = %e, "stream poll failed");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }))
}

/// A sweep's run at `now`, as its scheduled function runs it.
type SweepFn = fn(
    &'static App,
    i64,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), lambda_runtime::Error>> + Send>>;

/// Runs `sweep` whenever the app's clock has moved [`RETRY_SWEEP_EVERY`]
/// seconds since its last run (looking every wall second).
fn every_sweep(app: &'static App, name: &'static str, sweep: SweepFn) {
    tokio::spawn(async move {
        let mut last = i64::MIN;
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let now = app.clock.now();
            if !retry_sweep_due(last, now) {
                continue;
            }
            last = now;
            if let Err(e) = sweep(app, now).await {
                tracing::warn!(error = %e, sweep = name, "sweep failed");
            }
        }
    });
}

/// App-clock seconds between two local retry sweeps. A sweep Queries every
/// shard of the retry index's current hour (64 of them), so sweeping each
/// wall second would keep DynamoDB Local busy for nothing (and every test
/// server runs one); the earliest retry is a minute after the first attempt,
/// so every 10 seconds loses nothing, and a test that moves the clock gets
/// its sweep at the next tick.
pub const RETRY_SWEEP_EVERY: i64 = 10;

/// Whether the local retry sweep runs at `now`, the last having run at
/// `last`.
fn retry_sweep_due(last: i64, now: i64) -> bool {
    now.saturating_sub(last) >= RETRY_SWEEP_EVERY
}

async fn open_shards(
    streams: &aws_sdk_dynamodbstreams::Client,
    arn: &str,
    iterators: &mut HashMap<String, Option<String>>,
    kind: ShardIteratorType,
) -> Result<(), String> {
    let described = streams
        .describe_stream()
        .stream_arn(arn)
        .send()
        .await
        .map_err(|e| format!("DescribeStream: {e}"))?;
    for shard in described.stream_description().map(|d| d.shards()).unwrap_or_default() {
        let Some(id) = shard.shard_id() else { continue };
        if iterators.contains_key(id) {
            continue;
        }
        let it = streams
            .get_shard_iterator()
            .stream_arn(arn)
            .shard_id(id)
            .shard_iterator_type(kind.clone())
            .send()
            .await
            .map_err(|e| format!("GetShardIterator: {e}"))?;
        iterators.insert(id.to_owned(), it.shard_iterator().map(str::to_owned));
    }
    Ok(())
}

/// The table's stream.
async fn stream_arn(app: &App) -> Result<String, String> {
    let table = app
        .store
        .client()
        .describe_table()
        .table_name(app.store.table())
        .send()
        .await
        .map_err(|e| format!("DescribeTable: {e}"))?;
    Ok(table
        .table()
        .and_then(|t| t.latest_stream_arn())
        .ok_or("the table has no stream (create it with `paynectra-admin table create`)")?
        .to_owned())
}

/// Which handlers a poll hands its records to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Handlers {
    /// Both mappings', as on AWS.
    All,
    /// The balance writer's only.
    BalanceWriter,
}

/// The balance writer alone over the table's whole stream, from its start
/// until a poll finds nothing new (the fault test's: it checks the balance
/// without letting the simulated network answer refunds). Idempotent: a
/// transaction applied already is skipped.
pub async fn apply_balances(app: &'static App, streams: &aws_sdk_dynamodbstreams::Client) -> Result<(), String> {
    let arn = stream_arn(app).await?;
    let mut iterators = HashMap::new();
    open_shards(streams, &arn, &mut iterators, ShardIteratorType::TrimHorizon).await?;
    while poll_once(app, streams, &arn, &mut iterators, Handlers::BalanceWriter).await? > 0 {}
    Ok(())
}

/// One GetRecords per shard, handed to `handlers`; the records read.
async fn poll_once(
    app: &'static App,
    streams: &aws_sdk_dynamodbstreams::Client,
    arn: &str,
    iterators: &mut HashMap<String, Option<String>>,
    handlers: Handlers,
) -> Result<usize, String> {
    let mut read = 0;
    // Shards that appear later are read from their start.
    open_shards(streams, arn, iterators, ShardIteratorType::TrimHorizon).await?;
    let mut expired = Vec::new();
    for (shard, iterator) in iterators.iter_mut() {
        let Some(it) = iterator.clone() else { continue };
        let out = match streams.get_records().shard_iterator(it).send().await {
            Ok(out) => out,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_trimmed_data_access_exception() || se.is_expired_iterator_exception()) =>
            {
                expired.push(shard.clone());
                continue;
            }
            Err(e) => {
                return Err(format!(
                    "GetRecords: {}",
                    aws_sdk_dynamodbstreams::error::DisplayErrorContext(&e)
                ))
            }
        };
        *iterator = out.next_shard_iterator().map(str::to_owned);
        // The shard's new records, as the mapping's batch (it filters to
        // inserts of event items; the handler skips anything else).
        let mut batch = StreamEvent::default();
        for record in out.records() {
            let Some(change) = record.dynamodb() else { continue };
            let mut r = EventRecord::default();
            r.event_name = record.event_name().map(|n| n.as_str().to_owned()).unwrap_or_default();
            r.change.keys = change.keys().cloned().map(serde_dynamo::Item::from).unwrap_or_default();
            r.change.new_image = change
                .new_image()
                .cloned()
                .map(serde_dynamo::Item::from)
                .unwrap_or_default();
            r.change.sequence_number = change.sequence_number().map(str::to_owned);
            batch.records.push(r);
        }
        if batch.records.is_empty() {
            continue;
        }
        read += batch.records.len();
        if handlers == Handlers::BalanceWriter {
            let applied = paynectra_functions::balance::apply(app, &batch).await;
            if !applied.batch_item_failures.is_empty() {
                return Err(format!("{} balance records failed", applied.batch_item_failures.len()));
            }
            continue;
        }
        // Each mapping filters the stream to its own records (event items,
        // refund items); locally both handlers see the whole batch and skip
        // what is not theirs.
        let (delivered, answered) = tokio::join!(
            paynectra_functions::deliveries::deliver(app, batch.clone()),
            paynectra_functions::settle(app, batch),
        );
        for failed in delivered
            .batch_item_failures
            .into_iter()
            .chain(answered.batch_item_failures)
        {
            // The mapping would retry from there; locally it is logged (the
            // event is still in the table for a redrive by hand, and the
            // refund sweep answers a refund left pending).
            tracing::warn!(sequence_number = ?failed.item_identifier, "stream record failed");
        }
    }
    // An iterator that went stale is opened again from the shard's start.
    for shard in expired {
        iterators.remove(&shard);
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_sweep_runs_when_the_clock_has_moved_far_enough() {
        assert!(retry_sweep_due(i64::MIN, 0), "the first tick sweeps");
        assert!(!retry_sweep_due(100, 101));
        assert!(!retry_sweep_due(100, 109));
        assert!(retry_sweep_due(100, 110));
        assert!(retry_sweep_due(100, 100 + 3600), "a test's jump sweeps at once");
    }
}
