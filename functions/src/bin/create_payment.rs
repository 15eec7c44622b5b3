//! POST /v1/payments: creates a payment.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::payments::create).await
}
