//! GET /v1/refunds/{id}

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::RefundId,
    http::{path_id, serve, wire::RefundObject, ApiError, Reply},
    service::App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(app, req, |ctx, req| async move {
        let id: RefundId = path_id(&req)?;
        let refund = app
            .store
            .get_refund(&ctx.tenant, &id)
            .await?
            .ok_or_else(|| ApiError::not_found("refund", id.as_str()))?;
        Reply::ok(&RefundObject::from(&refund))
    })
    .await
}
