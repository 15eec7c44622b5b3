//! POST /v1/payouts/{id}/cancel: cancels a pending payout.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::payouts::cancel).await
}
