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
        ("create_payment", handler(payments::create)),
        ("get_payment", handler(payments::get)),
        ("list_payments", handler(payments::list)),
        ("update_payment", handler(payments::update)),
        ("list_receipts", handler(receipts::list)),
        ("hosted_page", handler(hosted_page::handler)),
        ("dashboard", handler(dashboard::handler)),
        ("get_payment_method", handler(payment_methods::get)),
        ("get_event", handler(events::get)),
        ("list_events", handler(events::list)),
        ("create_webhook_endpoint", handler(webhook_endpoints::create)),
        ("list_webhook_endpoints", handler(webhook_endpoints::list)),
        ("delete_webhook_endpoint", handler(webhook_endpoints::delete)),
        ("confirm_payment", handler(payments::confirm)),
        ("capture_payment", handler(payments::capture)),
        ("cancel_payment", handler(payments::cancel)),
        ("create_payment_method", handler(payment_methods::create)),
        ("attach_payment_method", handler(payment_methods::attach)),
        ("list_payment_methods", handler(payment_methods::list)),
        ("detach_payment_method", handler(payment_methods::detach)),
        ("create_customer", handler(customers::create)),
        ("get_customer", handler(customers::get)),
        ("update_customer", handler(customers::update)),
        ("delete_customer", handler(customers::delete)),
        ("list_customers", handler(customers::list)),
        ("create_refund", handler(refunds::create)),
        ("get_refund", handler(refunds::get)),
        ("list_refunds", handler(refunds::list)),
        ("update_refund", handler(refunds::update)),
        ("cancel_refund", handler(refunds::cancel)),
        ("expire_refund", handler(refunds::expire)),
        ("get_balance", handler(balance::balance)),
        ("get_volume", handler(balance::volume)),
        ("create_payout", handler(payouts::create)),
        ("get_payout", handler(payouts::get)),
        ("list_payouts", handler(payouts::list)),
        ("cancel_payout", handler(payouts::cancel)),
        ("get_balance_transaction", handler(balance::get)),
        ("list_balance_transactions", handler(balance::list)),
    ])
}

/// The authorizer functions of the workspace, by binary name.
pub(crate) const AUTHORIZERS: [&str; 1] = ["authorizer"];

/// The functions no route invokes, by binary name, and what runs their
/// handler in the local stack.
pub(crate) const BACKGROUND: [(&str, &str); 9] = [
    ("deliver_webhooks", "stream::follow, on DynamoDB Local's stream"),
    ("answer_refunds", "stream::follow, on DynamoDB Local's stream"),
    ("sweep_refunds", "stream::follow, beside the retry sweep"),
    ("sweep_balances", "stream::follow, beside the retry sweep"),
    ("sweep_payouts", "stream::follow, beside the retry sweep"),
    ("pay_out_daily", "stream::follow, beside the retry sweep"),
    ("attempt_webhooks", "queue::map, on the delivery queue in moto"),
    ("retry_webhooks", "stream::follow, every second"),
    (
        "expire_holds",
        "not scheduled locally: expired holds are cancelled when read",
    ),
];

/// Every function the local stack knows, by binary name: each function of
/// `template.yaml` must be one of them (a test checks it).
pub fn function_names() -> std::collections::BTreeSet<&'static str> {
    http_functions()
        .into_keys()
        .chain(AUTHORIZERS)
        .chain(BACKGROUND.iter().map(|(name, _)| *name))
        .collect()
}
