//! GET /v1/customers/{id}/payment_methods

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::CustomerId,
    http::{
        path_id, serve,
        wire::{take_window, ListObject, PaymentMethodObject},
        ApiError, QueryParams, Reply,
    },
    App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(req, |ctx, req| async move {
        let customer: CustomerId = path_id(&req)?;
        let mut q = QueryParams::from_request(&req)?;
        let window = take_window(&mut q)?;
        q.finish()?;
        let live = app
            .store
            .get_customer(&ctx.tenant, &customer)
            .await?
            .filter(|c| !c.deleted);
        if live.is_none() {
            return Err(ApiError::not_found("customer", customer.as_str()));
        }
        let (page, _) = app
            .store
            .list_customer_payment_methods(&ctx.tenant, &customer, &window)
            .await
            .map_err(|e| ApiError::from_list_error(e, "payment method"))?;
        let data = page.data.iter().map(PaymentMethodObject::from).collect();
        Reply::ok(&ListObject::new(
            "/v1/customers/{id}/payment_methods",
            page.has_more,
            data,
        ))
    })
    .await
}
