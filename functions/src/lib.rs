//! One Lambda handler per endpoint, each in the module named after its
//! function (and binary, `src/bin/<name>.rs`, whose `main` is one line).
//! The handlers hold only what differs between endpoints: parsing the
//! request into a command, and calling the service.

pub mod attach_payment_method;
pub mod authorizer;
pub mod cancel_payment;
pub mod capture_payment;
pub mod confirm_payment;
pub mod create_customer;
pub mod create_payment;
pub mod create_payment_method;
pub mod create_refund;
pub mod create_webhook_endpoint;
pub mod delete_customer;
pub mod delete_webhook_endpoint;
pub mod deliver_webhooks;
pub mod detach_payment_method;
pub mod expire_holds;
pub mod get_customer;
pub mod get_event;
pub mod get_payment;
pub mod get_refund;
pub mod hosted_page;
pub mod list_customers;
pub mod list_events;
pub mod list_payment_methods;
pub mod list_payments;
pub mod list_refunds;
pub mod list_webhook_endpoints;
pub mod retry_webhooks;
pub mod update_customer;
