//! The refunds endpoints' handlers, one function each; a function's binary
//! (`src/bin/<function>.rs`) is one line over it.

use paynectra::{
    domain::{NewRefund, RefundId},
    http::{
        endpoint,
        wire::{ListRefundsRequest, RefundObject},
        Handled, Reply, Request, RequestCtx,
    },
    service::{refunds, App},
};

/// POST /v1/refunds
pub async fn create(app: &App, req: Request) -> Handled {
    endpoint::create(app, req, async |ctx, new: NewRefund, run| {
        refunds::create(app, ctx, &new, run).await
    })
    .await
}

/// GET /v1/refunds/{id}
pub async fn get(app: &App, req: Request) -> Handled {
    let load = async |ctx: &RequestCtx, id: &RefundId| app.store.get_refund(&ctx.tenant, id).await;
    endpoint::retrieve(app, req, load, |_, refund| Reply::ok(&RefundObject::from(&refund))).await
}

/// GET /v1/refunds
pub async fn list(app: &App, req: Request) -> Handled {
    let load = async |ctx: &RequestCtx, list: ListRefundsRequest| {
        let payment = list.filter.payment_id.as_ref();
        app.store
            .list_refunds(&ctx.tenant, payment, &list.created, &list.window)
            .await
    };
    endpoint::list(app, req, "/v1/refunds", load).await
}
