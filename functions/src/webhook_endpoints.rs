//! The webhook endpoints endpoints' handlers, one function each; a function's binary
//! (`src/bin/<function>.rs`) is one line over it.

use paynectra::{
    domain::{ListWindow, NewWebhookEndpoint, WebhookEndpointId},
    http::{
        body, endpoint, idempotent, path_id, serve, wire::DeletedObject, ApiError, Handled, Reply, Request, RequestCtx,
    },
    service::{webhook_endpoints, App},
};

/// POST /v1/webhook_endpoints
pub async fn create(app: &App, req: Request) -> Handled {
    serve(app, req, |ctx, req| async move {
        let new: NewWebhookEndpoint = body(&req)?;
        webhook_endpoints::vet(app, &new)?;
        idempotent(app, &ctx, &req, async |run| {
            webhook_endpoints::create(app, &ctx, new, run).await
        })
        .await
    })
    .await
}

/// GET /v1/webhook_endpoints
pub async fn list(app: &App, req: Request) -> Handled {
    let load = async |ctx: &RequestCtx, window: ListWindow<WebhookEndpointId>| {
        app.store.list_webhook_endpoints(&ctx.tenant, &window).await
    };
    endpoint::list(app, req, "/v1/webhook_endpoints", load).await
}

/// DELETE /v1/webhook_endpoints/{id}
pub async fn delete(app: &App, req: Request) -> Handled {
    serve(app, req, |ctx, req| async move {
        let id: WebhookEndpointId = path_id(&req)?;
        if !webhook_endpoints::delete(app, &ctx.tenant, &id).await? {
            return Err(ApiError::not_found("webhook endpoint", id.as_str()));
        }
        Reply::ok(&DeletedObject::new(id.as_str(), "webhook_endpoint"))
    })
    .await
}
