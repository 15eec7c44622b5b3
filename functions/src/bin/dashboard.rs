//! GET /dashboard and its assets: the merchant dashboard (no table access).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_static(paynectra_functions::dashboard::serve).await
}
