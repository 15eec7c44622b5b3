//! Payment transitions as the endpoints run them: read, decide in the
//! domain, write conditioned on the status read. Two racing transitions
//! cannot both win; the loser reads again and gets the answer for the state
//! that won.

use subtle::ConstantTimeEq;

use crate::{
    domain::{
        Event, EventRequest, EventType, Mode, Payment, PaymentId, PaymentMethod, PaymentMethodRef, Tenant, Transition,
    },
    http::{
        idempotency::{Outcome, Run},
        wire::{PaymentObject, PublicPaymentObject},
        ApiError, Reply,
    },
    store::{StoreError, Writes},
    App,
};

/// Who asked for a transition, and so what they may see of the result.
pub struct TransitionRequest {
    pub event: EventRequest,
    pub view: View,
}

/// The merchant (secret key) sees the whole payment; a browser
/// (publishable key) sees [`PublicPaymentObject`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Merchant,
    Browser,
}

impl TransitionRequest {
    pub fn from_ctx(ctx: &crate::http::RequestCtx) -> Self {
        Self {
            event: ctx.event_request(),
            view: match ctx.key_kind {
                crate::domain::KeyKind::Secret => View::Merchant,
                crate::domain::KeyKind::Publishable => View::Browser,
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
    for _ in 0..MAX_ATTEMPTS {
        let payment = app
            .store
            .get_payment(tenant, id)
            .await?
            .ok_or_else(|| ApiError::not_found("payment", id.as_str()))?;
        let Some(expired) = payment.expire_hold(now) else {
            return Ok(payment);
        };
        let event = transition_event(tenant, &payment, &expired, &EventRequest::default(), now);
        let writes = Writes {
            event: event.as_ref(),
            completion: None,
        };
        match app.store.transition_payment(tenant, &payment, &expired, writes).await {
            Ok(()) => {
                tracing::info!(payment_id = %id, "expired hold cancelled on read");
                return Ok(expired);
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

/// The payment method a confirmation names: the tenant's stored one, or, in
/// test mode, a test card's alias (`pm_card_visa`) tokenised into a new
/// payment method of the tenant ([`Resolved::New`], not stored yet: see
/// [`Resolved::store_for`]). In live mode an alias is unknown like any other
/// id: 404 on `payment_method`.
pub async fn resolve_payment_method(
    app: &App,
    tenant: &Tenant,
    named: &PaymentMethodRef,
    now: i64,
) -> Result<Resolved, ApiError> {
    let missing = || ApiError::not_found("payment method", named.as_str()).with_param("payment_method");
    match named {
        PaymentMethodRef::Id(id) => Ok(Resolved::Stored(
            app.store.get_payment_method(tenant, id).await?.ok_or_else(missing)?,
        )),
        PaymentMethodRef::TestAlias(card) if tenant.mode == Mode::Test => {
            let valid = card.input(now).validate(app.fingerprint_key()?, now)?;
            Ok(Resolved::New(PaymentMethod::create(valid, tenant.mode, now)))
        }
        PaymentMethodRef::TestAlias(_) => Err(missing()),
    }
}

/// What [`resolve_payment_method`] found.
pub enum Resolved {
    Stored(PaymentMethod),
    /// Made from a test card's alias, to be stored before it is used.
    New(PaymentMethod),
}

impl Resolved {
    pub fn payment_method(&self) -> &PaymentMethod {
        match self {
            Resolved::Stored(pm) | Resolved::New(pm) => pm,
        }
    }

    /// Stores a new payment method, as `POST /v1/payment_methods` would,
    /// but only for a payment that this confirmation can act on: the payment
    /// is read and vetted (`check`, then the confirmation itself; a decline
    /// counts, as it records the payment method) first, so a refused
    /// confirmation writes nothing.
    pub async fn store_for(
        &self,
        app: &App,
        tenant: &Tenant,
        id: &PaymentId,
        now: i64,
        check: impl Fn(&Payment) -> Result<(), ApiError>,
    ) -> Result<(), ApiError> {
        let Resolved::New(pm) = self else {
            return Ok(());
        };
        let payment = load_payment(app, tenant, id, now).await?;
        check(&payment)?;
        match payment.confirm(pm, now) {
            Ok(_) | Err(Transition::Declined(_)) => {}
            Err(other) => return Err(refused(&payment, other)),
        }
        app.store.insert_payment_method(tenant, pm, Writes::NONE).await?;
        tracing::info!(payment_method_id = %pm.id, "test payment method created");
        Ok(())
    }
}

/// Compares a presented client secret with the payment's, in constant time.
pub fn client_secret_matches(payment: &Payment, presented: &str) -> bool {
    !payment.client_secret.is_empty() && bool::from(payment.client_secret.as_bytes().ct_eq(presented.as_bytes()))
}

/// The API error for a transition the domain refused.
pub fn refused(payment: &Payment, t: Transition) -> ApiError {
    match t {
        Transition::UnexpectedState(message) => ApiError::invalid("payment_unexpected_state", message, None),
        Transition::LiveNetworkUnavailable => ApiError::invalid(
            "livemode_unsupported",
            "Live payments cannot be confirmed: this deployment has no card network connected. Use test mode keys and test cards.",
            None,
        ),
        Transition::HoldExpired => ApiError::invalid(
            "payment_unexpected_state",
            format!("The hold on payment {} expired and was released; it can no longer be captured.", payment.id),
            None,
        ),
        Transition::InvalidCaptureAmount { requested, capturable } => ApiError::invalid(
            "amount_too_large",
            format!("amount_to_capture ({requested}) must be at most the amount capturable ({capturable})."),
            Some("amount_to_capture"),
        ),
        Transition::Declined(p) => {
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
    D: Fn(&Payment) -> Result<Payment, Transition>,
{
    for _ in 0..MAX_ATTEMPTS {
        let before = load_payment(app, tenant, id, crate::now_unix()).await?;
        check(&before)?;
        let (after, declined) = match decide(&before) {
            Ok(after) => (after, false),
            Err(Transition::Declined(after)) => (*after, true),
            Err(other) => return Err(refused(&before, other)),
        };
        let event = transition_event(tenant, &before, &after, &request.event, crate::now_unix());
        if declined {
            // The 402 is recorded for an Idempotency-Key in the same
            // transaction as the failed payment: a request cut off between
            // the two would otherwise leave the key to expire, and its retry
            // would meet a `failed` payment (400) instead of the decline.
            let refusal = refused(&after, Transition::Declined(Box::new(after.clone())));
            let reply = Reply {
                status: refusal.status,
                body: refusal.body(),
                replayed: false,
            };
            let completion = run.completion(&reply);
            let writes = Writes {
                event: event.as_ref(),
                completion: completion.as_ref(),
            };
            match app.store.transition_payment(tenant, &before, &after, writes).await {
                Ok(()) => {
                    tracing::info!(payment_id = %id, "payment declined");
                    return match completion {
                        Some(_) => Ok(Outcome { reply, recorded: true }),
                        None => Err(refusal),
                    };
                }
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        let reply = match request.view {
            View::Merchant => Reply::ok(&PaymentObject::with_secret(&after))?,
            View::Browser => Reply::ok(&PublicPaymentObject::from(&after))?,
        };
        let completion = run.completion(&reply);
        let writes = Writes {
            event: event.as_ref(),
            completion: completion.as_ref(),
        };
        match app.store.transition_payment(tenant, &before, &after, writes).await {
            Ok(()) => {
                tracing::info!(payment_id = %id, from = before.status.as_str(), to = after.status.as_str(), "payment transition");
                return Ok(Outcome {
                    recorded: completion.is_some(),
                    reply,
                });
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(busy())
}
