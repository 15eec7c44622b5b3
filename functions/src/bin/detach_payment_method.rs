//! DELETE /v1/customers/{id}/payment_methods/{payment_method_id}: detaches a payment method.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::payment_methods::detach).await
}
