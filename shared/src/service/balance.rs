//! The balance (`docs/settlement.md`): read in one Query; kept by the
//! balance writer, which applies each new balance transaction from the
//! table's stream to a shard of the bucket of the day its funds become
//! available; and folded by the balance sweep, which moves the buckets whose
//! day has come into the stored available amount (`balance.available`).
//!
//! No request's transaction touches a shared item: a capture writes its
//! balance transaction only, so 2,000 captures a second of one merchant
//! never contend on its balance. The writer contends only with itself, on a
//! shard it picks at random per attempt.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::Mutex,
    time::Duration,
};

use futures::StreamExt;

use super::{
    sweeps::{self, EntryOutcome, SweepBudget, SweepRun},
    App,
};
use crate::{
    domain::{
        balance::{DAY, MAX_DELAY_DAYS},
        Balance, BalanceTransaction, CreatedRange, Currency, Event, EventRequest, EventType, Page, Tenant, TxnId,
    },
    http::{
        wire::{BalanceObject, ListBalanceTransactionsRequest, VolumeObject, VolumeRequest},
        ApiError,
    },
    store::{
        balance_items, Applied, DueBalance, DueEntry, ReadStats, StoreError, SweepIndex, MAX_APPLIED_AT_ONCE,
        MAX_TRANSACTION_ITEMS,
    },
};

/// `GET /v1/balance`: one Query of the tenant's balance partition (not
/// strongly consistent: half the read units; the writer is seconds behind
/// the transactions anyway).
pub async fn balance(app: &App, tenant: &Tenant, now: i64) -> Result<Balance, StoreError> {
    Ok(app
        .store
        .balance_parts(tenant, None, false)
        .await?
        .0
        .at(tenant.mode, now))
}

/// `GET /v1/balance_transactions`, newest first, each as it stands at
/// `now`. With `payout`: what that automatic payout settled (reconciliation),
/// its own transaction included: those whose funds became available in
/// the period it settles, which net to zero with it. Their `created` lies
/// at most 31 days before that period (funds are available at most 30 days
/// after a capture, at the next midnight), so the list reads that window
/// of the tenant's list only.
pub async fn transactions(
    app: &App,
    tenant: &Tenant,
    list: &ListBalanceTransactionsRequest,
    now: i64,
) -> Result<(Page<BalanceTransaction>, ReadStats), ApiError> {
    let mut filter = list.balance_filter();
    if let Some(id) = &list.filter.payout {
        let payout = app
            .store
            .get_payout(tenant, id)
            .await?
            .ok_or_else(|| ApiError::not_found("payout", id.as_str()).with_param("payout"))?;
        let Some(period) = payout.settles else {
            return Err(ApiError::invalid(
                "parameter_invalid",
                format!(
                    "Invalid payout: {id} is a manual payout, which settles no period; only an automatic payout's \
                     transactions can be listed by payout (list source={id} for this payout's own)."
                ),
                Some("payout"),
            ));
        };
        if filter.currency.is_some_and(|c| c != payout.currency) {
            return Ok((
                Page {
                    data: vec![],
                    has_more: false,
                },
                ReadStats::default(),
            ));
        }
        filter.currency = Some(payout.currency);
        filter.available_within = Some(period);
        let earliest = (period.after - (MAX_DELAY_DAYS + 1) * DAY).max(0);
        filter.created = CreatedRange {
            gte: Some(filter.created.gte.map_or(earliest, |g| g.max(earliest))),
            lte: Some(filter.created.lte.map_or(payout.created, |l| l.min(payout.created))),
        };
    }
    let (mut page, stats) = app
        .store
        .list_balance_transactions(tenant, &filter, &list.window)
        .await
        .map_err(|e| ApiError::from_list_error(e, "balance_transaction"))?;
    page.data = page.data.into_iter().map(|t| t.as_of(now)).collect();
    Ok((page, stats))
}

