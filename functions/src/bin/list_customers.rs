//! GET /v1/customers: lists customers (with one email, if given), newest first.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::customers::list).await
}
