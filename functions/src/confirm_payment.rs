//! POST /v1/payments/{id}/confirm

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::{ConfirmPayment, KeyKind, PaymentId},
    http::{idempotent, parse_json, path_id, serve_with, wire::ConfirmPaymentRequest, Access, ApiError},
    service::{payments, App},
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve_with(app, Access::Publishable, req, |ctx, req| async move {
        let id: PaymentId = path_id(&req)?;
        let confirm = ConfirmPayment::try_from(parse_json::<ConfirmPaymentRequest>(&req)?)?;
        if ctx.key_kind == KeyKind::Publishable && confirm.client_secret.is_none() {
            return Err(ApiError::invalid(
                "parameter_missing",
                "Missing required param: client_secret (a publishable key confirms only with the payment's client secret).",
                Some("client_secret"),
            ));
        }
        idempotent(&app.store, &ctx, &req, async |run| {
            payments::confirm(app, &ctx, &id, confirm, run).await
        })
        .await
    })
    .await
}
