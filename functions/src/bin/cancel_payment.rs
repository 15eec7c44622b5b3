//! POST /v1/payments/{id}/cancel: cancels a payment that was not captured.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::payments::cancel).await
}
