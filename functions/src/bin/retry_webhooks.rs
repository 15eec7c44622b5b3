//! Scheduled (EventBridge): enqueues due webhook retries.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    paynectra::lambda::run_schedule(paynectra_functions::deliveries::retry).await
}
