//! POST /v1/payouts: pays out part of the available balance.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::payouts::create).await
}
