//! POST /v1/customers

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::{Customer, NewCustomer},
    http::{
        parse_json, serve,
        wire::{CreateCustomerRequest, CustomerObject},
        Reply,
    },
    App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(req, |ctx, req| async move {
        let new = NewCustomer::try_from(parse_json::<CreateCustomerRequest>(&req)?)?;
        let customer = Customer::create(new, ctx.tenant.mode, paynectra::now_unix());
        app.store.insert_customer(&ctx.tenant, &customer).await?;
        tracing::info!(customer_id = %customer.id, "customer created");
        Reply::ok(&CustomerObject::from(&customer))
    })
    .await
}
