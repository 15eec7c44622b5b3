//! GET /v1/balance_transactions: lists balance transactions.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::balance::list).await
}
