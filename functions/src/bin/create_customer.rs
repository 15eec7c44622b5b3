//! POST /v1/customers: creates a customer.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::customers::create).await
}
