//! GET /v1/payments

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    http::{
        serve,
        wire::{ListObject, ListPaymentsRequest, PaymentObject},
        ApiError, QueryParams, Reply,
    },
    App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(req, |ctx, req| async move {
        let list = ListPaymentsRequest::try_from(QueryParams::from_request(&req)?)?;
        let (page, stats) = app
            .store
            .list_payments(&ctx.tenant, &list.filter, &list.window)
            .await
            .map_err(|e| ApiError::from_list_error(e, "payment"))?;
        tracing::info!(
            returned = page.data.len(),
            has_more = page.has_more,
            queries = stats.queries,
            items_read = stats.items_read,
            read_capacity = stats.read_capacity,
            "payments listed"
        );
        let data = page.data.iter().map(PaymentObject::from).collect();
        Reply::ok(&ListObject::new("/v1/payments", page.has_more, data))
    })
    .await
}
