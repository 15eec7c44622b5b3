//! GET /v1/refunds

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    http::{
        list_reply, listed, serve,
        wire::{ListRefundsRequest, RefundObject},
        QueryParams,
    },
    service::App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(app, req, |ctx, req| async move {
        let list = ListRefundsRequest::try_from(QueryParams::from_request(&req)?)?;
        let page = listed(
            app.store
                .list_refunds(&ctx.tenant, list.payment_id.as_ref(), &list.created, &list.window)
                .await,
            "refund",
        )?;
        list_reply("/v1/refunds", &page, RefundObject::from)
    })
    .await
}
