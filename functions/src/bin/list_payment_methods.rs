//! GET /v1/customers/{id}/payment_methods: lists a customer's payment methods.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::payment_methods::list).await
}
