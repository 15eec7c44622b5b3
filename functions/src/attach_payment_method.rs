//! POST /v1/customers/{id}/payment_methods

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::{CustomerId, PaymentMethodId},
    http::{idempotent, parse_json, path_id, serve, wire::AttachPaymentMethodRequest},
    service::{payment_methods, App},
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(app, req, |ctx, req| async move {
        let customer: CustomerId = path_id(&req)?;
        let pm_id = PaymentMethodId::try_from(parse_json::<AttachPaymentMethodRequest>(&req)?)?;
        idempotent(&app.store, &ctx, &req, async |_| {
            payment_methods::attach(app, &ctx, &customer, &pm_id).await
        })
        .await
    })
    .await
}
