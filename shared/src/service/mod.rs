//! The rules that combine domain decisions with store calls: each reads,
//! lets the domain decide, and writes conditioned on what it read. One
//! file per resource, as in every layer.

pub mod accounts;
mod app;
pub mod balance;
mod clock;
pub mod customers;
pub mod deliveries;
#[cfg(feature = "usage-plans")]
pub mod limits;
pub mod mail;
pub mod payment_methods;
pub mod payments;
pub mod payouts;
pub mod queue;
pub mod receipts;
pub mod refunds;
pub mod secrets;
pub mod sweeps;
pub mod webhook_endpoints;

pub use app::App;
pub use clock::{now_unix, Clock};
