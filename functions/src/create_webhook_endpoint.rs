//! POST /v1/webhook_endpoints

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::NewWebhookEndpoint,
    http::{idempotent, parse_json, serve, wire::CreateWebhookEndpointRequest},
    service::{webhook_endpoints, App},
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(app, req, |ctx, req| async move {
        let new = NewWebhookEndpoint::try_from(parse_json::<CreateWebhookEndpointRequest>(&req)?)?;
        webhook_endpoints::vet(app, &new)?;
        idempotent(&app.store, &ctx, &req, async |run| {
            webhook_endpoints::create(app, &ctx, new, run).await
        })
        .await
    })
    .await
}
