//! POST /v1/refunds

use std::time::Duration;

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::{Event, EventType, NewRefund, Payment, Refund, RefundRefused},
    http::{
        idempotency::{self, Begin, Outcome, Run},
        parse_json, serve,
        wire::{CreateRefundRequest, RefundObject},
        ApiError, Reply, RequestCtx,
    },
    store::{StoreError, Writes},
    App,
};

/// How many times a refund re-reads the payment after losing a race to a
/// concurrent refund. Each round one contender wins, so this bounds the
/// wait, not the outcome: a refund that runs out of rounds answers 409 and
/// can be retried.
const MAX_ATTEMPTS: u32 = 40;

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

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(req, |ctx, req| async move {
        let dto = parse_json::<CreateRefundRequest>(&req)?;
        let raw_payment_id = dto.payment_id.clone().unwrap_or_default();
        // A payment id that cannot exist is as missing as one that does not.
        let new = NewRefund::try_from(dto).map_err(|e| {
            if e.param == "payment_id" && e.code == "resource_missing" {
                ApiError::not_found("payment", &raw_payment_id).with_param("payment_id")
            } else {
                e.into()
            }
        })?;
        let run = match idempotency::begin(&app.store, &ctx, &req).await? {
            Begin::Replay(reply) => return Ok(reply),
            Begin::Run(run) => run,
        };
        let outcome = refund_with_retries(app, &ctx, &new, &run).await;
        run.finish(&app.store, outcome).await
    })
    .await
}

/// Reads the payment, decides, and writes; a write that lost a race to a
/// concurrent refund reads and decides again.
async fn refund_with_retries(app: &App, ctx: &RequestCtx, new: &NewRefund, run: &Run) -> Result<Outcome, ApiError> {
    let tenant = &ctx.tenant;
    for attempt in 0..MAX_ATTEMPTS {
        let payment = app
            .store
            .get_payment(tenant, &new.payment_id)
            .await?
            .ok_or_else(|| ApiError::not_found("payment", new.payment_id.as_str()).with_param("payment_id"))?;
        let refund = Refund::against(new, &payment, paynectra::now_unix()).map_err(|why| refused(&payment, why))?;
        let reply = Reply::ok(&RefundObject::from(&refund))?;
        let completion = run.completion(&reply);
        let event = Event::new(
            EventType::RefundCreated,
            tenant.mode,
            &RefundObject::from(&refund),
            None,
            ctx.event_request(),
            refund.created,
        );
        let writes = Writes::new(&event, completion.as_ref());
        match app.store.insert_refund(tenant, &refund, writes).await {
            Ok(()) => {
                tracing::info!(refund_id = %refund.id, payment_id = %payment.id, amount = refund.amount, attempt, "refund created");
                return Ok(Outcome {
                    recorded: completion.is_some(),
                    reply,
                });
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
