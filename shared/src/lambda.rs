//! What every function's `main.rs` does: logging, the app built once per
//! execution environment, then the runtime loop.

use std::future::Future;

use lambda_http::{service_fn, Body, Request, Response};

use crate::{App, Store};

/// Warms the DynamoDB connection during init ([`Store::warm_up`]), unless
/// `PAYNECTRA_WARM_DYNAMODB=0` (the benchmark's switch to show its effect).
/// Bounded so a slow or absent DynamoDB cannot stretch the init phase by
/// more than 500 ms.
pub async fn warm_up(store: &Store) {
    if std::env::var("PAYNECTRA_WARM_DYNAMODB").is_ok_and(|v| v == "0") {
        return;
    }
    store.warm_up(std::time::Duration::from_millis(500)).await;
}

/// Runs an HTTP handler on Lambda (API Gateway REST proxy events). The app
/// (and its DynamoDB client and connection pool) is built once, during the
/// init phase, and reused by every invocation; its connection is warmed
/// during init too ([`warm_up`]).
pub async fn run_http<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(&'static App, Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, lambda_http::Error>> + Send,
{
    crate::telemetry::init();
    let app: &'static App = Box::leak(Box::new(App::from_env().await?));
    warm_up(&app.store).await;
    lambda_http::run(service_fn(|req| handler(app, req))).await
}
