//! POST /v1/customers/{id}: updates a customer; metadata merges key by key.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::customers::update).await
}
