//! The payments endpoints' handlers, one function each; a function's binary
//! (`src/bin/<function>.rs`) is one line over it.

use paynectra::{
    domain::{CancelPayment, CapturePayment, ConfirmPayment, KeyKind, NewPayment, PaymentId, PaymentUpdate},
    http::{
        body, endpoint, idempotent, path_id, serve, serve_with,
        wire::{ListPaymentsRequest, PaymentObject},
        Access, ApiError, Handled, Reply, Request, RequestCtx, Run,
    },
    service::{payments, sweeps::SweepBudget, App},
};

/// POST /v1/payments
pub async fn create(app: &App, req: Request) -> Handled {
    endpoint::create(app, req, async |ctx, new: NewPayment, run| {
        payments::create(app, ctx, new, run).await
    })
    .await
}

/// GET /v1/payments/{id}
pub async fn get(app: &App, req: Request) -> Handled {
    serve(app, req, |ctx, req| async move {
        let id: PaymentId = path_id(&req)?;
        // An expired hold is cancelled here if the scheduled sweep has not
        // got to it yet.
        let payment = payments::load_payment(app, &ctx.tenant, &id, ctx.now).await?;
        Reply::ok(&PaymentObject::with_secret(&payment))
    })
    .await
}

/// POST /v1/payments/{id}
pub async fn update(app: &App, req: Request) -> Handled {
    let update = async |ctx: &RequestCtx, id: &PaymentId, update: PaymentUpdate, run: &Run| {
        payments::update(app, ctx, id, update, run).await
    };
    endpoint::act(app, req, update).await
}

/// GET /v1/payments
pub async fn list(app: &App, req: Request) -> Handled {
    let load = async |ctx: &RequestCtx, list: ListPaymentsRequest| {
        app.store
            .list_payments(&ctx.tenant, &list.payment_filter(), &list.window)
            .await
    };
    endpoint::list(app, req, "/v1/payments", load).await
}

/// POST /v1/payments/{id}/confirm
pub async fn confirm(app: &App, req: Request) -> Handled {
    serve_with(app, Access::Publishable, req, |ctx, req| async move {
        let id: PaymentId = path_id(&req)?;
        let confirm: ConfirmPayment = body(&req)?;
        if ctx.key_kind == KeyKind::Publishable && confirm.client_secret.is_none() {
            return Err(ApiError::invalid(
                "parameter_missing",
                "Missing required param: client_secret (a publishable key confirms only with the payment's client secret).",
                Some("client_secret"),
            ));
        }
        idempotent(app, &ctx, &req, async |run| payments::confirm(app, &ctx, &id, confirm, run).await).await
    })
    .await
}

/// POST /v1/payments/{id}/capture
pub async fn capture(app: &App, req: Request) -> Handled {
    let capture = async |ctx: &RequestCtx, id: &PaymentId, capture: CapturePayment, run: &Run| {
        payments::capture(app, ctx, id, capture, run).await
    };
    endpoint::act(app, req, capture).await
}

/// POST /v1/payments/{id}/cancel
pub async fn cancel(app: &App, req: Request) -> Handled {
    let cancel = async |ctx: &RequestCtx, id: &PaymentId, cancel: CancelPayment, run: &Run| {
        payments::cancel(app, ctx, id, cancel, run).await
    };
    endpoint::act(app, req, cancel).await
}

/// Scheduled (EventBridge, every 15 minutes): cancels manual-capture holds
/// older than 7 days (`paynectra::service::payments::expire_holds`), for
/// at most [`HOLD_SWEEP_BUDGET`] (what is left waits for the next run).
/// Returns `{"due", "cancelled", ...}` (the run's counts).
pub async fn expire_holds(app: &App, now: i64) -> Result<serde_json::Value, lambda_runtime::Error> {
    let sweep = payments::expire_holds(app, now, SweepBudget::within(HOLD_SWEEP_BUDGET)).await?;
    Ok(serde_json::to_value(sweep)?)
}

/// The hold sweep's time budget: under its 60 s timeout, with room for the
/// pages in flight to finish.
pub const HOLD_SWEEP_BUDGET: std::time::Duration = std::time::Duration::from_secs(45);
