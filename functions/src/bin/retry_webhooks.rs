//! Scheduled (EventBridge): retries due webhook deliveries.

#![recursion_limit = "256"]

use lambda_runtime::{service_fn, Error, LambdaEvent};
use paynectra::{delivery::Deliverer, App};

#[tokio::main]
async fn main() -> Result<(), Error> {
    paynectra::telemetry::init();
    let app: &'static App = Box::leak(Box::new(App::from_env().await?));
    paynectra::lambda::warm_up(&app.store).await;
    let deliverer: &'static Deliverer = Box::leak(Box::new(Deliverer::new()?));
    lambda_runtime::run(service_fn(move |_: LambdaEvent<serde_json::Value>| async move {
        paynectra_functions::retry_webhooks::handler(app, deliverer, paynectra::now_unix()).await
    }))
    .await
}
