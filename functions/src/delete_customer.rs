//! DELETE /v1/customers/{id}

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::{CustomerId, Event, EventType},
    http::{
        path_id, serve,
        wire::{CustomerObject, DeletedObject},
        ApiError, Reply,
    },
    App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(req, |ctx, req| async move {
        let id: CustomerId = path_id(&req)?;
        let customer = app
            .store
            .get_customer(&ctx.tenant, &id)
            .await?
            .filter(|c| !c.deleted)
            .ok_or_else(|| ApiError::not_found("customer", id.as_str()))?;
        let event = Event::new(
            EventType::CustomerDeleted,
            ctx.tenant.mode,
            &CustomerObject::from(&customer),
            None,
            ctx.event_request(),
            paynectra::now_unix(),
        );
        if !app.store.delete_customer(&ctx.tenant, &id, Some(&event)).await? {
            return Err(ApiError::not_found("customer", id.as_str()));
        }
        tracing::info!(customer_id = %id, "customer deleted");
        Reply::ok(&DeletedObject {
            id: id.as_str(),
            object: "customer",
            deleted: true,
        })
    })
    .await
}
