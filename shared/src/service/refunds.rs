//! Refunds: read the payment, let the domain decide, write the refund and
//! the payment's new balance in one transaction; a refund that lost a race
//! to a concurrent one reads and decides again. Then the refund's own
//! changes (the network's answer, a cancel, its metadata), each written
//! conditioned on the refund's revision, with its events.

use std::time::Duration;

use super::{
    sweeps::{self, EntryOutcome, SweepBudget, SweepRun},
    App,
};
use crate::{
    domain::{
        balance::refund_available_on, event::previous_attributes, refund::RefundUpdate, BalanceTransaction, Event,
        EventRequest, EventType, Mode, NewRefund, Payment, Refund, RefundId, RefundRefused, RefundStatus,
        RefundTransitionRefused, Tenant,
    },
    http::{wire::RefundObject, ApiError, Outcome, Reply, RequestCtx, Run},
    store::{DueEntry, DueRefund, StoreError, SweepIndex, Writes},
};

/// How many times a refund re-reads the payment after losing a race to a
/// concurrent refund. Each round one contender wins, so this bounds the
/// wait, not the outcome: a refund that runs out of rounds answers 409 and
/// can be retried.
const MAX_ATTEMPTS: u32 = 40;

/// The API error for a refund the domain refused.
fn refused(payment: &Payment, why: RefundRefused) -> ApiError {
    match why {
        RefundRefused::NotCaptured(status) => ApiError::invalid(
            "payment_unexpected_state",
            format!(
                "Payment {} cannot be refunded: its status is '{}'. Only succeeded (captured) payments can be refunded.",
                payment.id,
                status.as_str()
            ),
            Some("payment_id"),
        ),
        RefundRefused::AlreadyRefunded => ApiError::invalid(
            "charge_already_refunded",
            format!("Payment {} has already been fully refunded.", payment.id),
            Some("payment_id"),
        ),
        RefundRefused::TooLarge { requested, refundable } => ApiError::invalid(
            "amount_too_large",
            format!(
                "Refund amount ({requested}) is greater than the amount still refundable on payment {} ({refundable}).",
                payment.id
            ),
            Some("amount"),
        ),
    }
}

