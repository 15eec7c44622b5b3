//! GET /v1/refunds

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    http::{
        serve,
        wire::{ListObject, ListRefundsRequest, RefundObject},
        ApiError, QueryParams, Reply,
    },
    App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(req, |ctx, req| async move {
        let list = ListRefundsRequest::try_from(QueryParams::from_request(&req)?)?;
        let (page, stats) = app
            .store
            .list_refunds(&ctx.tenant, list.payment_id.as_ref(), &list.created, &list.window)
            .await
            .map_err(|e| ApiError::from_list_error(e, "refund"))?;
        tracing::info!(
            returned = page.data.len(),
            items_read = stats.items_read,
            "refunds listed"
        );
        let data = page.data.iter().map(RefundObject::from).collect();
        Reply::ok(&ListObject::new("/v1/refunds", page.has_more, data))
    })
    .await
}