/// `GET /v1/reporting/volume`: the gross volume of the last `days` UTC days
/// (today included) in one currency, from the volume entries the balance
/// writer keeps (days x 8 entries read, however many payments).
pub async fn volume(app: &App, tenant: &Tenant, request: &VolumeRequest, now: i64) -> Result<VolumeObject, StoreError> {
    let last = now.div_euclid(DAY);
    let first = last - (request.days - 1);
    let stored = app.store.volume(tenant, request.currency, first, last).await?;
    Ok(VolumeObject::new(
        request.currency,
        first,
        last,
        &stored,
        tenant.mode.livemode(),
    ))
}

/// Shards of each of a tenant's buckets: the writer picks one per attempt,
/// so its concurrent invocations (one per stream shard) rarely clash. A
/// tenant with sharded lists (a big merchant) gets as many more, in as many
/// partitions as its lists.
pub fn bucket_shards(tenant: &Tenant) -> u32 {
    crate::store::BALANCE_SUBSHARDS * u32::from(tenant.list_shards())
}

/// Attempts of one application before it is left to the stream's retry.
const MAX_APPLY_ATTEMPTS: u32 = 8;

/// Applies new balance transactions (the stream's) to their balances, each
/// tenant's and currency's together, [`MAX_APPLIED_AT_ONCE`] per
/// transaction. Returns the ids it could not apply (their records are
/// reported failed, and the stream hands them over again; one applied
/// already is skipped then).
pub async fn apply(app: &App, txns: Vec<(Tenant, BalanceTransaction)>, now: i64) -> Vec<TxnId> {
    let mut groups: BTreeMap<(String, &'static str), (Tenant, Vec<BalanceTransaction>)> = BTreeMap::new();
    for (tenant, txn) in txns {
        let key = (
            format!("{}#{}", tenant.account_id, tenant.mode.as_str()),
            txn.currency.code(),
        );
        groups.entry(key).or_insert_with(|| (tenant, Vec::new())).1.push(txn);
    }
    let chunks = groups.into_values().flat_map(|(tenant, txns)| {
        writer_chunks(txns)
            .into_iter()
            .map(move |c| (tenant.clone(), c))
            .collect::<Vec<_>>()
    });
    futures::stream::iter(chunks)
        .map(|(tenant, chunk)| async move {
            match apply_chunk(app, &tenant, &chunk, now).await {
                Ok(()) => Vec::new(),
                Err(e) => {
                    tracing::error!(account_id = %tenant.account_id, error = %e, count = chunk.len(), "balance transactions not applied");
                    chunk.into_iter().map(|t| t.id).collect()
                }
            }
        })
        .buffer_unordered(8)
        .concat()
        .await
}

/// `txns` in order, cut into the writer's transactions: at most
/// [`MAX_APPLIED_AT_ONCE`] each, and never more items than DynamoDB takes
/// (a mark each, an update per day of buckets, ledger and volume).
fn writer_chunks(txns: Vec<BalanceTransaction>) -> Vec<Vec<BalanceTransaction>> {
    let mut chunks: Vec<Vec<BalanceTransaction>> = Vec::new();
    let mut current: Vec<BalanceTransaction> = Vec::new();
    for t in txns {
        current.push(t);
        if current.len() > MAX_APPLIED_AT_ONCE || balance_items(&current) > MAX_TRANSACTION_ITEMS {
            let last = current.pop().expect("just pushed");
            chunks.push(std::mem::take(&mut current));
            current.push(last);
        }
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

/// One tenant's balance transactions in one currency, applied in one
/// transaction (on a random shard, again on another after a clash), and
/// the balance index told when each of their buckets comes due.
async fn apply_chunk(app: &App, tenant: &Tenant, all: &[BalanceTransaction], now: i64) -> Result<(), StoreError> {
    let Some(currency) = all.first().map(|t| t.currency) else {
        return Ok(());
    };
    let mut left = all.to_vec();
    let mut attempt = 0;
    while !left.is_empty() {
        let shard = random() % bucket_shards(tenant);
        match app.store.apply_to_balance(tenant, currency, &left, shard).await {
            Ok(Applied::All) => break,
            Ok(Applied::AlreadyApplied(done)) => {
                tracing::info!(
                    count = done.len(),
                    "balance transactions applied already (a redelivery)"
                );
                left = left
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| !done.contains(i))
                    .map(|(_, t)| t)
                    .collect();
            }
            Err(StoreError::Conflict) if attempt < MAX_APPLY_ATTEMPTS => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(u64::from(attempt) * 5 + random() as u64 % 20)).await;
            }
            Err(e) => return Err(e),
        }
    }
    // After the write (and for those applied before too: a writer stopped
    // between its write and this leaves it to the stream's retry), so a
    // bucket written after the sweep folded its day is folded again.
    let dues: std::collections::BTreeSet<i64> = all
        .iter()
        .filter(|t| !t.kind.settles_itself())
        .map(|t| (t.day() * DAY).max(now))
        .collect();
    for due in dues {
        if due > now && !first_sight(tenant, currency, due) {
            continue;
        }
        app.store.ensure_balance_due(tenant, currency, due).await?;
    }
    Ok(())
}

