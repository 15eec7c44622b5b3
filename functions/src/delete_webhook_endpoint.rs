//! DELETE /v1/webhook_endpoints/{id}

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::WebhookEndpointId,
    http::{path_id, serve, wire::DeletedObject, ApiError, Reply},
    service::App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(app, req, |ctx, req| async move {
        let id: WebhookEndpointId = path_id(&req)?;
        if !app.store.delete_webhook_endpoint(&ctx.tenant, &id).await? {
            return Err(ApiError::not_found("webhook endpoint", id.as_str()));
        }
        Reply::ok(&DeletedObject {
            id: id.as_str(),
            object: "webhook_endpoint",
            deleted: true,
        })
    })
    .await
}
