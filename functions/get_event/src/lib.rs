//! GET /v1/events/{id}

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::EventId,
    http::{
        path_id, serve,
        wire::{DeliveryObject, EventObject, EventWithDeliveries},
        ApiError, Reply,
    },
    App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(req, |ctx, req| async move {
        let id: EventId = path_id(&req)?;
        let event = app
            .store
            .get_event(&ctx.tenant, &id)
            .await?
            .ok_or_else(|| ApiError::not_found("event", id.as_str()))?;
        let deliveries = app.store.deliveries(&ctx.tenant, &id).await?;
        Reply::ok(&EventWithDeliveries {
            event: EventObject::from(&event),
            deliveries: deliveries.iter().map(DeliveryObject::from).collect(),
        })
    })
    .await
}
