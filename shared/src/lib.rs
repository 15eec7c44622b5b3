//! Paynectra's common crate, in layers. Dependencies point inward:
//!
//! - [`domain`]: types that only hold valid values, state machines and
//!   their refusals; depends on nothing else here.
//! - [`store`]: DynamoDB, the only place that builds keys and items.
//! - [`service`]: the rules that combine domain decisions with store calls
//!   (payment transitions, the refund retry loop, webhook delivery).
//! - [`http`]: the API's edge: requests into commands, the one error
//!   shape, idempotent POSTs, list replies, wire objects.
//! - [`lambda`]: each trigger's entry (`run_http`, `run_batch`,
//!   `run_schedule`), logging.

pub mod domain;
pub mod http;
pub mod lambda;
pub mod service;
pub mod store;
