//! GET /v1/payouts: lists payouts.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::payouts::list).await
}