/// Future due times this process has written an entry for already: a
/// day's captures all share one (it is deleted only once due, so skipping
/// it again is safe until then).
static SEEN: Mutex<Option<HashSet<DueKey>>> = Mutex::new(None);

/// A tenant (`{account}#{mode}`), a currency and a due time.
type DueKey = (String, &'static str, i64);

/// True the first time this process sees `tenant`'s `currency` due at `due`.
fn first_sight(tenant: &Tenant, currency: Currency, due: i64) -> bool {
    let key = (
        format!("{}#{}", tenant.account_id, tenant.mode.as_str()),
        currency.code(),
        due,
    );
    let mut seen = SEEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let seen = seen.get_or_insert_with(HashSet::new);
    if seen.len() > 100_000 {
        seen.clear();
    }
    seen.insert(key)
}

fn random() -> u32 {
    uuid::Uuid::new_v4().as_u128() as u32
}

/// Seconds a process keeps an account's settlement terms before reading
/// them again: a change by `paynectra-admin` takes effect within this (as a
/// key's list shards do within the authorizer cache's 60 s), and a merchant
/// capturing 2,000 payments a second does not read its terms 2,000 times.
pub const SETTLEMENT_CACHE_SECONDS: i64 = 60;

/// Terms read, by tenant, with when they were read.
type TermsCache = HashMap<String, (crate::domain::Settlement, i64)>;

static TERMS: Mutex<Option<TermsCache>> = Mutex::new(None);

/// The tenant's settlement terms at `now` (its pricing and delay, or the
/// defaults): one GetItem at most per [`SETTLEMENT_CACHE_SECONDS`] per
/// process.
pub async fn settlement(app: &App, tenant: &Tenant, now: i64) -> Result<crate::domain::Settlement, StoreError> {
    let key = format!("{}#{}", tenant.account_id, tenant.mode.as_str());
    {
        let cache = TERMS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((terms, read)) = cache.as_ref().and_then(|c| c.get(&key)) {
            if now.saturating_sub(*read) < SETTLEMENT_CACHE_SECONDS {
                return Ok(*terms);
            }
        }
    }
    let terms = app.store.settlement(tenant).await?.unwrap_or_default();
    let mut cache = TERMS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let cache = cache.get_or_insert_with(HashMap::new);
    if cache.len() > 100_000 {
        cache.clear();
    }
    cache.insert(key, (terms, now));
    Ok(terms)
}

/// What a sweep of the balance index did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct BalanceSweep {
    /// Balances this run moved funds to available in.
    pub folded: usize,
    #[serde(flatten)]
    pub run: SweepRun,
}

/// How far back a sweep with no cursor yet looks for entries: a day (as the
/// refund sweep; entries have no TTL).
const BALANCE_INDEX_MAX_AGE: i64 = 86_400;

