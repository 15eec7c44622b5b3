//! GET /v1/receipts: the receipts sent (in test mode, the outbox), newest first; optionally one payment's.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::receipts::list).await
}
