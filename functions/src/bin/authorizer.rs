//! API Gateway Lambda authorizer.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    paynectra::lambda::run_event(paynectra_functions::authorizer::handler).await
}
