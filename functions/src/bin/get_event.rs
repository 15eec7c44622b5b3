//! GET /v1/events/{id}: retrieves an event.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::events::get).await
}
