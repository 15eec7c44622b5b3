//! Wire DTOs: what the API accepts and returns, one file per resource.
//! Requests turn into domain commands through `TryFrom`, which names the
//! offending parameter; objects are built from domain types explicitly.

pub mod customers;
pub mod events;
pub mod list;
pub mod payment_methods;
pub mod payments;
pub mod refunds;
#[cfg(test)]
mod tests;
pub mod webhook_endpoints;

pub use customers::*;
pub use events::*;
pub use list::*;
pub use payment_methods::*;
pub use payments::*;
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
    crate::domain::NewCustomer => CreateCustomerRequest,
    crate::domain::CustomerUpdate => UpdateCustomerRequest,
    crate::domain::CardInput => CreatePaymentMethodRequest,
    // Attaching names the payment method to attach.
    crate::domain::PaymentMethodId => AttachPaymentMethodRequest,
    crate::domain::NewWebhookEndpoint => CreateWebhookEndpointRequest,
}

/// What each list endpoint pages through, in one table: the object's name
/// in messages and logs, and its wire object.
macro_rules! listed_objects {
    ($($object:ty => $wire:ident, $kind:literal),* $(,)?) => {
        $(impl crate::http::Listed for $object {
            const KIND: &'static str = $kind;
            type Object<'a> = $wire<'a>;
        })*
    };
}

listed_objects! {
    crate::domain::Payment => PaymentObject, "payment",
    crate::domain::Refund => RefundObject, "refund",
    crate::domain::Customer => CustomerObject, "customer",
    crate::domain::PaymentMethod => PaymentMethodObject, "payment method",
    crate::domain::Event => EventObject, "event",
    crate::domain::WebhookEndpoint => WebhookEndpointObject, "webhook endpoint",
}
