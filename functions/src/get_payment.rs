//! GET /v1/payments/{id}

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::PaymentId,
    http::{path_id, serve, wire::PaymentObject, Reply},
    service::{payments::load_payment, App},
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(app, req, |ctx, req| async move {
        let id: PaymentId = path_id(&req)?;
        // An expired hold is cancelled here if the scheduled sweep has not
        // got to it yet.
        let payment = load_payment(app, &ctx.tenant, &id, ctx.now).await?;
        Reply::ok(&PaymentObject::with_secret(&payment))
    })
    .await
}
