//! GET /v1/refunds/{id}: retrieves a refund.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::refunds::get).await
}