/// `POST /v1/refunds`.
pub async fn create(app: &App, ctx: &RequestCtx, new: &NewRefund, run: &Run) -> Result<Outcome, ApiError> {
    let tenant = &ctx.tenant;
    // What the available balance holds now decides where the refund is
    // taken from (read once: a racing refund or payout may take it below
    // zero, as Stripe allows refunds to).
    let balance = app
        .store
        .balance_parts(tenant, None, false)
        .await?
        .0
        .at(tenant.mode, ctx.now);
    for attempt in 0..MAX_ATTEMPTS {
        let payment = app
            .store
            .get_payment(tenant, &new.payment_id)
            .await?
            .ok_or_else(|| ApiError::not_found("payment", new.payment_id.as_str()).with_param("payment_id"))?;
        let mut refund = Refund::against(new, &payment, ctx.now).map_err(|why| refused(&payment, why))?;
        // The refund takes its amount off the available balance if that
        // covers it, else off pending (with the payment's funds).
        let available = balance
            .available
            .iter()
            .find(|a| a.currency == refund.currency)
            .map_or(0, |a| a.amount);
        let on = refund_available_on(available, refund.amount.get(), payment.funds_available_on, ctx.now);
        let txn = BalanceTransaction::for_refund(&refund, on, ctx.now);
        refund.balance_transaction = Some(txn.id.clone());
        let reply = Reply::ok(&RefundObject::from(&refund))?;
        let completion = run.completion(&reply);
        let event = ctx.event(EventType::RefundCreated, &RefundObject::from(&refund), None);
        let writes = Writes::new(&event, completion.as_ref()).moving(Some(&txn));
        match app.store.insert_refund(tenant, &refund, writes).await {
            Ok(()) => {
                tracing::info!(refund_id = %refund.id, payment_id = %payment.id, amount = refund.amount.get(), attempt, "refund created");
                return Ok(Outcome::written(reply, &completion));
            }
            // Someone else refunded (or the payment moved) in between:
            // read it again and decide again.
            Err(StoreError::RefundConflict | StoreError::Conflict) => {
                tokio::time::sleep(Duration::from_millis(u64::from(attempt % 8) * 3)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::conflict(
        "lock_timeout",
        "This payment is being refunded concurrently by other requests; retry this request.",
    ))
}

/// Rounds of read-decide-write when changes of one refund race.
const MAX_CHANGE_ATTEMPTS: u32 = 5;

/// The API error for a change the refund's status does not allow.
fn not_pending(id: &RefundId, action: &str, why: RefundTransitionRefused) -> ApiError {
    let RefundTransitionRefused::NotPending(status) = why;
    ApiError::invalid(
        "refund_unexpected_state",
        format!(
            "Refund {id} cannot be {action}: its status is '{}'. Only pending refunds can be {action}.",
            status.as_str()
        ),
        None,
    )
}

/// The events of a refund's change: `refund.updated` (with the attributes
/// it changed), and `refund.failed` too when the network failed it.
fn change_events(
    tenant: &Tenant,
    before: &Refund,
    after: &Refund,
    request: &EventRequest,
    now: i64,
) -> (Event, Option<Event>) {
    let old = serde_json::to_value(RefundObject::from(before)).unwrap_or_default();
    let new = serde_json::to_value(RefundObject::from(after)).unwrap_or_default();
    let event = |kind, previous| Event::new(kind, tenant.mode, &new, previous, request.clone(), now);
    let updated = event(EventType::RefundUpdated, Some(previous_attributes(&old, &new)));
    let failed = (after.status == RefundStatus::Failed && before.status != RefundStatus::Failed)
        .then(|| event(EventType::RefundFailed, None));
    (updated, failed)
}

/// What a change made: the refund as written, its reply and the request's
/// idempotency completion (written with it).
struct Changed {
    refund: Refund,
    reply: Reply,
    completion: Option<crate::store::Completion>,
}

/// One change of refund `id`: read it, let `decide` make what it becomes
/// (`None`: nothing to do), write that conditioned on the revision read,
/// with its events and `run`'s completion; a change that lost a race reads
/// and decides again. A missing refund is a 404.
async fn change(
    app: &App,
    tenant: &Tenant,
    id: &RefundId,
    (request, now): (&EventRequest, i64),
    run: Option<&Run>,
    decide: impl Fn(&Refund) -> Result<Option<Refund>, ApiError>,
) -> Result<Option<Changed>, ApiError> {
    for _ in 0..MAX_CHANGE_ATTEMPTS {
        let before = app
            .store
            .get_refund(tenant, id)
            .await?
            .ok_or_else(|| ApiError::not_found("refund", id.as_str()))?;
        let Some(mut after) = decide(&before)? else {
            return Ok(None);
        };
        // A failed or cancelled refund gives its amount back to the balance.
        let given_back = before
            .gives_back(&after)
            .then(|| BalanceTransaction::for_refund_failure(&after, now));
        if let Some(txn) = &given_back {
            after.failure_balance_transaction = Some(txn.id.clone());
        }
        let reply = Reply::ok(&RefundObject::from(&after))?;
        let completion = run.and_then(|r| r.completion(&reply));
        let (updated, failed) = change_events(tenant, &before, &after, request, now);
        let writes = Writes::new(&updated, completion.as_ref())
            .and(failed.as_ref())
            .moving(given_back.as_ref());
        match app.store.replace_refund(tenant, &before, &after, writes).await {
            Ok(()) => {
                tracing::info!(
                    refund_id = %id,
                    from = before.status.as_str(),
                    to = after.status.as_str(),
                    revision = after.revision,
                    "refund changed"
                );
                return Ok(Some(Changed {
                    refund: after,
                    reply,
                    completion,
                }));
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::conflict(
        "lock_timeout",
        "This refund is being changed concurrently by other requests; retry this request.",
    ))
}

/// A request's change: its outcome, the change always being one.
async fn change_by_request(
    app: &App,
    ctx: &RequestCtx,
    id: &RefundId,
    run: &Run,
    decide: impl Fn(&Refund) -> Result<Refund, ApiError>,
) -> Result<Outcome, ApiError> {
    let changed = change(app, &ctx.tenant, id, (&ctx.event_request(), ctx.now), Some(run), |r| {
        decide(r).map(Some)
    })
    .await?
    .expect("a request's change always decides one");
    Ok(Outcome::written(changed.reply, &changed.completion))
}

/// `POST /v1/refunds/{id}/cancel`: a pending refund becomes `cancelled` and
/// its amount goes back to the payment; one the network answered is a 400.
pub async fn cancel(app: &App, ctx: &RequestCtx, id: &RefundId, run: &Run) -> Result<Outcome, ApiError> {
    change_by_request(app, ctx, id, run, |r| {
        r.cancelled().map_err(|why| not_pending(id, "cancelled", why))
    })
    .await
}

/// `POST /v1/refunds/{id}`: its metadata merged with the patch (customers'
/// rules), in any status.
pub async fn update(
    app: &App,
    ctx: &RequestCtx,
    id: &RefundId,
    update: &RefundUpdate,
    run: &Run,
) -> Result<Outcome, ApiError> {
    change_by_request(app, ctx, id, run, |r| Ok(r.with_metadata(&update.metadata)?)).await
}

/// `POST /v1/test_helpers/refunds/{id}/expire` (test mode only): the
/// simulated network answers the pending refund now.
pub async fn expire(app: &App, ctx: &RequestCtx, id: &RefundId, run: &Run) -> Result<Outcome, ApiError> {
    if ctx.tenant.mode == Mode::Live {
        return Err(ApiError::test_mode_only());
    }
    change_by_request(app, ctx, id, run, |r| {
        r.answered()
            .map_err(|why| not_pending(id, "answered by the network", why))
    })
    .await
}

/// The simulated card network answers refund `id` (the stream's handler,
/// the backstop sweep): `Some` with the refund as answered if this call
/// answered it; `None` if it is gone, already final, or live (no network is
/// connected in live mode: nothing answers it).
pub async fn answer(app: &App, tenant: &Tenant, id: &RefundId, now: i64) -> Result<Option<Refund>, ApiError> {
    if tenant.mode == Mode::Live {
        tracing::warn!(refund_id = %id, "a live refund: no card network is connected to answer it");
        return Ok(None);
    }
    let decide = |r: &Refund| Ok(r.answered().ok());
    match change(app, tenant, id, (&EventRequest::default(), now), None, decide).await {
        Ok(changed) => Ok(changed.map(|c| c.refund)),
        Err(e) if e.status == http::StatusCode::NOT_FOUND => Ok(None),
        Err(e) => Err(e),
    }
}

/// What a sweep of the refund index did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RefundSweep {
    /// Refunds this run answered (the stream had not).
    pub answered: usize,
    #[serde(flatten)]
    pub run: SweepRun,
}

/// How far back a sweep with no cursor yet (a table never swept) looks for
/// entries: a day. Entries have no TTL; once the sweep has a cursor it goes
/// on from there however long ago that is.
const REFUND_INDEX_MAX_AGE: i64 = 86_400;

/// The backstop of the stream: every refund still pending when its answer
/// is overdue ([`crate::domain::refund::NETWORK_ANSWER_OVERDUE_SECONDS`]
/// after it was created) is answered now; an entry whose refund the stream
/// answered already was deleted by that answer. Per entry: one GetItem and
/// one transaction (or one DeleteItem).
pub async fn sweep(app: &App, now: i64, budget: SweepBudget) -> Result<RefundSweep, StoreError> {
    let entry = move |due: DueEntry<DueRefund>| async move { sweep_entry(app, &due, now).await };
    let index = (SweepIndex::Refunds, "refunds");
    let run = sweeps::sweep_each(app, index, REFUND_INDEX_MAX_AGE, now, budget, &entry).await?;
    Ok(RefundSweep {
        answered: run.counted,
        run,
    })
}

/// One overdue refund: answered if still pending (its answer deletes the
/// entry), the entry deleted otherwise.
async fn sweep_entry(app: &App, due: &DueEntry<DueRefund>, now: i64) -> EntryOutcome {
    let entry = &due.entry;
    let answered = answer(app, &entry.tenant(), &entry.refund_id, now).await;
    sweeps::changed_or_removed(app, due, answered.map(|r| r.is_some()), entry.refund_id.as_str()).await
}
