//! GET /v1/events/{id}

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::EventId,
    http::{
        path_id, serve,
        wire::{DeliveryObject, EventObject, EventWithDeliveries},
        ApiError, Reply,
    },
    service::App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(app, req, |ctx, req| async move {
        let id: EventId = path_id(&req)?;
        // One Query: the event and its deliveries share a partition.
        let (event, deliveries) = app
            .store
            .event_with_deliveries(&ctx.tenant, &id, ctx.now)
            .await?
            .ok_or_else(|| ApiError::not_found("event", id.as_str()))?;
        Reply::ok(&EventWithDeliveries {
            event: EventObject::from(&event),
            deliveries: deliveries.iter().map(DeliveryObject::from).collect(),
        })
    })
    .await
}
