//! GET /v1/customers/{id}/payment_methods

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::CustomerId,
    http::{
        list_reply, listed, path_id, serve,
        wire::{take_window, PaymentMethodObject},
        QueryParams,
    },
    service::{customers, App},
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(app, req, |ctx, req| async move {
        let customer: CustomerId = path_id(&req)?;
        let mut q = QueryParams::from_request(&req)?;
        let window = take_window(&mut q)?;
        q.finish()?;
        customers::live(app, &ctx, &customer).await?;
        let page = listed(
            app.store
                .list_customer_payment_methods(&ctx.tenant, &customer, &window)
                .await,
            "payment method",
        )?;
        // The real path, so a client that follows `url` to page on works.
        let url = format!("/v1/customers/{customer}/payment_methods");
        list_reply(url, &page, PaymentMethodObject::from)
    })
    .await
}
