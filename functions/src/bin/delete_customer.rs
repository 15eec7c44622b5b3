//! DELETE /v1/customers/{id}: deletes a customer (its payments keep their customer_id).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paynectra::lambda::run_http(paynectra_functions::customers::delete).await
}
