//! POST /v1/payments

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::{NewPayment, Payment},
    http::{
        parse_json, serve,
        wire::{CreatePaymentRequest, PaymentObject},
        ApiError, Reply,
    },
    store::StoreError,
    App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(req, |ctx, req| async move {
        let new = NewPayment::try_from(parse_json::<CreatePaymentRequest>(&req)?)?;
        let payment = Payment::create(new, ctx.tenant.mode, paynectra::now_unix());
        match app.store.insert_payment(&ctx.tenant, &payment).await {
            Ok(()) => {}
            Err(StoreError::CustomerNotFound(id)) => {
                return Err(ApiError::invalid(
                    "resource_missing",
                    format!("No such customer: '{id}'"),
                    Some("customer_id"),
                ))
            }
            Err(e) => return Err(e.into()),
        }
        tracing::info!(payment_id = %payment.id, "payment created");
        Reply::ok(&PaymentObject::from(&payment))
    })
    .await
}
