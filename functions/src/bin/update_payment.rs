//! POST /v1/payments/{id}: updates a payment's description, metadata and receipt email.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::payments::update).await
}
