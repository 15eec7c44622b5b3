//! Scheduled (EventBridge): cancels manual-capture holds older than 7 days.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use paynectra::App;

#[tokio::main]
async fn main() -> Result<(), Error> {
    paynectra::telemetry::init();
    let app: &'static App = Box::leak(Box::new(App::from_env().await?));
    paynectra::lambda::warm_up(&app.store).await;
    lambda_runtime::run(service_fn(move |_: LambdaEvent<serde_json::Value>| async move {
        paynectra_functions::expire_holds::sweep(app, paynectra::now_unix()).await
    }))
    .await
}
