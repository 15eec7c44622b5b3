//! Wire DTOs: what the API accepts and returns, one file per resource.
//! Requests turn into domain commands through `TryFrom`, which names the
//! offending parameter; objects are built from domain types explicitly.

pub mod balance;
pub mod customers;
pub mod events;
pub mod list;
pub mod payment_methods;
pub mod payments;
pub mod payouts;
pub mod receipts;
pub mod refunds;
#[cfg(test)]
mod tests;
pub mod webhook_endpoints;

pub use balance::*;
pub use customers::*;
pub use events::*;
pub use list::*;
pub use payment_methods::*;
pub use payments::*;
pub use payouts::*;
pub use receipts::*;
pub use refunds::*;
pub use webhook_endpoints::*;

/// The body each command is parsed from, in one table: `body::<C>(&req)`
/// reads the JSON as the DTO, then `TryFrom` makes the command.
macro_rules! bodies {
    ($($command:ty => $wire:ty),* $(,)?) => {
        $(impl crate::http::FromBody for $command {
            type Wire = $wire;
        })*
    };
}

bodies! {
    crate::domain::NewPayment => CreatePaymentRequest,
    crate::domain::ConfirmPayment => ConfirmPaymentRequest,
    crate::domain::CapturePayment => CapturePaymentRequest,
    crate::domain::CancelPayment => CancelPaymentRequest,
    crate::domain::NewRefund => CreateRefundRequest,
    crate::domain::NewPayout => CreatePayoutRequest,
    crate::domain::PayoutAction => PayoutActionRequest,
    crate::domain::refund::RefundUpdate => UpdateRefundRequest,
    crate::domain::refund::RefundAction => RefundActionRequest,
    crate::domain::NewCustomer => CreateCustomerRequest,
    crate::domain::CustomerUpdate => UpdateCustomerRequest,
    crate::domain::PaymentUpdate => UpdatePaymentRequest,
    crate::domain::CardInput => CreatePaymentMethodRequest,
    // Attaching names the payment method to attach.
    crate::domain::PaymentMethodId => AttachPaymentMethodRequest,
    crate::domain::NewWebhookEndpoint => CreateWebhookEndpointRequest,
}

/// What each list endpoint pages through, in one table: the object, its id
/// (which names it in messages and logs) and its wire object.
macro_rules! listed_objects {
    ($($object:ty, $id:ty => $wire:ident),* $(,)?) => {
        $(impl crate::http::Listed for $object {
            type Id = $id;
            type Object<'a> = $wire<'a>;
        })*
    };
}

listed_objects! {
    crate::domain::Payment, crate::domain::PaymentId => PaymentObject,
    crate::domain::Refund, crate::domain::RefundId => RefundObject,
    crate::domain::Customer, crate::domain::CustomerId => CustomerObject,
    crate::domain::PaymentMethod, crate::domain::PaymentMethodId => PaymentMethodObject,
    crate::domain::Event, crate::domain::EventId => EventObject,
    crate::domain::WebhookEndpoint, crate::domain::WebhookEndpointId => WebhookEndpointObject,
    crate::domain::BalanceTransaction, crate::domain::TxnId => BalanceTransactionObject,
    crate::domain::Payout, crate::domain::PayoutId => PayoutObject,
    crate::domain::Receipt, crate::domain::ReceiptId => ReceiptObject,
}
