//! POST /v1/payments/{id}/capture

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::{CapturePayment, PaymentId},
    http::{idempotent, parse_json, path_id, serve, wire::CapturePaymentRequest},
    service::{payments, App},
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(app, req, |ctx, req| async move {
        let id: PaymentId = path_id(&req)?;
        let capture = CapturePayment::try_from(parse_json::<CapturePaymentRequest>(&req)?)?;
        idempotent(&app.store, &ctx, &req, async |run| {
            payments::capture(app, &ctx, &id, capture, run).await
        })
        .await
    })
    .await
}
