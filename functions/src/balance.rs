//! The balance transactions endpoints' handlers; a function's binary
//! (`src/bin/<function>.rs`) is one line over it.

use paynectra::{
    domain::TxnId,
    http::{
        endpoint,
        wire::{BalanceTransactionObject, ListBalanceTransactionsRequest},
        Handled, Reply, Request, RequestCtx,
    },
    service::App,
};

/// GET /v1/balance_transactions/{id}
pub async fn get(app: &App, req: Request) -> Handled {
    let load = async |ctx: &RequestCtx, id: &TxnId| app.store.get_balance_transaction(&ctx.tenant, id).await;
    endpoint::retrieve(app, req, load, |_, txn| {
        Reply::ok(&BalanceTransactionObject::from(&txn))
    })
    .await
}

/// GET /v1/balance_transactions
pub async fn list(app: &App, req: Request) -> Handled {
    let load = async |ctx: &RequestCtx, list: ListBalanceTransactionsRequest| {
        app.store
            .list_balance_transactions(&ctx.tenant, &list.balance_filter(), &list.window)
            .await
    };
    endpoint::list(app, req, "/v1/balance_transactions", load).await
}
