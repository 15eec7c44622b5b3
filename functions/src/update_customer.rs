//! POST /v1/customers/{id}

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::{CustomerId, CustomerUpdate},
    http::{idempotent, parse_json, path_id, serve, wire::UpdateCustomerRequest},
    service::{customers, App},
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(app, req, |ctx, req| async move {
        let id: CustomerId = path_id(&req)?;
        let update = CustomerUpdate::try_from(parse_json::<UpdateCustomerRequest>(&req)?)?;
        idempotent(&app.store, &ctx, &req, async |run| {
            customers::update(app, &ctx, &id, update, run).await
        })
        .await
    })
    .await
}
