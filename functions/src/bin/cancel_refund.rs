//! POST /v1/refunds/{id}/cancel: cancels a pending refund.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::refunds::cancel).await
}
