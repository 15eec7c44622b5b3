//! GET /v1/customers/{id}: retrieves a customer.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::customers::get).await
}
