//! POST /v1/customers

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::NewCustomer,
    http::{idempotent, parse_json, serve, wire::CreateCustomerRequest},
    service::{customers, App},
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(app, req, |ctx, req| async move {
        let new = NewCustomer::try_from(parse_json::<CreateCustomerRequest>(&req)?)?;
        idempotent(&app.store, &ctx, &req, async |run| {
            customers::create(app, &ctx, new, run).await
        })
        .await
    })
    .await
}
