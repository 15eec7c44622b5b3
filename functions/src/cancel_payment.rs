//! POST /v1/payments/{id}/cancel

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::{CancelPayment, PaymentId},
    http::{idempotent, parse_json, path_id, serve, wire::CancelPaymentRequest},
    service::{payments, App},
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(app, req, |ctx, req| async move {
        let id: PaymentId = path_id(&req)?;
        let cancel = CancelPayment::try_from(parse_json::<CancelPaymentRequest>(&req)?)?;
        idempotent(&app.store, &ctx, &req, async |run| {
            payments::cancel(app, &ctx, &id, cancel, run).await
        })
        .await
    })
    .await
}
