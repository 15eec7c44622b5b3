//! GET /v1/reporting/volume: the gross volume (captured, refunded) per day.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::balance::volume).await
}
