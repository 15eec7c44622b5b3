//! The payouts endpoints' handlers, one function each, and the simulated
//! bank's sweep; a function's binary (`src/bin/<function>.rs`) is one line
//! over it.

use paynectra::{
    domain::{NewPayout, PayoutAction, PayoutId},
    http::{
        endpoint,
        wire::{ListPayoutsRequest, PayoutObject},
        Handled, Reply, Request, RequestCtx, Run,
    },
    service::{payouts, sweeps::SweepBudget, App},
};

/// POST /v1/payouts
pub async fn create(app: &App, req: Request) -> Handled {
    endpoint::create(app, req, async |ctx, new: NewPayout, run| {
        payouts::create(app, ctx, &new, run).await
    })
    .await
}

/// GET /v1/payouts/{id}
pub async fn get(app: &App, req: Request) -> Handled {
    let load = async |ctx: &RequestCtx, id: &PayoutId| app.store.get_payout(&ctx.tenant, id).await;
    endpoint::retrieve(app, req, load, |_, payout| Reply::ok(&PayoutObject::from(&payout))).await
}

/// GET /v1/payouts
pub async fn list(app: &App, req: Request) -> Handled {
    let load = async |ctx: &RequestCtx, list: ListPayoutsRequest| {
        app.store
            .list_payouts(&ctx.tenant, &list.payout_filter(), &list.window)
            .await
    };
    endpoint::list(app, req, "/v1/payouts", load).await
}

/// POST /v1/payouts/{id}/cancel
pub async fn cancel(app: &App, req: Request) -> Handled {
    let cancel =
        async |ctx: &RequestCtx, id: &PayoutId, _: PayoutAction, run: &Run| payouts::cancel(app, ctx, id, run).await;
    endpoint::act(app, req, cancel).await
}

/// Scheduled (EventBridge, every minute): the simulated bank moves each
/// payout whose next move is due (`paynectra::service::payouts::sweep`),
/// for at most [`PAYOUT_SWEEP_BUDGET`]. Returns the run's counts.
pub async fn sweep(app: &App, now: i64) -> Result<serde_json::Value, lambda_runtime::Error> {
    let sweep = payouts::sweep(app, now, SweepBudget::within(PAYOUT_SWEEP_BUDGET)).await?;
    Ok(serde_json::to_value(sweep)?)
}

/// The payout sweep's time budget: under its 60 s timeout.
pub const PAYOUT_SWEEP_BUDGET: std::time::Duration = std::time::Duration::from_secs(45);

/// Scheduled (EventBridge, hourly): pays out each account with a daily
/// payout schedule once per UTC day
/// (`paynectra::service::payouts::pay_out_automatically`). Returns the
/// run's counts.
pub async fn pay_out_daily(app: &App, now: i64) -> Result<serde_json::Value, lambda_runtime::Error> {
    let run = payouts::pay_out_automatically(app, now).await?;
    Ok(serde_json::to_value(run)?)
}
