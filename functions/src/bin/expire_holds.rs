//! Scheduled (EventBridge): cancels manual-capture holds older than 7 days.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    paynectra::lambda::run_schedule(paynectra_functions::payments::expire_holds).await
}
