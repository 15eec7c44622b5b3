//! GET /v1/events: lists the last 30 days of events, newest first, optionally of one type or group (payment.*).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::events::list).await
}
