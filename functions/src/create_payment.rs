//! POST /v1/payments

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::NewPayment,
    http::{idempotent, parse_json, serve, wire::CreatePaymentRequest},
    service::{payments, App},
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(app, req, |ctx, req| async move {
        let new = NewPayment::try_from(parse_json::<CreatePaymentRequest>(&req)?)?;
        idempotent(&app.store, &ctx, &req, async |run| {
            payments::create(app, &ctx, new, run).await
        })
        .await
    })
    .await
}
