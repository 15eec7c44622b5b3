//! The sweep engine both scheduled sweeps share (expired holds, due webhook
//! retries): it walks the buckets of a sweep index that can hold due
//! entries, page by page, hands each page to the sweep's handler (which
//! handles its entries with bounded concurrency and deletes each handled
//! one), and stops before its deadline. A cursor (the last bucket swept
//! whole) lets the next run start where this one stopped.
//!
//! Which buckets: from the one after the cursor (however old: a clamp to
//! the entries' TTL once skipped every hold a sweep reached more than a day
//! late; from the oldest an entry can still be in if there is no cursor
//! yet) to the bucket of `now`, and the
//! day partitions of the format before sharding. A bucket is swept whole
//! when every shard was read to its end, nothing in it failed, and it ended
//! at least [`GRACE_SECONDS`] ago (a write can carry a due time slightly in
//! the past).

use std::{
    sync::atomic::{AtomicUsize, Ordering},
    time::{Duration, Instant},
};

use futures::{future::BoxFuture, StreamExt};

use super::App;
use crate::store::{DueEntry, StoreError, SweepIndex, SweepPartition};

/// A bucket is final once it ended this long ago: a write whose due time is
/// its own `now` (a delivery's first entry) lands within it.
pub const GRACE_SECONDS: i64 = 300;

/// How long a run may take, and how much it does at once.
#[derive(Debug, Clone, Copy)]
pub struct SweepBudget {
    /// After this, no new page is started (a run handles one page of
    /// entries at least, so every run makes progress).
    pub deadline: Instant,
    /// Entries per Query.
    pub page_size: i32,
    /// Entries handled at once (per partition being read).
    pub concurrency: usize,
    /// Partitions (a bucket's shards) read at once.
    pub partitions: usize,
}

impl SweepBudget {
    /// A run that must end within `time`: pages of 100, 16 entries at
    /// once in each of 8 partitions read at once (at most 128 calls in
    /// flight).
    pub fn within(time: Duration) -> Self {
        Self {
            deadline: Instant::now() + time,
            page_size: 100,
            concurrency: 16,
            partitions: 8,
        }
    }
}

/// What one entry's handling came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryOutcome {
    /// Handled and out of the index; `true` if it counts (a hold this run
    /// cancelled, a retry enqueued).
    Done(bool),
    /// Not handled: left in the index for the next run.
    Failed,
}

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SweepRun {
    /// Due entries read.
    pub due: usize,
    /// Entries handled that counted (holds cancelled, retries enqueued).
    pub counted: usize,
    /// Entries handled and removed.
    pub removed: usize,
    /// Entries left for the next run after a failure.
    pub failed: usize,
    /// Queries made.
    pub queries: usize,
    /// False if the run stopped at its deadline with entries left.
    pub complete: bool,
    /// The cursor after the run (the last bucket swept whole).
    pub swept_through: Option<i64>,
}

/// A sweep's page handler: the outcome of each entry of the page.
pub type PageHandler<'a, T> = dyn Fn(Vec<DueEntry<T>>) -> BoxFuture<'a, Vec<EntryOutcome>> + Send + Sync + 'a;

/// Runs one sweep of `index` at `now` within `budget`.
pub async fn sweep<T>(
    app: &App,
    index: SweepIndex,
    max_age: i64,
    now: i64,
    budget: SweepBudget,
    handle: &PageHandler<'_, T>,
) -> Result<SweepRun, StoreError>
where
    T: serde::de::DeserializeOwned + Send,
{
    let mut run = SweepRun {
        complete: true,
        ..SweepRun::default()
    };
    let pages = AtomicUsize::new(0);
    let cursor = app.store.sweep_cursor(index).await?;
    run.swept_through = cursor;
    // The partitions of the format before sharding first: few, and emptying.
    let legacy = app.store.legacy_sweep_partitions(index, now);
    if !drain_all(app, &legacy, now, budget, handle, &mut run, &pages).await? {
        return Ok(run);
    }
    // From the bucket after the cursor, however long ago that is (a sweep
    // that stopped for days still owes those entries: their TTL is no
    // promise that DynamoDB deleted them, and a hold past its TTL is still
    // held until cancelled). With no cursor yet (a table never swept), from
    // the oldest bucket an entry can still be in.
    let first = cursor.map_or(index.bucket(now - max_age), |c| c + 1);
    let mut moving = true;
    for bucket in first..=index.bucket(now) {
        let failed_before = run.failed;
        let shards = app.store.sweep_partitions(index, bucket);
        if !drain_all(app, &shards, now, budget, handle, &mut run, &pages).await? {
            return Ok(run);
        }
        let whole = run.failed == failed_before && index.bucket_end(bucket) + GRACE_SECONDS <= now;
        if moving && whole {
            if app.store.advance_sweep_cursor(index, run.swept_through, bucket).await? {
                run.swept_through = Some(bucket);
            } else {
                // Another run moved it: it is that run's to move now.
                tracing::info!(?index, bucket, "sweep cursor moved by another run");
                moving = false;
            }
        } else {
            moving = false;
        }
    }
    Ok(run)
}

