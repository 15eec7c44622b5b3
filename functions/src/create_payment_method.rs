//! POST /v1/payment_methods

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::CardInput,
    http::{idempotent, parse_json, serve_with, wire::CreatePaymentMethodRequest, Access},
    service::{payment_methods, App},
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve_with(app, Access::Publishable, req, |ctx, req| async move {
        let input = CardInput::try_from(parse_json::<CreatePaymentMethodRequest>(&req)?)?;
        let card = input.validate(app.fingerprint_key()?, ctx.now)?;
        idempotent(&app.store, &ctx, &req, async |run| {
            payment_methods::create(app, &ctx, card, run).await
        })
        .await
    })
    .await
}
