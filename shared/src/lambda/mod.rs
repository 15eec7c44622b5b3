//! Each trigger's entry: what every function's `main.rs` does in one line.
//! Logging, the app built once per execution environment (its DynamoDB
//! connection warmed during init), then the runtime loop.

pub mod telemetry;

use std::future::Future;

use lambda_http::{service_fn, Body, Request, Response};
use lambda_runtime::LambdaEvent;
use serde::{de::DeserializeOwned, Serialize};

use crate::{service::App, store::Store};

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
    let app = app().await?;
    lambda_http::run(service_fn(|req| handler(app, req))).await
}

/// Runs an HTTP handler that needs no app (static pages and their assets):
/// logging and the runtime loop, no DynamoDB client, no secrets.
pub async fn run_static<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, lambda_http::Error>> + Send,
{
    telemetry::init();
    lambda_http::run(service_fn(handler)).await
}

/// The app of a function, built once during init.
async fn app() -> Result<&'static App, lambda_runtime::Error> {
    telemetry::init();
    let app: &'static App = Box::leak(Box::new(App::from_env().await?));
    warm_up(&app.store).await;
    Ok(app)
}

/// Runs a handler of a non-HTTP event on Lambda: the table's stream, a
/// queue, the authorizer's request, any payload `E` answered with `O`.
pub async fn run_event<E, O, F, Fut>(handler: F) -> Result<(), lambda_runtime::Error>
where
    E: DeserializeOwned + Send + 'static,
    O: Serialize + Send + 'static,
    F: Fn(&'static App, E) -> Fut,
    Fut: Future<Output = Result<O, lambda_runtime::Error>> + Send,
{
    let app = app().await?;
    lambda_runtime::run(lambda_runtime::service_fn(|event: LambdaEvent<E>| {
        handler(app, event.payload)
    }))
    .await
}

/// Runs a batch consumer: an event source mapping's batches (DynamoDB
/// Streams records, SQS messages), whose failures are reported item by item
/// in the response `R`, never as an invocation error.
pub async fn run_batch<B, R, F, Fut>(handler: F) -> Result<(), lambda_runtime::Error>
where
    B: DeserializeOwned + Send + 'static,
    R: Serialize + Send + 'static,
    F: Fn(&'static App, B) -> Fut,
    Fut: Future<Output = R> + Send,
{
    run_event(|app, batch| {
        let answered = handler(app, batch);
        async move { Ok(answered.await) }
    })
    .await
}

/// Runs a scheduled function (EventBridge): `handler` gets the time of the
/// run from the app's clock.
pub async fn run_schedule<F, Fut>(handler: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn(&'static App, i64) -> Fut,
    Fut: Future<Output = Result<serde_json::Value, lambda_runtime::Error>> + Send,
{
    run_event(|app, _: serde_json::Value| handler(app, app.clock.now())).await
}
