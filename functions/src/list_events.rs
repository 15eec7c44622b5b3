//! GET /v1/events

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    http::{
        list_reply, listed, serve,
        wire::{EventObject, ListEventsRequest},
        QueryParams,
    },
    service::App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(app, req, |ctx, req| async move {
        let list = ListEventsRequest::try_from(QueryParams::from_request(&req)?)?;
        let page = listed(
            app.store
                .list_events(&ctx.tenant, list.kind, &list.created, &list.window, ctx.now)
                .await,
            "event",
        )?;
        list_reply("/v1/events", &page, EventObject::from)
    })
    .await
}
