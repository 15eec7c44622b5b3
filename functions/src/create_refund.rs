//! POST /v1/refunds

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::NewRefund,
    http::{idempotent, parse_json, serve, wire::CreateRefundRequest, ApiError},
    service::{refunds, App},
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(app, req, |ctx, req| async move {
        let new = NewRefund::try_from(parse_json::<CreateRefundRequest>(&req)?).map_err(ApiError::from)?;
        idempotent(&app.store, &ctx, &req, async |run| {
            refunds::create(app, &ctx, &new, run).await
        })
        .await
    })
    .await
}
