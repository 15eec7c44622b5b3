//! GET /v1/customers/{id}

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::CustomerId,
    http::{
        path_id, serve,
        wire::{CustomerObject, DeletedObject},
        ApiError, Reply,
    },
    service::App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(app, req, |ctx, req| async move {
        let id: CustomerId = path_id(&req)?;
        let customer = app
            .store
            .get_customer(&ctx.tenant, &id)
            .await?
            .ok_or_else(|| ApiError::not_found("customer", id.as_str()))?;
        if customer.deleted {
            // As on Stripe: a deleted customer can still be retrieved, as a stub.
            return Reply::ok(&DeletedObject {
                id: id.as_str(),
                object: "customer",
                deleted: true,
            });
        }
        Reply::ok(&CustomerObject::from(&customer))
    })
    .await
}
