//! POST /v1/refunds: refunds a captured payment, in full or in part, never beyond what remains.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::refunds::create).await
}
