//! GET /v1/payments/{id}

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::PaymentId,
    http::{path_id, serve, wire::PaymentObject, ApiError, Reply},
    App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(req, |ctx, req| async move {
        let id: PaymentId = path_id(&req)?;
        let payment = app
            .store
            .get_payment(&ctx.tenant, &id)
            .await?
            .ok_or_else(|| ApiError::not_found("payment", id.as_str()))?;
        Reply::ok(&PaymentObject::from(&payment))
    })
    .await
}