/// [`sweep`] with each due entry handled by `entry`, `budget.concurrency`
/// at a time in each partition being read; the run is logged as `name`'s
/// (`counted` is what `entry` counted: holds cancelled, refunds answered).
pub async fn sweep_each<'a, T, F, Fut>(
    app: &'a App,
    (index, name): (SweepIndex, &'static str),
    max_age: i64,
    now: i64,
    budget: SweepBudget,
    entry: &'a F,
) -> Result<SweepRun, StoreError>
where
    T: serde::de::DeserializeOwned + Send + 'a,
    F: Fn(DueEntry<T>) -> Fut + Send + Sync,
    Fut: std::future::Future<Output = EntryOutcome> + Send + 'a,
{
    let handle = move |page: Vec<DueEntry<T>>| -> BoxFuture<'a, Vec<EntryOutcome>> {
        Box::pin(each(page, budget.concurrency, entry))
    };
    let run = sweep(app, index, max_age, now, budget, &handle).await?;
    tracing::info!(
        sweep = name,
        due = run.due,
        counted = run.counted,
        failed = run.failed,
        complete = run.complete,
        "sweep done"
    );
    Ok(run)
}

/// Drains `partitions`, `budget.partitions` at once, into `run`; false
/// (and `run.complete` false) if the deadline stopped any.
async fn drain_all<T>(
    app: &App,
    partitions: &[SweepPartition],
    now: i64,
    budget: SweepBudget,
    handle: &PageHandler<'_, T>,
    run: &mut SweepRun,
    pages: &AtomicUsize,
) -> Result<bool, StoreError>
where
    T: serde::de::DeserializeOwned + Send,
{
    // Boxed first: a stream of borrowing closures' futures trips the
    // compiler's `Send` inference in the callers.
    let drains: Vec<BoxFuture<'_, Result<SweepRun, StoreError>>> = partitions
        .iter()
        .map(|p| Box::pin(drain(app, p, now, budget, handle, pages)) as BoxFuture<'_, _>)
        .collect();
    let drained: Vec<_> = futures::stream::iter(drains)
        .buffer_unordered(budget.partitions.max(1))
        .collect()
        .await;
    for d in drained {
        let d = d?;
        run.due += d.due;
        run.counted += d.counted;
        run.removed += d.removed;
        run.failed += d.failed;
        run.queries += d.queries;
        run.complete &= d.complete;
    }
    Ok(run.complete)
}

/// Reads partition `p` to its end, page by page, unless the deadline comes
/// first (`complete` false then). A run always handles one page of
/// entries: `pages` counts those handled.
async fn drain<T>(
    app: &App,
    p: &SweepPartition,
    now: i64,
    budget: SweepBudget,
    handle: &PageHandler<'_, T>,
    pages: &AtomicUsize,
) -> Result<SweepRun, StoreError>
where
    T: serde::de::DeserializeOwned + Send,
{
    let mut run = SweepRun::default();
    let mut start = None;
    loop {
        if pages.load(Ordering::SeqCst) > 0 && Instant::now() >= budget.deadline {
            return Ok(run);
        }
        let page = app.store.due_page::<T>(p, now, start, budget.page_size).await?;
        run.queries += 1;
        run.due += page.entries.len();
        if !page.entries.is_empty() {
            pages.fetch_add(1, Ordering::SeqCst);
            for outcome in handle(page.entries).await {
                match outcome {
                    EntryOutcome::Done(counted) => {
                        run.removed += 1;
                        run.counted += usize::from(counted);
                    }
                    EntryOutcome::Failed => run.failed += 1,
                }
            }
        }
        match page.next {
            Some(next) => start = Some(next),
            None => {
                run.complete = true;
                return Ok(run);
            }
        }
    }
}

/// Handles each entry with `f`, at most `concurrency` at once.
pub async fn each<T, F, Fut>(entries: Vec<DueEntry<T>>, concurrency: usize, f: F) -> Vec<EntryOutcome>
where
    F: Fn(DueEntry<T>) -> Fut,
    Fut: std::future::Future<Output = EntryOutcome>,
{
    futures::stream::iter(entries.into_iter().map(f))
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await
}

/// The outcome of an entry whose object's change removes (or moves) the
/// entry itself: `changed` says what the change did, `Some(true)` if it
/// changed the object (its transaction took the entry), `Some(false)` if
/// nothing was due (the entry is stale: deleted here), `Err` if it failed
/// (left for the next run). `what` names the object in the logs.
pub async fn changed_or_removed<T>(
    app: &App,
    due: &DueEntry<T>,
    changed: Result<bool, crate::http::ApiError>,
    what: &str,
) -> EntryOutcome {
    match changed {
        Ok(true) => EntryOutcome::Done(true),
        Ok(false) => match app.store.delete_due(due).await {
            Ok(()) => EntryOutcome::Done(false),
            Err(e) => {
                tracing::warn!(object = what, error = %e, "sweep entry not removed");
                EntryOutcome::Failed
            }
        },
        Err(e) => {
            tracing::warn!(object = what, error = %e.message, "sweep entry not handled");
            EntryOutcome::Failed
        }
    }
}
