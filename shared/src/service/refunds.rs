//! Refunds: read the payment, let the domain decide, write the refund and
//! the payment's new balance in one transaction; a refund that lost a race
//! to a concurrent one reads and decides again.

use std::time::Duration;

use super::App;
use crate::{
    domain::{EventType, NewRefund, Payment, Refund, RefundRefused},
    http::{wire::RefundObject, ApiError, Outcome, Reply, RequestCtx, Run},
    store::{StoreError, Writes},
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
    for attempt in 0..MAX_ATTEMPTS {
        let payment = app
            .store
            .get_payment(tenant, &new.payment_id)
            .await?
            .ok_or_else(|| ApiError::not_found("payment", new.payment_id.as_str()).with_param("payment_id"))?;
        let refund = Refund::against(new, &payment, ctx.now).map_err(|why| refused(&payment, why))?;
        let reply = Reply::ok(&RefundObject::from(&refund))?;
        let completion = run.completion(&reply);
        let event = ctx.event(EventType::RefundCreated, &RefundObject::from(&refund), None);
        match app
            .store
            .insert_refund(tenant, &refund, Writes::new(&event, completion.as_ref()))
            .await
        {
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