/// Moves every balance's funds that have come due to available: per due
/// entry, one Query and one transaction per [`MAX_APPLIED_AT_ONCE`] bucket
/// shards, with its `balance.available` event.
pub async fn sweep(app: &App, now: i64, budget: SweepBudget) -> Result<BalanceSweep, StoreError> {
    let entry = move |due: DueEntry<DueBalance>| async move { sweep_entry(app, &due, now).await };
    let index = (SweepIndex::Balances, "balances");
    let run = sweeps::sweep_each(app, index, BALANCE_INDEX_MAX_AGE, now, budget, &entry).await?;
    Ok(BalanceSweep {
        folded: run.counted,
        run,
    })
}

async fn sweep_entry(app: &App, due: &DueEntry<DueBalance>, now: i64) -> EntryOutcome {
    let tenant = due.entry.tenant();
    let Some(currency) = due.entry.currency() else {
        tracing::error!(currency = %due.entry.currency, "a balance entry in an unknown currency");
        return EntryOutcome::Failed;
    };
    match fold(app, &tenant, currency, now).await {
        Ok(moved) => match app.store.remove_balance_due(due).await {
            Ok(()) => EntryOutcome::Done(moved != 0),
            Err(e) => {
                tracing::warn!(error = %e, "balance entry not removed");
                EntryOutcome::Failed
            }
        },
        Err(e) => {
            tracing::warn!(account_id = %tenant.account_id, error = %e, "balance not folded");
            EntryOutcome::Failed
        }
    }
}

/// Attempts of a fold that keeps meeting the writer on its buckets.
const MAX_FOLD_ATTEMPTS: u32 = 10;

/// Folds everything of `currency` that is due at `now` into the stored
/// available amount (the sweep; a payout first), each transaction with its
/// `balance.available` event. Returns the amount moved.
pub async fn fold(app: &App, tenant: &Tenant, currency: Currency, now: i64) -> Result<i64, StoreError> {
    let event = |balance: &Balance| {
        let object = serde_json::to_value(BalanceObject::from(balance)).unwrap_or_default();
        Event::new(
            EventType::BalanceAvailable,
            tenant.mode,
            &object,
            None,
            EventRequest::default(),
            now,
        )
    };
    let (mut moved, mut conflicts) = (0, 0);
    loop {
        match app.store.fold_balance(tenant, currency, now, event).await {
            Ok(None) => return Ok(moved),
            Ok(Some(m)) => moved += m,
            Err(StoreError::Conflict) if conflicts < MAX_FOLD_ATTEMPTS => {
                conflicts += 1;
                tokio::time::sleep(Duration::from_millis(u64::from(conflicts) * 10)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{BalanceStatus, BalanceTransactionType, Mode};

    fn txn(day: i64) -> BalanceTransaction {
        BalanceTransaction {
            id: TxnId::generate(),
            mode: Mode::Test,
            kind: BalanceTransactionType::Payment,
            amount: 100,
            currency: Currency::from_code("usd").unwrap(),
            fee: 0,
            fee_details: Vec::new(),
            net: 100,
            status: BalanceStatus::Pending,
            available_on: day * DAY + 1,
            source: "pay_1".into(),
            description: None,
            created: day * DAY,
        }
    }

    #[test]
    fn the_writers_transactions_stay_within_dynamodbs_limit() {
        // One day: only the marks count, 80 at a time.
        let one_day: Vec<_> = (0..200).map(|_| txn(5)).collect();
        let sizes: Vec<usize> = writer_chunks(one_day).iter().map(Vec::len).collect();
        assert_eq!(sizes, [80, 80, 40]);
        // A day each: a mark and three day updates each, so 25 at a time.
        let days: Vec<_> = (0..80).map(txn).collect();
        let chunks = writer_chunks(days.clone());
        assert!(chunks.iter().all(|c| balance_items(c) <= MAX_TRANSACTION_ITEMS));
        assert_eq!(chunks.iter().map(Vec::len).collect::<Vec<_>>(), [25, 25, 25, 5]);
        let back: Vec<TxnId> = chunks.into_iter().flatten().map(|t| t.id).collect();
        assert_eq!(
            back,
            days.into_iter().map(|t| t.id).collect::<Vec<_>>(),
            "all, in order"
        );
    }
}
