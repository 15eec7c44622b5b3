//! The simulated card network, from the table stream: answers each new refund.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    paynectra::lambda::run_batch(paynectra_functions::refunds::answer).await
}
