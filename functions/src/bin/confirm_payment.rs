//! POST /v1/payments/{id}/confirm: confirms a payment with a card (secret key, or publishable key with the client secret).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::payments::confirm).await
}
