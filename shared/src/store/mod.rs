//! DynamoDB access: one table, single-table design. Items are mapped to and
//! from domain types here and nowhere else; key formats live in [`keys`].
//! One file per resource, beside the machinery they share: the error type
//! ([`error`]), items ([`item`]), writes and transactions ([`transact`]) and
//! the list engine ([`list`]).

mod accounts;
mod balance;
mod client;
mod customers;
mod deliveries;
mod error;
mod events;
mod idempotency;
mod item;
mod keys;
mod list;
mod payment_methods;
mod payments;
mod payouts;
mod receipts;
mod refunds;
pub mod schema;
mod sweeps;
mod transact;
mod webhook_endpoints;

pub use balance::{
    balance_items, Applied, BalanceTransactionFilter, DueBalance, MAX_APPLIED_AT_ONCE, MAX_TRANSACTION_ITEMS,
};
pub use client::{dynamodb_client, sdk_config, Store, WarmUp};
pub use deliveries::{due_delivery, DueRetry};
pub use error::StoreError;
pub use idempotency::{Completion, IdempotencyRecord, IdempotencyState};
pub use keys::{partition_examples, PartitionExample, SweepIndex, AUTOPAY_SHARDS, BALANCE_SUBSHARDS};
pub use list::ReadStats;
pub use payments::DueHold;
pub use payouts::{AutoPayout, DuePayout, PayoutFilter};
pub use receipts::Recorded;
pub use refunds::{DueRefund, RefundFilter};
pub use sweeps::{DueEntry, DuePage, PageStart, SweepPartition};
pub use transact::Writes;
