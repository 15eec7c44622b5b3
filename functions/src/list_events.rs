//! GET /v1/events

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    http::{
        serve,
        wire::{EventObject, ListEventsRequest, ListObject},
        ApiError, QueryParams, Reply,
    },
    App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(req, |ctx, req| async move {
        let list = ListEventsRequest::try_from(QueryParams::from_request(&req)?)?;
        let (page, stats) = app
            .store
            .list_events(&ctx.tenant, list.kind, &list.created, &list.window)
            .await
            .map_err(|e| ApiError::from_list_error(e, "event"))?;
        tracing::info!(
            returned = page.data.len(),
            items_read = stats.items_read,
            "events listed"
        );
        let data = page.data.iter().map(EventObject::from).collect();
        Reply::ok(&ListObject::new("/v1/events", page.has_more, data))
    })
    .await
}
