//! Domain types: they can only hold valid values. Wire DTOs in
//! [`crate::http::wire`] turn into these through `TryFrom`, and the store only
//! ever sees these.

pub mod account;
pub mod address;
pub mod balance;
pub mod card;
pub mod customer;
pub mod delivery;
pub mod error;
pub mod event;
pub mod ids;
pub mod limits;
pub mod list;
pub mod metadata;
pub mod money;
pub mod payment;
pub mod payout;
pub mod receipt;
pub mod refund;
pub mod webhook_endpoint;

pub use account::{Account, ApiKey, KeyHash, KeyKind, KeyStatus, Mode, SecretKey, Tenant, MAX_LIST_SHARDS};
pub use balance::{
    Balance, BalanceAmount, BalanceParts, BalanceStatus, BalanceTransaction, BalanceTransactionType, Pricing,
    Settlement,
};
pub use card::{Brand, Card, CardInput, NetworkOutcome, PaymentMethod, PaymentMethodRef, TestCard, ValidCard};
pub use customer::{Address, Country, Customer, CustomerUpdate, Email, NewCustomer, Patch, Phone};
pub use delivery::{Attempt, Delivery, DeliveryStatus};
pub use error::ValidationError;
pub use event::{Event, EventHead, EventRequest, EventType, EventTypeFilter};
pub use ids::{
    AccountId, ApiKeyId, CustomerId, EventId, PaymentId, PaymentMethodId, PayoutId, PrefixedId, ReceiptId, RefundId,
    TxnId, WebhookEndpointId,
};
pub use limits::{usage_key, ModeLimits, RateClass, RateLimits, UsageKey};
pub use list::{CreatedRange, Cursor, ListWindow, Page};
pub use metadata::{Metadata, MetadataPatch};
pub use money::{Amount, Currency, MinorUnits};
pub use payment::{
    CancelPayment, CancellationReason, CaptureMethod, CapturePayment, ConfirmPayment, NewPayment, Payment,
    PaymentError, PaymentFilter, PaymentStatus, PaymentUpdate, ReturnUrl, TransitionRefused,
};
pub use payout::{
    BankAccount, NewPayout, Payout, PayoutAction, PayoutFailureCode, PayoutStatus, PayoutTransitionRefused,
};
pub use receipt::{Receipt, ReceiptKind, ReceiptStatus, ReceiptToken};
pub use refund::{
    NewRefund, Refund, RefundFailureReason, RefundReason, RefundRefused, RefundStatus, RefundTransitionRefused,
};
pub use webhook_endpoint::{EnabledEvents, NewWebhookEndpoint, WebhookEndpoint};
