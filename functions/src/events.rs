//! The events endpoints' handlers, one function each; a function's binary
//! (`src/bin/<function>.rs`) is one line over it.

use paynectra::{
    domain::EventId,
    http::{
        endpoint,
        wire::{DeliveryObject, EventObject, EventWithDeliveries, ListEventsRequest},
        Handled, Reply, Request, RequestCtx,
    },
    service::App,
};

/// GET /v1/events/{id}
pub async fn get(app: &App, req: Request) -> Handled {
    // One Query: the event and its deliveries share a partition.
    let load = async |ctx: &RequestCtx, id: &EventId| app.store.event_with_deliveries(&ctx.tenant, id, ctx.now).await;
    endpoint::retrieve(app, req, load, |_, (event, deliveries)| {
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
            .list_events(
                &ctx.tenant,
                kind,
                list.filter.payment.as_ref(),
                &list.created,
                &list.window,
                ctx.now,
            )
            .await
    };
    endpoint::list(app, req, "/v1/events", load).await
}
