//! GET /v1/balance: the account's balance, available and pending, per currency.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::balance::balance).await
}
