//! The events endpoints' handlers, one function each; a function's binary
//! (`src/bin/<function>.rs`) is one line over it.

use paynectra::{
    domain::EventId,
    http::{
        endpoint, path_id, serve,
        wire::{DeliveryObject, EventObject, EventWithDeliveries, ListEventsRequest},
        Handled, OrNotFound, Reply, Request, RequestCtx,
    },
    service::App,
};

/// GET /v1/events/{id}
pub async fn get(app: &App, req: Request) -> Handled {
    serve(app, req, |ctx, req| async move {
        let id: EventId = path_id(&req)?;
        // One Query: the event and its deliveries share a partition.
        let found = app.store.event_with_deliveries(&ctx.tenant, &id, ctx.now).await?;
        let (event, deliveries) = found.or_not_found("event", id.as_str())?;
        Reply::ok(&EventWithDeliveries {
            event: EventObject::from(&event),
            deliveries: deliveries.iter().map(DeliveryObject::from).collect(),
        })
    })
    .await
}

/// GET /v1/events
pub async fn list(app: &App, req: Request) -> Handled {
    let load = async |ctx: &RequestCtx, list: ListEventsRequest| {
        let kind = list.filter.kind;
        app.store
            .list_events(&ctx.tenant, kind, &list.created, &list.window, ctx.now)
            .await
    };
    endpoint::list(app, req, "/v1/events", load).await
}
