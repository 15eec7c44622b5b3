//! DELETE /v1/webhook_endpoints/{id}: deletes a webhook endpoint.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::webhook_endpoints::delete).await
}
