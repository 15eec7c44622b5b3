//! From the table stream: the simulated card network answers each new refund, and the balance writer applies each new balance transaction.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    paynectra::lambda::run_batch(paynectra_functions::settle).await
}
