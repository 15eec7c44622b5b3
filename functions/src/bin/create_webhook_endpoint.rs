//! POST /v1/webhook_endpoints: registers a webhook endpoint; its signing secret is shown once.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::webhook_endpoints::create).await
}
