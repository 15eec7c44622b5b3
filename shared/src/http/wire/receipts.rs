//! Receipts on the wire: the receipt object and its list.

use serde::Serialize;

use super::list::{list_filter, ListRequest};
use crate::domain::{PaymentId, Receipt, ReceiptId, ReceiptKind, ReceiptStatus};

/// The receipt object: the message a customer was sent (or, in test mode,
/// would have been) and what became of it.
#[derive(Debug, Serialize)]
pub struct ReceiptObject<'a> {
    pub id: &'a str,
    pub object: &'static str,
    /// `payment` (it succeeded) or `refund` (a refund of it succeeded).
    pub kind: ReceiptKind,
    pub payment_id: &'a str,
    pub refund_id: Option<&'a str>,
    /// The event that caused it.
    pub event_id: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    /// The message as plain text.
    pub body: &'a str,
    pub amount: i64,
    pub currency: &'static str,
    pub receipt_url: Option<&'a str>,
    /// `not_sent` (test mode: nothing is ever sent), `sending`, `sent` or
    /// `failed`.
    pub status: ReceiptStatus,
    pub failure_message: Option<&'a str>,
    pub created: i64,
    pub livemode: bool,
}

impl<'a> From<&'a Receipt> for ReceiptObject<'a> {
    fn from(r: &'a Receipt) -> Self {
        Self {
            id: r.id.as_str(),
            object: "receipt",
            kind: r.kind,
            payment_id: r.payment_id.as_str(),
            refund_id: r.refund_id.as_ref().map(|id| id.as_str()),
            event_id: r.event_id.as_str(),
            to: r.to.as_str(),
            subject: &r.subject,
            body: &r.body,
            amount: r.amount.get(),
            currency: r.currency.code(),
            receipt_url: r.receipt_url.as_deref(),
            status: r.status,
            failure_message: r.failure_message.as_deref(),
            created: r.created,
            livemode: r.mode.livemode(),
        }
    }
}

/// `GET /v1/receipts`: the outbox, newest first; optionally one payment's.
pub type ListReceiptsRequest = ListRequest<ReceiptsFilter, ReceiptId>;

list_filter!(ReceiptsFilter {
    payment_id: PaymentId = "payment_id",
});
