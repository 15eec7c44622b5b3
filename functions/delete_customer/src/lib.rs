//! DELETE /v1/customers/{id}

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::CustomerId,
    http::{path_id, serve, wire::DeletedObject, ApiError, Reply},
    App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(req, |ctx, req| async move {
        let id: CustomerId = path_id(&req)?;
        if !app.store.delete_customer(&ctx.tenant, &id).await? {
            return Err(ApiError::not_found("customer", id.as_str()));
        }
        tracing::info!(customer_id = %id, "customer deleted");
        Reply::ok(&DeletedObject {
            id: id.as_str(),
            object: "customer",
            deleted: true,
        })
    })
    .await
}
