//! GET /v1/customers

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    http::{
        list_reply, listed, serve,
        wire::{CustomerObject, ListCustomersRequest},
        QueryParams,
    },
    service::App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(app, req, |ctx, req| async move {
        let list = ListCustomersRequest::try_from(QueryParams::from_request(&req)?)?;
        let page = listed(
            app.store
                .list_customers(&ctx.tenant, list.email.as_deref(), &list.created, &list.window)
                .await,
            "customer",
        )?;
        list_reply("/v1/customers", &page, CustomerObject::from)
    })
    .await
}
