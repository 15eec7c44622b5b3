//! GET /v1/payouts/{id}: retrieves a payout.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::payouts::get).await
}
