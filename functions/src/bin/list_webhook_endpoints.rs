//! GET /v1/webhook_endpoints: lists webhook endpoints (never their secrets).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::webhook_endpoints::list).await
}
