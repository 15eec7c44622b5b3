//! The receipts endpoint's handler; its function's binary
//! (`src/bin/list_receipts.rs`) is one line over it. Receipts are made by
//! the stream handler that fans events out (`paynectra::service::receipts`).

use paynectra::{
    http::{endpoint, wire::ListReceiptsRequest, Handled, Request, RequestCtx},
    service::App,
};

/// GET /v1/receipts
pub async fn list(app: &App, req: Request) -> Handled {
    let load = async |ctx: &RequestCtx, list: ListReceiptsRequest| {
        app.store
            .list_receipts(
                &ctx.tenant,
                list.filter.payment_id.as_ref(),
                &list.created,
                &list.window,
            )
            .await
    };
    endpoint::list(app, req, "/v1/receipts", load).await
}
