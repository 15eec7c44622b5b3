//! GET /v1/payments

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    http::{
        serve,
        wire::{ListObject, ListPaymentsRequest, PaymentObject},
        ApiError, QueryParams, Reply,
    },
    store::StoreError,
    App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(req, |ctx, req| async move {
        let list = ListPaymentsRequest::try_from(QueryParams::from_request(&req)?)?;
        let (page, stats) = match app.store.list_payments(&ctx.tenant, &list.filter, &list.window).await {
            Ok(found) => found,
            Err(StoreError::CursorNotFound { param, id }) => {
                return Err(ApiError::invalid(
                    "resource_missing",
                    format!("No such payment: '{id}'"),
                    Some(param),
                ))
            }
            Err(e) => return Err(e.into()),
        };
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
