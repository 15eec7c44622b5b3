//! GET /v1/payments/{id}: retrieves a payment.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::payments::get).await
}
