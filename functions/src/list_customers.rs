//! GET /v1/customers

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    http::{
        serve,
        wire::{CustomerObject, ListCustomersRequest, ListObject},
        ApiError, QueryParams, Reply,
    },
    App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(req, |ctx, req| async move {
        let list = ListCustomersRequest::try_from(QueryParams::from_request(&req)?)?;
        let (page, stats) = app
            .store
            .list_customers(&ctx.tenant, list.email.as_deref(), &list.created, &list.window)
            .await
            .map_err(|e| ApiError::from_list_error(e, "customer"))?;
        tracing::info!(
            returned = page.data.len(),
            items_read = stats.items_read,
            "customers listed"
        );
        let data = page.data.iter().map(CustomerObject::from).collect();
        Reply::ok(&ListObject::new("/v1/customers", page.has_more, data))
    })
    .await
}
