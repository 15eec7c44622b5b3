//! What every function's `main.rs` does: logging, the app built once per
//! execution environment, then the runtime loop.

use std::future::Future;

use lambda_http::{service_fn, Body, Request, Response};

use crate::App;

/// Runs an HTTP handler on Lambda (API Gateway REST proxy events). The app
/// (and its DynamoDB client and connection pool) is built once, during the
/// init phase, and reused by every invocation.
pub async fn run_http<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(&'static App, Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, lambda_http::Error>> + Send,
{
    crate::telemetry::init();
    let app: &'static App = Box::leak(Box::new(App::from_env().await?));
    lambda_http::run(service_fn(|req| handler(app, req))).await
}
