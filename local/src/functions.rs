//! The workspace's functions, by binary name, as the template names them.

use std::{collections::HashMap, future::Future, pin::Pin, sync::Arc};

use lambda_http::{Body, Request, Response};
use paynectra::service::App;
use paynectra_functions::*;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// An HTTP function's handler, as its `main` hands it to `lambda_http::run`.
pub(crate) type HttpHandler =
    Arc<dyn Fn(&'static App, Request) -> BoxFuture<Result<Response<Body>, lambda_http::Error>> + Send + Sync>;

fn handler<F, Fut>(f: F) -> HttpHandler
where
    F: Fn(&'static App, Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Response<Body>, lambda_http::Error>> + Send + 'static,
{
    Arc::new(move |app, req| Box::pin(f(app, req)))
}

/// Every HTTP function of the workspace, by binary name. A route in
/// `template.yaml` whose function is missing here stops the server at start.
pub(crate) fn http_functions() -> HashMap<&'static str, HttpHandler> {
    HashMap::from([
        ("create_payment", handler(create_payment::handler)),
        ("get_payment", handler(get_payment::handler)),
        ("list_payments", handler(list_payments::handler)),
        ("hosted_page", handler(hosted_page::handler)),
        ("get_event", handler(get_event::handler)),
        ("list_events", handler(list_events::handler)),
        ("create_webhook_endpoint", handler(create_webhook_endpoint::handler)),
        ("list_webhook_endpoints", handler(list_webhook_endpoints::handler)),
        ("delete_webhook_endpoint", handler(delete_webhook_endpoint::handler)),
        ("confirm_payment", handler(confirm_payment::handler)),
        ("capture_payment", handler(capture_payment::handler)),
        ("cancel_payment", handler(cancel_payment::handler)),
        ("create_payment_method", handler(create_payment_method::handler)),
        ("attach_payment_method", handler(attach_payment_method::handler)),
        ("list_payment_methods", handler(list_payment_methods::handler)),
        ("detach_payment_method", handler(detach_payment_method::handler)),
        ("create_customer", handler(create_customer::handler)),
        ("get_customer", handler(get_customer::handler)),
        ("update_customer", handler(update_customer::handler)),
        ("delete_customer", handler(delete_customer::handler)),
        ("list_customers", handler(list_customers::handler)),
        ("create_refund", handler(create_refund::handler)),
        ("get_refund", handler(get_refund::handler)),
        ("list_refunds", handler(list_refunds::handler)),
    ])
}

/// The authorizer functions of the workspace, by binary name.
pub(crate) const AUTHORIZERS: [&str; 1] = ["authorizer"];
