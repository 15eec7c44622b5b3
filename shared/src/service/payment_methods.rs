//! Payment methods: tokenising a card, attaching one to a customer, and
//! resolving the one a confirmation names.

use super::{
    payments::{load_payment, refused},
    App,
};
use crate::{
    domain::{
        CustomerId, Mode, Payment, PaymentId, PaymentMethod, PaymentMethodId, PaymentMethodRef, Tenant,
        TransitionRefused, ValidCard,
    },
    http::{wire::PaymentMethodObject, ApiError, Outcome, Reply, RequestCtx, Run},
    store::{StoreError, Writes},
};

/// `POST /v1/payment_methods`: a validated card (its number and CVC went
/// no further than [`CardInput::validate`]) becomes a payment method of the
/// tenant.
pub async fn create(app: &App, ctx: &RequestCtx, valid: ValidCard, run: &Run) -> Result<Outcome, ApiError> {
    let pm = PaymentMethod::create(valid, ctx.tenant.mode, ctx.now);
    let reply = Reply::ok(&PaymentMethodObject::from(&pm))?;
    let completion = run.completion(&reply);
    let writes = Writes {
        event: None,
        also: None,
        balance: None,
        completion: completion.as_ref(),
    };
    app.store.insert(&ctx.tenant, &pm, writes).await?;
    tracing::info!(payment_method_id = %pm.id, brand = ?pm.card.brand, "payment method created");
    Ok(Outcome::written(reply, &completion))
}

/// `POST /v1/customers/{id}/payment_methods`: attaches a payment method
/// that is attached to nobody (attaching it again to the same customer
/// answers it as it is).
pub async fn attach(
    app: &App,
    ctx: &RequestCtx,
    customer: &CustomerId,
    pm_id: &PaymentMethodId,
) -> Result<Outcome, ApiError> {
    let pm = app
        .store
        .get_payment_method(&ctx.tenant, pm_id)
        .await?
        .ok_or_else(|| ApiError::not_found("payment method", pm_id.as_str()).with_param("payment_method"))?;
    match &pm.customer {
        Some(c) if c == customer => {}
        Some(_) => {
            return Err(ApiError::invalid(
                "payment_method_unexpected_state",
                "This payment method is attached to another customer. Detach it first.",
                Some("payment_method"),
            ))
        }
        // As on Stripe: one that paid without a customer stays single-use,
        // unless that payment was this customer's (a card saved after it paid).
        None if !paid_for(app, ctx, &pm, customer).await? => {
            return Err(ApiError::invalid(
                "payment_method_unexpected_state",
                "This payment method was used for a payment without being attached to a customer, and may not be attached now.",
                Some("payment_method"),
            ))
        }
        None => match app.store.attach_payment_method(&ctx.tenant, &pm, customer).await {
            Ok(()) => {}
            Err(StoreError::CustomerNotFound(_)) => return Err(ApiError::not_found("customer", customer.as_str())),
            Err(StoreError::Conflict) => {
                return Err(ApiError::conflict(
                    "lock_timeout",
                    "This payment method was attached concurrently; retry this request.",
                ))
            }
            Err(e) => return Err(e.into()),
        },
    }
    let attached = PaymentMethod {
        customer: Some(customer.clone()),
        ..pm
    };
    tracing::info!(payment_method_id = %attached.id, customer_id = %customer, "payment method attached");
    Ok(Outcome::unrecorded(Reply::ok(&PaymentMethodObject::from(&attached))?))
}

/// Whether `pm` is unused, or paid only a payment of `customer`.
async fn paid_for(app: &App, ctx: &RequestCtx, pm: &PaymentMethod, customer: &CustomerId) -> Result<bool, ApiError> {
    let Some(payment) = &pm.consumed_by else {
        return Ok(true);
    };
    let paid = app.store.get_payment(&ctx.tenant, payment).await?;
    Ok(paid.is_some_and(|p| p.customer_id.as_ref() == Some(customer)))
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
            Ok(_) | Err(TransitionRefused::Declined(_)) => {}
            Err(other) => return Err(refused(&payment, other)),
        }
        app.store.insert(tenant, pm, Writes::NONE).await?;
        tracing::info!(payment_method_id = %pm.id, "test payment method created");
        Ok(())
    }
}
