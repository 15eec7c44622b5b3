//! POST /v1/test_helpers/refunds/{id}/expire (test mode): the simulated network answers a pending refund now.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::refunds::expire).await
}
