//! GET /v1/events/{id}

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::EventId,
    http::{path_id, serve, wire::EventObject, ApiError, Reply},
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
        Reply::ok(&EventObject::from(&event))
    })
    .await
}
