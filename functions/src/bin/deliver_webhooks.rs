//! Webhook delivery from the table stream.

#![recursion_limit = "256"]

use lambda_runtime::{service_fn, Error, LambdaEvent};
use paynectra::{delivery::Deliverer, App};

#[tokio::main]
async fn main() -> Result<(), Error> {
    paynectra::telemetry::init();
    let app: &'static App = Box::leak(Box::new(App::from_env().await?));
    paynectra::lambda::warm_up(&app.store).await;
    let deliverer: &'static Deliverer = Box::leak(Box::new(Deliverer::new()?));
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<aws_lambda_events::dynamodb::Event>| async move {
            Ok::<_, Error>(paynectra_functions::deliver_webhooks::handler(app, deliverer, event.payload).await)
        },
    ))
    .await
}
