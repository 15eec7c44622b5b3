//! GET /v1/webhook_endpoints

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    http::{
        list_reply, listed, serve,
        wire::{take_window, WebhookEndpointObject},
        QueryParams,
    },
    service::App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(app, req, |ctx, req| async move {
        let mut q = QueryParams::from_request(&req)?;
        let window = take_window(&mut q)?;
        q.finish()?;
        let page = listed(
            app.store.list_webhook_endpoints(&ctx.tenant, &window).await,
            "webhook endpoint",
        )?;
        list_reply("/v1/webhook_endpoints", &page, WebhookEndpointObject::from)
    })
    .await
}
