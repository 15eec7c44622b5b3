//! GET /v1/payment_methods/{id}

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::payment_methods::get).await
}
