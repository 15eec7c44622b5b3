//! The balance's and the balance transactions' handlers (the endpoints, the
//! balance writer on the table's stream, the balance sweep); a function's
//! binary (`src/bin/<function>.rs`) is one line over it.

use aws_lambda_events::{dynamodb::Event as StreamEvent, streams::DynamoDbEventResponse};
use paynectra::{
    domain::TxnId,
    http::{
        endpoint,
        query::query,
        serve,
        wire::{
            BalanceObject, BalanceRequest, BalanceTransactionObject, ListBalanceTransactionsRequest, VolumeRequest,
        },
        Handled, Reply, Request, RequestCtx,
    },
    service::{balance, sweeps::SweepBudget, App},
};

/// GET /v1/balance
pub async fn balance(app: &App, req: Request) -> Handled {
    serve(app, req, |ctx, req| async move {
        let BalanceRequest = query(&req)?;
        let balance = balance::balance(app, &ctx.tenant, ctx.now).await?;
        Reply::ok(&BalanceObject::from(&balance))
    })
    .await
}

/// GET /v1/reporting/volume
pub async fn volume(app: &App, req: Request) -> Handled {
    serve(app, req, |ctx, req| async move {
        let request: VolumeRequest = query(&req)?;
        Reply::ok(&balance::volume(app, &ctx.tenant, &request, ctx.now).await?)
    })
    .await
}

/// GET /v1/balance_transactions/{id}
pub async fn get(app: &App, req: Request) -> Handled {
    let load = async |ctx: &RequestCtx, id: &TxnId| {
        let txn = app.store.get_balance_transaction(&ctx.tenant, id).await?;
        Ok(txn.map(|t| t.as_of(ctx.now)))
    };
    endpoint::retrieve(app, req, load, |_, txn| {
        Reply::ok(&BalanceTransactionObject::from(&txn))
    })
    .await
}

/// GET /v1/balance_transactions
pub async fn list(app: &App, req: Request) -> Handled {
    let load = async |ctx: &RequestCtx, list: ListBalanceTransactionsRequest| {
        balance::transactions(app, &ctx.tenant, &list, ctx.now).await
    };
    endpoint::list(app, req, "/v1/balance_transactions", load).await
}

/// The balance writer, from the table's stream (in the `answer_refunds`
/// function's mapping, filtered to new balance transactions: a stream
/// shard allows two readers, and the webhook fan-out is the other): adds
/// each to its balance, exactly once. A record it could not apply is
/// reported failed, so the mapping retries it.
pub async fn apply(app: &App, batch: &StreamEvent) -> DynamoDbEventResponse {
    let mut sequence = std::collections::HashMap::new();
    let txns: Vec<_> = batch
        .records
        .iter()
        .filter(|r| r.event_name == "INSERT")
        .filter_map(|r| {
            let (tenant, txn) = app.store.balance_transaction_of_image(r.change.new_image.clone())?;
            sequence.insert(txn.id.clone(), r.change.sequence_number.clone());
            Some((tenant, txn))
        })
        .collect();
    if txns.is_empty() {
        return DynamoDbEventResponse::default();
    }
    let failed = balance::apply(app, txns, app.clock.now()).await;
    crate::stream_failures(failed.iter().filter_map(|id| sequence.get(id).cloned()))
}

/// Scheduled (EventBridge, every minute): moves the funds that have come
/// due to available (`paynectra::service::balance::sweep`), for at most
/// [`BALANCE_SWEEP_BUDGET`]. Returns the run's counts.
pub async fn sweep(app: &App, now: i64) -> Result<serde_json::Value, lambda_runtime::Error> {
    let sweep = balance::sweep(app, now, SweepBudget::within(BALANCE_SWEEP_BUDGET)).await?;
    Ok(serde_json::to_value(sweep)?)
}

/// The balance sweep's time budget: under its 60 s timeout.
pub const BALANCE_SWEEP_BUDGET: std::time::Duration = std::time::Duration::from_secs(45);
