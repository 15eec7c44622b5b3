//! The integration tests, in one binary (one link of the AWS SDK rather than
//! one per file): a module per resource over real HTTP against DynamoDB
//! Local, the handler tests from the `events/` fixtures, and the template's
//! checks. The fault test (it kills a DynamoDB Local of its own) and the
//! throttling tests (timing under a throttle) are binaries of their own, so
//! that the other tests running beside them cannot skew their timings.

mod auth;
mod bad_input;
mod balance;
mod customers;
mod events;
mod handlers;
mod helpers;
mod iam;
mod idempotency;
mod lifecycle;
mod list_payments;
mod payment_methods;
mod payments;
mod payouts;
mod receipts;
mod refund_states;
mod refunds;
mod sweeps;
mod template;
mod warm_up;
mod webhooks;
