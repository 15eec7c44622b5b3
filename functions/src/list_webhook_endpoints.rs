//! GET /v1/webhook_endpoints

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    http::{
        serve,
        wire::{take_window, ListObject, WebhookEndpointObject},
        ApiError, QueryParams, Reply,
    },
    App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(req, |ctx, req| async move {
        let mut q = QueryParams::from_request(&req)?;
        let window = take_window(&mut q)?;
        q.finish()?;
        let (page, _) = app
            .store
            .list_webhook_endpoints(&ctx.tenant, &window)
            .await
            .map_err(|e| ApiError::from_list_error(e, "webhook endpoint"))?;
        let data = page.data.iter().map(WebhookEndpointObject::from).collect();
        Reply::ok(&ListObject::new("/v1/webhook_endpoints", page.has_more, data))
    })
    .await
}
