//! POST /v1/payment_methods: tokenises a card (secret or publishable key).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::payment_methods::create).await
}
