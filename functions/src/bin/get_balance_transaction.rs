//! GET /v1/balance_transactions/{id}: retrieves a balance transaction.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::balance::get).await
}
