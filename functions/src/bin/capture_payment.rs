//! POST /v1/payments/{id}/capture: captures a held payment, in full or in part.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::payments::capture).await
}
