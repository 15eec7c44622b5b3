//! The refunds endpoints' handlers, one function each; a function's binary
//! (`src/bin/<function>.rs`) is one line over it.

use paynectra::{
    domain::{NewRefund, RefundId},
    http::{
        body, idempotent, list_reply, listed, path_id, query, serve,
        wire::{ListRefundsRequest, RefundObject},
        Handled, OrNotFound, Reply, Request,
    },
    service::{refunds, App},
};

/// POST /v1/refunds
pub async fn create(app: &App, req: Request) -> Handled {
    serve(app, req, |ctx, req| async move {
        let new: NewRefund = body(&req)?;
        idempotent(app, &ctx, &req, async |run| refunds::create(app, &ctx, &new, run).await).await
    })
    .await
}

/// GET /v1/refunds/{id}
pub async fn get(app: &App, req: Request) -> Handled {
    serve(app, req, |ctx, req| async move {
        let id: RefundId = path_id(&req)?;
        let refund = app
            .store
            .get_refund(&ctx.tenant, &id)
            .await?
            .or_not_found("refund", id.as_str())?;
        Reply::ok(&RefundObject::from(&refund))
    })
    .await
}

/// GET /v1/refunds
pub async fn list(app: &App, req: Request) -> Handled {
    serve(app, req, |ctx, req| async move {
        let list: ListRefundsRequest = query(&req)?;
        let payment = list.filter.payment_id.as_ref();
        let found = app
            .store
            .list_refunds(&ctx.tenant, payment, &list.created, &list.window)
            .await;
        list_reply("/v1/refunds", &listed(found, "refund")?, RefundObject::from)
    })
    .await
}
