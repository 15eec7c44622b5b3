//! POST /v1/payments/{id}/confirm

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::{KeyKind, PaymentId},
    http::{
        idempotency::{self, Begin},
        parse_json, path_id, serve_with,
        wire::{Confirm, ConfirmPaymentRequest},
        Access, ApiError,
    },
    lifecycle::{client_secret_matches, resolve_payment_method, transition, TransitionRequest},
    App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve_with(Access::Publishable, req, |ctx, req| async move {
        let id: PaymentId = path_id(&req)?;
        let confirm = Confirm::try_from(parse_json::<ConfirmPaymentRequest>(&req)?)?;
        if ctx.key_kind == KeyKind::Publishable && confirm.client_secret.is_none() {
            return Err(ApiError::invalid(
                "parameter_missing",
                "Missing required param: client_secret (a publishable key confirms only with the payment's client secret).",
                Some("client_secret"),
            ));
        }
        let run = match idempotency::begin(&app.store, &ctx, &req).await? {
            Begin::Replay(reply) => return Ok(reply),
            Begin::Run(run) => run,
        };
        let outcome = async {
            let now = paynectra::now_unix();
            let resolved = resolve_payment_method(app, &ctx.tenant, &confirm.payment_method, now).await?;
            let pm = resolved.payment_method();
            let check = |payment: &paynectra::domain::Payment| {
                if let Some(secret) = &confirm.client_secret {
                    if !client_secret_matches(payment, secret) {
                        // As if the payment did not exist: a wrong secret learns nothing.
                        return Err(ApiError::not_found("payment", id.as_str()));
                    }
                }
                match (&pm.customer, &payment.customer_id) {
                    (Some(owner), other) if other.as_ref() != Some(owner) => Err(ApiError::invalid(
                        "payment_method_unexpected_state",
                        "This payment method belongs to another customer than the payment's.",
                        Some("payment_method"),
                    )),
                    _ => Ok(()),
                }
            };
            resolved.store_for(app, &ctx.tenant, &id, now, check).await?;
            transition(app, &ctx.tenant, &id, &run, &TransitionRequest::from_ctx(&ctx), check, |p| p.confirm(pm, now)).await
        }
        .await;
        run.finish(&app.store, outcome).await
    })
    .await
}
