//! Webhook delivery from the table stream: records deliveries and enqueues them.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    paynectra::lambda::run_batch(paynectra_functions::deliveries::deliver).await
}
