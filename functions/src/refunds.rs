//! The refunds endpoints' handlers, one function each, and the simulated
//! card network's (the stream's handler that answers new refunds, and the
//! sweep that answers overdue ones); a function's binary
//! (`src/bin/<function>.rs`) is one line over it.

use aws_lambda_events::{dynamodb::Event as StreamEvent, streams::DynamoDbEventResponse};
use paynectra::{
    domain::{
        refund::{RefundAction, RefundUpdate},
        NewRefund, RefundId,
    },
    http::{
        endpoint,
        wire::{ListRefundsRequest, RefundObject},
        Handled, Reply, Request, RequestCtx, Run,
    },
    service::{refunds, sweeps::SweepBudget, App},
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
        app.store
            .list_refunds(&ctx.tenant, &list.refund_filter(), &list.window)
            .await
    };
    endpoint::list(app, req, "/v1/refunds", load).await
}

/// POST /v1/refunds/{id}
pub async fn update(app: &App, req: Request) -> Handled {
    let update = async |ctx: &RequestCtx, id: &RefundId, update: RefundUpdate, run: &Run| {
        refunds::update(app, ctx, id, &update, run).await
    };
    endpoint::act(app, req, update).await
}

/// POST /v1/refunds/{id}/cancel
pub async fn cancel(app: &App, req: Request) -> Handled {
    let cancel =
        async |ctx: &RequestCtx, id: &RefundId, _: RefundAction, run: &Run| refunds::cancel(app, ctx, id, run).await;
    endpoint::act(app, req, cancel).await
}

/// POST /v1/test_helpers/refunds/{id}/expire
pub async fn expire(app: &App, req: Request) -> Handled {
    let expire =
        async |ctx: &RequestCtx, id: &RefundId, _: RefundAction, run: &Run| refunds::expire(app, ctx, id, run).await;
    endpoint::act(app, req, expire).await
}

/// Triggered by the table's stream (event source mapping, filtered to new
/// refund items): the simulated card network answers each new refund
/// (`succeeded`, or `failed` for a card whose refunds fail), each answer
/// one transaction with its events. A record that could not be answered
/// (after the SDK's retries) is reported as failed, so the mapping retries
/// it; if it never is, the refund index's sweep answers the refund a minute
/// after it was created.
pub async fn answer(app: &App, batch: StreamEvent) -> DynamoDbEventResponse {
    let handled = batch
        .records
        .iter()
        .filter(|r| r.event_name == "INSERT")
        .filter_map(|r| Some((r, app.store.refund_of_image(r.change.new_image.clone())?)))
        .map(|(record, (tenant, id))| async move {
            match refunds::answer(app, &tenant, &id, app.clock.now()).await {
                Ok(_) => None,
                Err(e) => {
                    tracing::error!(refund_id = %id, error = %e.message, "refund not answered");
                    Some(record.change.sequence_number.clone())
                }
            }
        });
    crate::stream_failures(futures::future::join_all(handled).await.into_iter().flatten())
}

/// Scheduled (EventBridge, every minute): answers the refunds still pending
/// a minute after they were created (`paynectra::service::refunds::sweep`),
/// for at most [`REFUND_SWEEP_BUDGET`]. Returns the run's counts.
pub async fn sweep(app: &App, now: i64) -> Result<serde_json::Value, lambda_runtime::Error> {
    let sweep = refunds::sweep(app, now, SweepBudget::within(REFUND_SWEEP_BUDGET)).await?;
    Ok(serde_json::to_value(sweep)?)
}

/// The refund sweep's time budget: under its 60 s timeout, with room for
/// the pages in flight to finish.
pub const REFUND_SWEEP_BUDGET: std::time::Duration = std::time::Duration::from_secs(45);
