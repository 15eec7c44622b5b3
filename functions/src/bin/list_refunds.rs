//! GET /v1/refunds: lists refunds (of one payment with payment_id), newest first.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::refunds::list).await
}
