//! Payments as the endpoints run them: creation, and every transition
//! (confirm, capture, cancel, a hold's expiry): read, decide in the domain,
//! write conditioned on the status read. Two racing transitions cannot both
//! win; the loser reads again and gets the answer for the state that won.

use subtle::ConstantTimeEq;

use super::{payment_methods::resolve_payment_method, App};
use crate::{
    domain::{
        BalanceTransaction, CancelPayment, CapturePayment, ConfirmPayment, Event, EventRequest, EventType, KeyKind,
        NewPayment, Payment, PaymentId, PaymentStatus, PaymentUpdate, Tenant, TransitionRefused,
    },
    http::{
        wire::{PaymentObject, PublicPaymentObject},
        ApiError, Outcome, Reply, RequestCtx, Run,
    },
    store::{DueEntry, DueHold, StoreError, SweepIndex, Writes},
};

use super::sweeps::{self, EntryOutcome, SweepBudget, SweepRun};

/// Who asked for a transition, when, and so what they may see of the result.
pub struct TransitionRequest {
    pub event: EventRequest,
    pub view: View,
    pub now: i64,
}

/// The merchant (secret key) sees the whole payment; a browser
/// (publishable key) sees [`PublicPaymentObject`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Merchant,
    Browser,
}

impl TransitionRequest {
    pub fn from_ctx(ctx: &RequestCtx) -> Self {
        Self {
            now: ctx.now,
            event: ctx.event_request(),
            view: match ctx.key_kind {
                KeyKind::Secret | KeyKind::Restricted => View::Merchant,
                KeyKind::Publishable => View::Browser,
            },
        }
    }
}

/// Rounds of read-decide-write when transitions race.
const MAX_ATTEMPTS: u32 = 3;

/// The payment as it is now: 404 if the tenant has none, and an expired
/// hold is cancelled on the way (lazily, in case the scheduled function has
/// not run yet).
pub async fn load_payment(app: &App, tenant: &Tenant, id: &PaymentId, now: i64) -> Result<Payment, ApiError> {
    let (payment, _) = settle_hold(app, tenant, id, now).await?;
    payment.ok_or_else(|| ApiError::not_found("payment", id.as_str()))
}

