//! POST /v1/customers/{id}/payment_methods: attaches a payment method to a customer.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::payment_methods::attach).await
}
