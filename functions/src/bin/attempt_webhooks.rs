//! Webhook attempts from the delivery queue (SQS FIFO).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    paynectra::lambda::run_batch(paynectra_functions::deliveries::attempt).await
}
