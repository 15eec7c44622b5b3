//! Payouts: the available balance sent to the account's bank account
//! (`docs/settlement.md`). A payout takes its amount off the stored
//! available balance in one conditioned transaction; the simulated bank
//! (test mode; no bank is connected in live mode, where there are no funds
//! either) moves it on from the payout index: `in_transit` a minute after
//! it was created, then `paid` (or `failed`, the funds given back) at its
//! `arrival_date`.

use std::time::Duration;

use super::{
    balance,
    sweeps::{self, EntryOutcome, SweepBudget, SweepRun},
    App,
};
use crate::{
    domain::{
        balance::{PayoutSchedule, DAY},
        payout::SettledPeriod,
        BalanceTransaction, BalanceTransactionType, Event, EventRequest, EventType, MinorUnits, Mode, NewPayout,
        Payout, PayoutId, PayoutStatus, PayoutTransitionRefused, Tenant,
    },
    http::{wire::PayoutObject, ApiError, Outcome, Reply, RequestCtx, Run},
    store::{DueEntry, DuePayout, StoreError, SweepIndex, Writes},
};

/// Rounds of a payout's creation when others (or a fold) hold the balance:
/// payouts are few, and each round is short.
const MAX_CREATE_ATTEMPTS: u32 = 30;

/// `POST /v1/payouts`.
pub async fn create(app: &App, ctx: &RequestCtx, new: &NewPayout, run: &Run) -> Result<Outcome, ApiError> {
    let tenant = &ctx.tenant;
    let bank = app.store.bank_account(tenant).await?.ok_or_else(|| {
        ApiError::invalid(
            "no_external_account",
            "This account has no bank account to pay out to in this mode (an operator sets one with `paynectra-admin accounts bank-account`).",
            None,
        )
    })?;
    if bank.currency != new.currency {
        return Err(ApiError::invalid(
            "no_external_account",
            format!(
                "This account's bank account takes {}, not {}.",
                bank.currency.code(),
                new.currency.code()
            ),
            Some("currency"),
        ));
    }
    let schedule = app.store.settlement(tenant).await?.unwrap_or_default().payout_schedule;
    if schedule == PayoutSchedule::Daily {
        return Err(ApiError::invalid(
            "payouts_not_allowed",
            "This account is paid out automatically (a daily payout schedule): its available balance is paid \
             out once a day, so manual payouts are not allowed (an operator sets the schedule with \
             `paynectra-admin accounts settlement --payout-schedule manual`).",
            None,
        ));
    }
    // What the balance shows as available can be paid out: funds whose day
    // has begun are folded into the stored amount first.
    balance::fold(app, tenant, new.currency, ctx.now).await?;
    for attempt in 0..MAX_CREATE_ATTEMPTS {
        let mut payout = Payout::create(new, &bank, tenant.mode, ctx.now);
        let txn = BalanceTransaction::for_payout(&payout, ctx.now);
        payout.balance_transaction = Some(txn.id.clone());
        let reply = Reply::ok(&PayoutObject::from(&payout))?;
        let completion = run.completion(&reply);
        let event = ctx.event(EventType::PayoutCreated, &PayoutObject::from(&payout), None);
        let writes = Writes::new(&event, completion.as_ref()).moving(Some(&txn));
        match app.store.insert_payout(tenant, &payout, writes, None).await {
            Ok(()) => {
                tracing::info!(payout_id = %payout.id, amount = payout.amount.get(), attempt, "payout created");
                return Ok(Outcome::written(reply, &completion));
            }
            Err(StoreError::BalanceInsufficient) => {
                let balance = balance::balance(app, tenant, ctx.now).await?;
                let available = balance
                    .available
                    .iter()
                    .find(|a| a.currency == new.currency)
                    .map_or(0, |a| a.amount);
                return Err(ApiError::invalid(
                    "balance_insufficient",
                    format!(
                        "You have insufficient funds in your Paynectra balance for this payout: {available} {} is available, the payout is {}.",
                        new.currency.code(),
                        new.amount.get()
                    ),
                    Some("amount"),
                ));
            }
            Err(StoreError::Conflict) => {
                let jitter = uuid::Uuid::new_v4().as_u128() as u64 % 20;
                tokio::time::sleep(Duration::from_millis(u64::from(attempt.min(10)) * 5 + jitter)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::conflict(
        "lock_timeout",
        "The balance is being paid out concurrently by other requests; retry this request.",
    ))
}

/// What a run of the automatic payouts did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct AutomaticPayouts {
    /// Accounts with a daily schedule read.
    pub accounts: usize,
    /// Payouts made.
    pub paid: usize,
    /// Accounts that failed (left for the next run).
    pub failed: usize,
}

/// How long after a UTC midnight the day before it is settled: the balance
/// writer applies a transaction within seconds (a failed batch is retried
/// by the stream), and no transaction made after the midnight counts for
/// the day before (funds are never available before they are moved), so by
/// then the ledger of every day through that midnight is complete.
pub const SETTLEMENT_DELAY_SECONDS: i64 = 3_600;

/// The last settlement day whose ledger is complete at `now`: the day
/// ended by the latest midnight at least [`SETTLEMENT_DELAY_SECONDS`] ago.
pub fn settled_through(now: i64) -> i64 {
    (now - SETTLEMENT_DELAY_SECONDS).div_euclid(DAY)
}

/// Scheduled (hourly): every account with a daily payout schedule is paid
/// out once per UTC day, from the first run an hour after midnight on
/// ([`SETTLEMENT_DELAY_SECONDS`]): the net of every settlement day since its
/// last automatic payout through the day that midnight ended, summed from
/// its ledger (16 Queries of the automatic payout index, then per account a
/// Query per ledger partition, a fold and one payout transaction, which
/// moves the account's entry to that day: two runs make one payout a day).
pub async fn pay_out_automatically(app: &App, now: i64) -> Result<AutomaticPayouts, StoreError> {
    let mut run = AutomaticPayouts::default();
    let through = settled_through(now);
    for shard in 0..crate::store::AUTOPAY_SHARDS {
        for entry in app.store.automatic_payouts(shard).await? {
            run.accounts += 1;
            if entry.paid_day.is_some_and(|d| d >= through) {
                continue;
            }
            match automatic(app, &entry.tenant(), entry.paid_day, through, now).await {
                Ok(Some(payout)) => {
                    tracing::info!(payout_id = %payout.id, amount = payout.amount.get(), "automatic payout made");
                    run.paid += 1;
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(account_id = %entry.account_id, error = %e, "automatic payout failed");
                    run.failed += 1;
                }
            }
        }
    }
    tracing::info!(
        accounts = run.accounts,
        paid = run.paid,
        failed = run.failed,
        "automatic payouts done"
    );
    Ok(run)
}

/// One account's automatic payout settling the days after `paid_day`
/// (its last one's; `None`: every day) through `through`, if it has a bank
/// account and those days net a positive amount (`None` otherwise, or if it
/// was made already). Its balance transaction is dated the end of the
/// period, so what `?payout=` lists nets to zero.
async fn automatic(
    app: &App,
    tenant: &Tenant,
    paid_day: Option<i64>,
    through: i64,
    now: i64,
) -> Result<Option<Payout>, StoreError> {
    if tenant.mode == Mode::Live {
        // No funds in live mode (no card network is connected).
        return Ok(None);
    }
    let Some(bank) = app.store.bank_account(tenant).await? else {
        tracing::warn!(account_id = %tenant.account_id, "a daily payout schedule without a bank account");
        return Ok(None);
    };
    let net = app.store.ledger_total(tenant, bank.currency, paid_day, through).await?;
    let Some(amount) = MinorUnits::new(net).filter(|a| !a.is_zero()) else {
        // Nothing (or less than nothing: refunds) to pay out: the days stay
        // for the next payout to settle.
        return Ok(None);
    };
    let settles = SettledPeriod {
        after: paid_day.map_or(0, |d| d * DAY),
        through: through * DAY,
    };
    balance::fold(app, tenant, bank.currency, now).await?;
    for attempt in 0..MAX_CREATE_ATTEMPTS {
        let new = NewPayout {
            amount,
            currency: bank.currency,
            description: Some("AUTOMATIC PAYOUT".into()),
            metadata: crate::domain::Metadata::default(),
        };
        let mut payout = Payout {
            automatic: true,
            settles: Some(settles),
            ..Payout::create(&new, &bank, tenant.mode, now)
        };
        let txn = BalanceTransaction::for_automatic_payout(&payout, settles.through, now);
        payout.balance_transaction = Some(txn.id.clone());
        let object = serde_json::to_value(PayoutObject::from(&payout)).unwrap_or_default();
        let event = Event::new(
            EventType::PayoutCreated,
            tenant.mode,
            &object,
            None,
            EventRequest::default(),
            now,
        );
        let writes = Writes::new(&event, None).moving(Some(&txn));
        match app.store.insert_payout(tenant, &payout, writes, Some(through)).await {
            Ok(()) => return Ok(Some(payout)),
            // Made already (another run), or unscheduled meanwhile.
            Err(StoreError::Missing) => return Ok(None),
            // Another change held the balance at that moment. (The debit is
            // not conditioned on the available amount: refunds taken off it
            // since the period's end may leave it below zero, as Stripe's.)
            Err(StoreError::Conflict) => {
                tokio::time::sleep(Duration::from_millis(u64::from(attempt.min(10)) * 5)).await;
            }
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Conflict)
}

/// Rounds of read-decide-write when changes of one payout race.
const MAX_CHANGE_ATTEMPTS: u32 = 5;

/// The event of a payout's change.
fn change_event(after: &Payout) -> EventType {
    match after.status {
        PayoutStatus::Paid => EventType::PayoutPaid,
        PayoutStatus::Failed => EventType::PayoutFailed,
        PayoutStatus::Cancelled => EventType::PayoutCancelled,
        PayoutStatus::Pending | PayoutStatus::InTransit => EventType::PayoutUpdated,
    }
}

/// One change of payout `id`: read it, let `decide` make what it becomes
/// (`None`: nothing to do), write that conditioned on the revision read
/// with its event, its balance transaction if it gives the amount back, and
/// `run`'s completion. A missing payout is a 404.
async fn change(
    app: &App,
    tenant: &Tenant,
    id: &PayoutId,
    (request, now): (&EventRequest, i64),
    run: Option<&Run>,
    decide: impl Fn(&Payout) -> Result<Option<Payout>, ApiError>,
) -> Result<Option<(Payout, Reply, Option<crate::store::Completion>)>, ApiError> {
    for _ in 0..MAX_CHANGE_ATTEMPTS {
        let before = app
            .store
            .get_payout(tenant, id)
            .await?
            .ok_or_else(|| ApiError::not_found("payout", id.as_str()))?;
        let Some(mut after) = decide(&before)? else {
            return Ok(None);
        };
        let kind = if after.status == PayoutStatus::Cancelled {
            BalanceTransactionType::PayoutCancel
        } else {
            BalanceTransactionType::PayoutFailure
        };
        let given_back = before
            .gives_back(&after)
            .then(|| BalanceTransaction::for_payout_return(&after, kind, now));
        if let Some(txn) = &given_back {
            after.failure_balance_transaction = Some(txn.id.clone());
        }
        let reply = Reply::ok(&PayoutObject::from(&after))?;
        let completion = run.and_then(|r| r.completion(&reply));
        let object = serde_json::to_value(PayoutObject::from(&after)).unwrap_or_default();
        let event = Event::new(change_event(&after), tenant.mode, &object, None, request.clone(), now);
        let writes = Writes::new(&event, completion.as_ref()).moving(given_back.as_ref());
        match app.store.replace_payout(tenant, &before, &after, writes).await {
            Ok(()) => {
                tracing::info!(payout_id = %id, from = before.status.as_str(), to = after.status.as_str(), "payout changed");
                return Ok(Some((after, reply, completion)));
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::conflict(
        "lock_timeout",
        "This payout is being changed concurrently by other requests; retry this request.",
    ))
}

/// `POST /v1/payouts/{id}/cancel`: a pending payout becomes `cancelled` and
/// its amount goes back to the available balance; one the bank took is a
/// 400.
pub async fn cancel(app: &App, ctx: &RequestCtx, id: &PayoutId, run: &Run) -> Result<Outcome, ApiError> {
    let decide = |p: &Payout| {
        p.cancelled()
            .map(Some)
            .map_err(|PayoutTransitionRefused::Status(status)| {
                ApiError::invalid(
                    "payout_unexpected_state",
                    format!(
                        "Payout {id} cannot be cancelled: its status is '{}'. Only pending payouts can be cancelled.",
                        status.as_str()
                    ),
                    None,
                )
            })
    };
    let (_, reply, completion) = change(app, &ctx.tenant, id, (&ctx.event_request(), ctx.now), Some(run), decide)
        .await?
        .expect("a cancel always decides a change");
    Ok(Outcome::written(reply, &completion))
}

/// The simulated bank moves payout `id` on if its next move is due at
/// `now`: `Some` with the payout as moved, `None` if nothing was due (or it
/// is gone, or live: no bank is connected in live mode).
pub async fn advance(app: &App, tenant: &Tenant, id: &PayoutId, now: i64) -> Result<Option<Payout>, ApiError> {
    if tenant.mode == Mode::Live {
        tracing::warn!(payout_id = %id, "a live payout: no bank is connected to take it");
        return Ok(None);
    }
    match change(app, tenant, id, (&EventRequest::default(), now), None, |p| {
        Ok(p.advanced(now))
    })
    .await
    {
        Ok(moved) => Ok(moved.map(|(p, _, _)| p)),
        Err(e) if e.status == http::StatusCode::NOT_FOUND => Ok(None),
        Err(e) => Err(e),
    }
}

/// What a sweep of the payout index did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PayoutSweep {
    /// Payouts this run moved on.
    pub moved: usize,
    #[serde(flatten)]
    pub run: SweepRun,
}

/// How far back a sweep with no cursor yet looks for entries.
const PAYOUT_INDEX_MAX_AGE: i64 = 86_400;

/// The simulated bank: every payout whose next move is due is moved on
/// (one GetItem and one transaction each, which moves its index entry).
pub async fn sweep(app: &App, now: i64, budget: SweepBudget) -> Result<PayoutSweep, StoreError> {
    let entry = move |due: DueEntry<DuePayout>| async move { sweep_entry(app, &due, now).await };
    let index = (SweepIndex::Payouts, "payouts");
    let run = sweeps::sweep_each(app, index, PAYOUT_INDEX_MAX_AGE, now, budget, &entry).await?;
    Ok(PayoutSweep {
        moved: run.counted,
        run,
    })
}

/// One due payout: moved on (its change moves or removes the entry), or
/// the stale entry removed (moved already, or gone).
async fn sweep_entry(app: &App, due: &DueEntry<DuePayout>, now: i64) -> EntryOutcome {
    let entry = &due.entry;
    let moved = advance(app, &entry.tenant(), &entry.payout_id, now).await;
    sweeps::changed_or_removed(app, due, moved.map(|p| p.is_some()), entry.payout_id.as_str()).await
}
