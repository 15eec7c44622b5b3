//! GET /pay/{payment_id}: the hosted payment page, and paynectra.js.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::hosted_page::handler).await
}
