//! DELETE /v1/customers/{id}/payment_methods/{payment_method_id}

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::{CustomerId, PaymentMethodId},
    http::{path_id, path_id_named, serve, wire::PaymentMethodObject, ApiError, Reply},
    service::App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(app, req, |ctx, req| async move {
        let customer: CustomerId = path_id(&req)?;
        let pm_id: PaymentMethodId = path_id_named(&req, "payment_method_id")?;
        let not_attached = || ApiError::not_found("payment method", pm_id.as_str()).with_param("payment_method_id");
        // One conditional UpdateItem that returns the method as it now is.
        let pm = app
            .store
            .detach_payment_method(&ctx.tenant, &pm_id, &customer)
            .await?
            .ok_or_else(not_attached)?;
        tracing::info!(payment_method_id = %pm_id, customer_id = %customer, "payment method detached");
        Reply::ok(&PaymentMethodObject::from(&pm))
    })
    .await
}
