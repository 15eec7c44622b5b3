//! Scheduled (EventBridge): moves the funds that have come due from pending to available.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    paynectra::lambda::run_schedule(paynectra_functions::balance::sweep).await
}
