//! Scheduled (EventBridge): the simulated bank moves payouts on (in transit, then paid or failed).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    paynectra::lambda::run_schedule(paynectra_functions::payouts::sweep).await
}
