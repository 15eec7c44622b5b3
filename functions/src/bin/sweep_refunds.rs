//! Scheduled (EventBridge): answers refunds still pending a minute after they were created.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    paynectra::lambda::run_schedule(paynectra_functions::refunds::sweep).await
}
