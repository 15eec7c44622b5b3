//! API Gateway Lambda authorizer.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use paynectra::Store;

#[tokio::main]
async fn main() -> Result<(), Error> {
    paynectra::telemetry::init();
    let store: &'static Store = Box::leak(Box::new(Store::from_env().await?));
    paynectra::lambda::warm_up(store).await;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<paynectra_functions::authorizer::Event>| async move {
            paynectra_functions::authorizer::handler(store, event.payload).await
        },
    ))
    .await
}
