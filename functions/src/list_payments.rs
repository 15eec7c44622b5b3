//! GET /v1/payments

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    http::{
        list_reply, listed, serve,
        wire::{ListPaymentsRequest, PaymentObject},
        QueryParams,
    },
    service::App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(app, req, |ctx, req| async move {
        let list = ListPaymentsRequest::try_from(QueryParams::from_request(&req)?)?;
        let page = listed(
            app.store.list_payments(&ctx.tenant, &list.filter, &list.window).await,
            "payment",
        )?;
        list_reply("/v1/payments", &page, PaymentObject::from)
    })
    .await
}
