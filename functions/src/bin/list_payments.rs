//! GET /v1/payments: lists payments, newest first, with cursors and filters.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::payments::list).await
}