/// Payment `id` as it is at `now` (`None` if there is none), its hold
/// cancelled if it expired; true if this call cancelled it (not a racing
/// one).
async fn settle_hold(
    app: &App,
    tenant: &Tenant,
    id: &PaymentId,
    now: i64,
) -> Result<(Option<Payment>, bool), ApiError> {
    for _ in 0..MAX_ATTEMPTS {
        let Some(payment) = app.store.get_payment(tenant, id).await? else {
            return Ok((None, false));
        };
        let Some(expired) = payment.expire_hold(now) else {
            return Ok((Some(payment), false));
        };
        let event = transition_event(tenant, &payment, &expired, &EventRequest::default(), now);
        let writes = Writes {
            event: event.as_ref(),
            also: None,
            balance: None,
            completion: None,
        };
        match app.store.transition_payment(tenant, &payment, &expired, writes).await {
            Ok(()) => {
                tracing::info!(payment_id = %id, "expired hold cancelled");
                return Ok((Some(expired), true));
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(busy())
}

fn busy() -> ApiError {
    ApiError::conflict(
        "lock_timeout",
        "This payment is being changed concurrently by other requests; retry this request.",
    )
}

/// Compares a presented client secret with the payment's, in constant time.
pub fn client_secret_matches(payment: &Payment, presented: &str) -> bool {
    !payment.client_secret.is_empty() && bool::from(payment.client_secret.as_bytes().ct_eq(presented.as_bytes()))
}

/// The API error for a transition the domain refused.
pub fn refused(payment: &Payment, t: TransitionRefused) -> ApiError {
    match t {
        TransitionRefused::UnexpectedState(message) => ApiError::invalid("payment_unexpected_state", message, None),
        TransitionRefused::LiveNetworkUnavailable => ApiError::invalid(
            "livemode_unsupported",
            "Live payments cannot be confirmed: this deployment has no card network connected. Use test mode keys and test cards.",
            None,
        ),
        TransitionRefused::HoldExpired => ApiError::invalid(
            "payment_unexpected_state",
            format!("The hold on payment {} expired and was released; it can no longer be captured.", payment.id),
            None,
        ),
        TransitionRefused::InvalidCaptureAmount { requested, capturable } => ApiError::invalid(
            "amount_too_large",
            format!("amount_to_capture ({requested}) must be at most the amount capturable ({capturable})."),
            Some("amount_to_capture"),
        ),
        TransitionRefused::Declined(p) => {
            let e = p.last_payment_error.clone().unwrap_or_else(|| crate::domain::PaymentError {
                code: "card_declined".into(),
                decline_code: "generic_decline".into(),
                message: "Your card was declined.".into(),
            });
            ApiError::card_declined(&e.code, &e.decline_code, &e.message)
        }
    }
}

/// The event of a payment's transition (none if its status did not change).
fn transition_event(
    tenant: &Tenant,
    before: &Payment,
    after: &Payment,
    request: &EventRequest,
    now: i64,
) -> Option<Event> {
    EventType::of_transition(before.status, after.status).map(|kind| {
        Event::new(
            kind,
            tenant.mode,
            &PaymentObject::from(after),
            None,
            request.clone(),
            now,
        )
    })
}

/// Runs one transition of payment `id`: `check` vets the payment first
/// (ownership of a client secret, a payment method's customer), `decide`
/// computes the new state. A decline is written (the payment is `failed`)
/// and answered 402.
pub async fn transition<C, D>(
    app: &App,
    tenant: &Tenant,
    id: &PaymentId,
    run: &Run,
    request: &TransitionRequest,
    check: C,
    decide: D,
) -> Result<Outcome, ApiError>
where
    C: Fn(&Payment) -> Result<(), ApiError>,
    D: Fn(&Payment) -> Result<Payment, TransitionRefused>,
{
    for _ in 0..MAX_ATTEMPTS {
        let before = load_payment(app, tenant, id, request.now).await?;
        check(&before)?;
        let (mut after, declined) = match decide(&before) {
            Ok(after) => (after, false),
            Err(TransitionRefused::Declined(after)) => (*after, true),
            Err(other) => return Err(refused(&before, other)),
        };
        // A capture moves money: its balance transaction (the fee taken),
        // written with it.
        let captured = if after.status == PaymentStatus::Succeeded && before.status != PaymentStatus::Succeeded {
            let terms = super::balance::settlement(app, tenant, request.now).await?;
            Some(BalanceTransaction::for_capture(
                &after,
                &terms.pricing,
                terms.delay_days,
                request.now,
            ))
        } else {
            None
        };
        if let Some(txn) = &captured {
            after.balance_transaction = Some(txn.id.clone());
            after.funds_available_on = Some(txn.available_on);
        }
        let event = transition_event(tenant, &before, &after, &request.event, request.now);
        // A decline is answered 402, and the 402 is recorded for an
        // Idempotency-Key in the same transaction as the failed payment: a
        // request cut off between the two would otherwise leave the key to
        // expire, and its retry would meet a `failed` payment (400) instead
        // of the decline.
        let refusal = declined.then(|| refused(&after, TransitionRefused::Declined(Box::new(after.clone()))));
        let reply = match (&refusal, request.view) {
            (Some(refusal), _) => Reply {
                status: refusal.status,
                body: refusal.body(),
                replayed: false,
            },
            (None, View::Merchant) => Reply::ok(&PaymentObject::with_secret(&after))?,
            (None, View::Browser) => Reply::ok(&PublicPaymentObject::from(&after))?,
        };
        let completion = run.completion(&reply);
        let writes = Writes {
            event: event.as_ref(),
            also: None,
            balance: captured.as_ref(),
            completion: completion.as_ref(),
        };
        match app.store.transition_payment(tenant, &before, &after, writes).await {
            Ok(()) => {
                tracing::info!(payment_id = %id, from = before.status.as_str(), to = after.status.as_str(), "payment transition");
                let recorded = completion.is_some();
                return match refusal {
                    // Unrecorded (no Idempotency-Key), the decline is the error itself.
                    Some(refusal) if !recorded => Err(refusal),
                    _ => Ok(Outcome { reply, recorded }),
                };
            }
            Err(StoreError::Conflict) => continue,
            Err(StoreError::PaymentMethodConsumed) => {
                return Err(payment_method_unusable(
                    "This payment method was used for another payment without being attached to a customer, and may not be used again.",
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(busy())
}

/// `POST /v1/payments`: stores the new payment with its event (and the
/// customer it names checked in the same transaction).
pub async fn create(app: &App, ctx: &RequestCtx, new: NewPayment, run: &Run) -> Result<Outcome, ApiError> {
    let payment = Payment::create(new, ctx.tenant.mode, ctx.now).with_receipt_url(&ctx.public_url, &ctx.tenant);
    let reply = Reply::ok(&PaymentObject::with_secret(&payment))?;
    let completion = run.completion(&reply);
    let event = ctx.event(EventType::PaymentCreated, &PaymentObject::from(&payment), None);
    match app
        .store
        .insert(&ctx.tenant, &payment, Writes::new(&event, completion.as_ref()))
        .await
    {
        Ok(()) => {}
        Err(StoreError::CustomerNotFound(id)) => {
            return Err(ApiError::invalid(
                "resource_missing",
                format!("No such customer: '{id}'"),
                Some("customer_id"),
            ))
        }
        // The customer was being changed by another transaction at the same
        // instant: nothing was written, and a retry is safe.
        Err(StoreError::Conflict) => {
            return Err(ApiError::conflict(
                "lock_timeout",
                "The customer was being modified concurrently; retry this request.",
            ))
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(payment_id = %payment.id, "payment created");
    Ok(Outcome::written(reply, &completion))
}

/// `POST /v1/payments/{id}`: description, metadata and receipt email, in
/// any state, with a `payment.updated` event naming what changed (none if
/// nothing did).
pub async fn update(
    app: &App,
    ctx: &RequestCtx,
    id: &PaymentId,
    update: PaymentUpdate,
    run: &Run,
) -> Result<Outcome, ApiError> {
    for _ in 0..MAX_ATTEMPTS {
        let before = load_payment(app, &ctx.tenant, id, ctx.now).await?;
        let after = before.updated(update.clone())?;
        let reply = Reply::ok(&PaymentObject::with_secret(&after))?;
        let completion = run.completion(&reply);
        let old = serde_json::to_value(PaymentObject::from(&before)).unwrap_or_default();
        let new = serde_json::to_value(PaymentObject::from(&after)).unwrap_or_default();
        let changed = crate::domain::event::previous_attributes(&old, &new);
        let event = (changed.as_object().is_some_and(|c| !c.is_empty()))
            .then(|| ctx.event(EventType::PaymentUpdated, &PaymentObject::from(&after), Some(changed)));
        if event.is_none() && completion.is_none() {
            return Ok(Outcome::unrecorded(reply));
        }
        let writes = Writes {
            event: event.as_ref(),
            also: None,
            balance: None,
            completion: completion.as_ref(),
        };
        match app
            .store
            .update_payment_details(&ctx.tenant, &before, &after, writes)
            .await
        {
            Ok(()) => {
                tracing::info!(payment_id = %id, "payment updated");
                return Ok(Outcome::written(reply, &completion));
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(busy())
}

/// `POST /v1/payments/{id}/capture`.
pub async fn capture(
    app: &App,
    ctx: &RequestCtx,
    id: &PaymentId,
    command: CapturePayment,
    run: &Run,
) -> Result<Outcome, ApiError> {
    let request = TransitionRequest::from_ctx(ctx);
    transition(
        app,
        &ctx.tenant,
        id,
        run,
        &request,
        |_| Ok(()),
        |p| p.capture(&command, ctx.now),
    )
    .await
}

/// `POST /v1/payments/{id}/cancel`.
pub async fn cancel(
    app: &App,
    ctx: &RequestCtx,
    id: &PaymentId,
    command: CancelPayment,
    run: &Run,
) -> Result<Outcome, ApiError> {
    let request = TransitionRequest::from_ctx(ctx);
    transition(app, &ctx.tenant, id, run, &request, |_| Ok(()), |p| p.cancel(&command)).await
}

/// `POST /v1/payments/{id}/confirm`: with a secret key, or a publishable
/// key and the payment's client secret.
pub async fn confirm(
    app: &App,
    ctx: &RequestCtx,
    id: &PaymentId,
    command: ConfirmPayment,
    run: &Run,
) -> Result<Outcome, ApiError> {
    let now = ctx.now;
    // The client secret is checked before the payment method is looked up:
    // a publishable key (which always sends one) must not learn which
    // `pm_` ids exist.
    if let Some(secret) = &command.client_secret {
        let payment = load_payment(app, &ctx.tenant, id, now).await?;
        if !client_secret_matches(&payment, secret) {
            return Err(ApiError::not_found("payment", id.as_str()));
        }
    }
    let resolved = resolve_payment_method(app, &ctx.tenant, &command.payment_method, now).await?;
    let pm = resolved.payment_method();
    let check = |payment: &Payment| {
        if let Some(secret) = &command.client_secret {
            if !client_secret_matches(payment, secret) {
                // As if the payment did not exist: a wrong secret learns nothing.
                return Err(ApiError::not_found("payment", id.as_str()));
            }
        }
        pm.may_pay(&payment.id, payment.customer_id.as_ref())
            .map_err(payment_method_unusable)
    };
    resolved.store_for(app, &ctx.tenant, id, now, check).await?;
    let request = TransitionRequest::from_ctx(ctx);
    transition(app, &ctx.tenant, id, run, &request, check, |p| p.confirm(pm, now)).await
}

/// 400 on `payment_method`: it cannot pay this payment (see
/// [`PaymentMethod::may_pay`]).
fn payment_method_unusable(why: &str) -> ApiError {
    ApiError::invalid("payment_method_unexpected_state", why, Some("payment_method"))
}

/// What a sweep of expired holds did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct HoldSweep {
    /// Holds this run cancelled.
    pub cancelled: usize,
    #[serde(flatten)]
    pub run: SweepRun,
}

/// The hold sweep: every hold in the hold index whose time ran out by
/// `now` and that is still `requires_capture` is cancelled with reason
/// `automatic`, page by page, `budget.concurrency` at a time, until the
/// index has no due entry or `budget`'s deadline comes (the next run goes
/// on from there). Each cancellation is the same conditional transition an
/// API call makes ([`load_payment`] cancels an expired hold as it reads
/// it), and deletes the hold's entry in its transaction, so a capture racing
/// the sweep either wins (and the sweep skips it) or loses, and two
/// overlapping sweeps cancel a hold once. An entry whose payment is no
/// longer held is deleted. Per entry: one GetItem and one transaction (or
/// one DeleteItem).
pub async fn expire_holds(app: &App, now: i64, budget: SweepBudget) -> Result<HoldSweep, StoreError> {
    let entry = move |due: DueEntry<DueHold>| async move { expire_entry(app, &due, now).await };
    let index = (SweepIndex::Holds, "holds");
    let run = sweeps::sweep_each(app, index, HOLD_INDEX_MAX_AGE, now, budget, &entry).await?;
    Ok(HoldSweep {
        cancelled: run.counted,
        run,
    })
}

/// How long a hold's entry can stay in the index: its TTL, a day after the
/// hold expired.
const HOLD_INDEX_MAX_AGE: i64 = 86_400;

/// One due hold: cancelled if still held (true if by this call), its entry
/// removed either way.
async fn expire_entry(app: &App, due: &DueEntry<DueHold>, now: i64) -> EntryOutcome {
    let hold = &due.entry;
    let tenant = hold.tenant();
    match settle_hold(app, &tenant, &hold.payment_id, now)
        .await
        .map(|(_, cancelled)| cancelled)
    {
        // The transition deleted the entry (if it is of the current format).
        Ok(true) if app.store.is_current_hold_entry(due) => EntryOutcome::Done(true),
        Ok(cancelled) => match app.store.delete_due(due).await {
            Ok(()) => EntryOutcome::Done(cancelled),
            Err(e) => {
                tracing::warn!(payment_id = %hold.payment_id, error = %e, "hold entry not removed");
                // Cancelled (or not held) all the same; the entry is
                // swept again, and finds nothing to do.
                if cancelled {
                    EntryOutcome::Done(true)
                } else {
                    EntryOutcome::Failed
                }
            }
        },
        Err(e) => {
            tracing::warn!(payment_id = %hold.payment_id, error = %e.message, "hold not swept");
            EntryOutcome::Failed
        }
    }
}
