//! POST /v1/refunds/{id}: updates a refund's metadata.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::refunds::update).await
}
