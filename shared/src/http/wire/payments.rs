//! Payments on the wire: create, confirm, capture, cancel, list; the payment
//! object and what a browser may see of it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    list::{list_filter, ListRequest},
    payment_methods::payment_method_param,
};
use crate::{
    domain::{
        payment::parse_description, Amount, CancelPayment, CancellationReason, CaptureMethod, CapturePayment,
        ConfirmPayment, Currency, CustomerId, Email, Metadata, MetadataPatch, MinorUnits, NewPayment, NewRefund,
        Payment, PaymentError, PaymentFilter, PaymentId, PaymentMethodId, PaymentStatus, PaymentUpdate, ReturnUrl,
        ValidationError,
    },
    http::{body::JsonInt, FromQuery},
};

#[derive(Debug, Deserialize)]
pub struct CreatePaymentRequest {
    pub amount: Option<JsonInt>,
    pub currency: Option<String>,
    pub customer_id: Option<String>,
    pub description: Option<String>,
    pub capture_method: Option<String>,
    pub metadata: Option<BTreeMap<String, String>>,
    pub return_url: Option<String>,
    pub receipt_email: Option<String>,
}

impl TryFrom<CreatePaymentRequest> for NewPayment {
    type Error = ValidationError;

    fn try_from(r: CreatePaymentRequest) -> Result<Self, ValidationError> {
        let amount = r.amount.ok_or_else(|| ValidationError::missing("amount"))?;
        let currency = Currency::parse(
            "currency",
            &r.currency.ok_or_else(|| ValidationError::missing("currency"))?,
        )?;
        let amount = Amount::for_charge("amount", amount.0, currency)?;
        let customer_id = r
            .customer_id
            .map(|c| {
                c.parse::<CustomerId>().map_err(|_| {
                    ValidationError::new("customer_id", "resource_missing", format!("No such customer: '{c}'"))
                })
            })
            .transpose()?;
        Ok(NewPayment {
            amount,
            currency,
            customer_id,
            description: r.description.map(|d| parse_description("description", d)).transpose()?,
            capture_method: r
                .capture_method
                .map(|m| CaptureMethod::parse("capture_method", &m))
                .transpose()?
                .unwrap_or_default(),
            metadata: Metadata::parse("metadata", r.metadata.unwrap_or_default())?,
            return_url: r.return_url.map(|u| ReturnUrl::parse("return_url", u)).transpose()?,
            receipt_email: r.receipt_email.map(|e| Email::parse("receipt_email", e)).transpose()?,
        })
    }
}

/// `POST /v1/payments/{id}`: `""` clears a field, and metadata merges key
/// by key (`""` removes a key).
#[derive(Debug, Deserialize)]
pub struct UpdatePaymentRequest {
    pub description: Option<String>,
    pub metadata: Option<BTreeMap<String, String>>,
    pub receipt_email: Option<String>,
}

impl TryFrom<UpdatePaymentRequest> for PaymentUpdate {
    type Error = ValidationError;

    fn try_from(r: UpdatePaymentRequest) -> Result<Self, ValidationError> {
        use super::customers::patch;
        Ok(PaymentUpdate {
            description: patch(r.description, |d| parse_description("description", d))?,
            metadata: MetadataPatch::parse("metadata", r.metadata.unwrap_or_default())?,
            receipt_email: patch(r.receipt_email, |e| Email::parse("receipt_email", e))?,
        })
    }
}

/// The payment object.
#[derive(Debug, Serialize)]
pub struct PaymentObject<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub amount: i64,
    pub currency: &'static str,
    pub status: &'static str,
    pub customer_id: Option<&'a str>,
    pub description: Option<&'a str>,
    pub capture_method: CaptureMethod,
    pub amount_refunded: MinorUnits,
    /// True once the whole captured amount has been refunded.
    pub refunded: bool,
    pub payment_method: Option<&'a str>,
    pub amount_capturable: MinorUnits,
    pub amount_received: MinorUnits,
    /// The capture's balance transaction (`txn_...`), once captured.
    pub balance_transaction: Option<&'a str>,
    pub capture_before: Option<i64>,
    pub cancellation_reason: Option<CancellationReason>,
    pub last_payment_error: Option<&'a PaymentError>,
    pub metadata: &'a BTreeMap<String, String>,
    pub return_url: Option<&'a str>,
    /// Where its receipts go (null: to its customer's email, if any).
    pub receipt_email: Option<&'a str>,
    /// The hosted receipt page, once the payment succeeded: readable
    /// without a key, by whoever has the link.
    pub receipt_url: Option<&'a str>,
    /// Only on create, retrieve and transitions; never in lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<&'a str>,
    pub created: i64,
    pub livemode: bool,
}

/// What a browser holding a publishable key and the client secret may see
/// of a payment: no metadata, description, customer or return URL.
#[derive(Debug, Serialize)]
pub struct PublicPaymentObject<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub amount: i64,
    pub currency: &'static str,
    pub status: &'static str,
    pub capture_method: CaptureMethod,
    pub payment_method: Option<&'a str>,
    pub last_payment_error: Option<&'a PaymentError>,
    pub client_secret: &'a str,
    pub created: i64,
    pub livemode: bool,
}

impl<'a> From<&'a Payment> for PublicPaymentObject<'a> {
    fn from(p: &'a Payment) -> Self {
        Self {
            id: p.id.as_str(),
            object: "payment",
            amount: p.amount.get(),
            currency: p.currency.code(),
            status: p.status.as_str(),
            capture_method: p.capture_method,
            payment_method: p.payment_method.as_ref().map(PaymentMethodId::as_str),
            last_payment_error: p.last_payment_error.as_ref(),
            client_secret: &p.client_secret,
            created: p.created,
            livemode: p.mode.livemode(),
        }
    }
}

impl<'a> PaymentObject<'a> {
    /// The payment with its `client_secret` (for the one who created it).
    pub fn with_secret(p: &'a Payment) -> Self {
        Self {
            client_secret: Some(&p.client_secret),
            ..Self::from(p)
        }
    }
}

impl<'a> From<&'a Payment> for PaymentObject<'a> {
    fn from(p: &'a Payment) -> Self {
        Self {
            id: p.id.as_str(),
            object: "payment",
            amount: p.amount.get(),
            currency: p.currency.code(),
            status: p.status.as_str(),
            customer_id: p.customer_id.as_ref().map(CustomerId::as_str),
            description: p.description.as_deref(),
            capture_method: p.capture_method,
            amount_refunded: p.amount_refunded,
            refunded: p.refunded(),
            payment_method: p.payment_method.as_ref().map(PaymentMethodId::as_str),
            amount_capturable: p.amount_capturable,
            amount_received: p.amount_received,
            balance_transaction: p.balance_transaction.as_ref().map(|t| t.as_str()),
            capture_before: p.capture_before,
            cancellation_reason: p.cancellation_reason,
            last_payment_error: p.last_payment_error.as_ref(),
            metadata: p.metadata.as_map(),
            return_url: p.return_url.as_ref().map(ReturnUrl::as_str),
            receipt_email: p.receipt_email.as_ref().map(Email::as_str),
            receipt_url: p.public_receipt_url(),
            client_secret: None,
            created: p.created,
            livemode: p.mode.livemode(),
        }
    }
}

/// `GET /v1/payments`: optionally one customer's, or those in one status.
pub type ListPaymentsRequest = ListRequest<PaymentsFilter, PaymentId>;

list_filter!(PaymentsFilter {
    customer: CustomerId = "customer",
    status: PaymentStatus = "status",
});

impl FromQuery for PaymentStatus {
    fn from_query(param: &str, value: String) -> Result<Self, ValidationError> {
        Self::parse(param, &value)
    }
}

impl ListPaymentsRequest {
    /// The store's filter: the parameters and the `created` range.
    pub fn payment_filter(&self) -> PaymentFilter {
        PaymentFilter {
            customer: self.filter.customer.clone(),
            status: self.filter.status,
            created: self.created,
        }
    }
}

/// `POST /v1/payments/{id}/confirm`.
#[derive(Debug, Deserialize)]
pub struct ConfirmPaymentRequest {
    pub payment_method: Option<String>,
    pub client_secret: Option<String>,
}

impl TryFrom<ConfirmPaymentRequest> for ConfirmPayment {
    type Error = ValidationError;

    fn try_from(r: ConfirmPaymentRequest) -> Result<Self, ValidationError> {
        Ok(ConfirmPayment {
            payment_method: payment_method_param(r.payment_method)?,
            client_secret: r.client_secret,
        })
    }
}

/// `POST /v1/payments/{id}/capture`.
#[derive(Debug, Deserialize)]
pub struct CapturePaymentRequest {
    pub amount_to_capture: Option<JsonInt>,
}

impl TryFrom<CapturePaymentRequest> for CapturePayment {
    type Error = ValidationError;

    fn try_from(r: CapturePaymentRequest) -> Result<Self, ValidationError> {
        Ok(CapturePayment {
            amount: r
                .amount_to_capture
                .map(|a| NewRefund::parse_amount("amount_to_capture", a.0))
                .transpose()?,
        })
    }
}

/// `POST /v1/payments/{id}/cancel`.
#[derive(Debug, Deserialize)]
pub struct CancelPaymentRequest {
    pub cancellation_reason: Option<String>,
}

impl TryFrom<CancelPaymentRequest> for CancelPayment {
    type Error = ValidationError;

    fn try_from(r: CancelPaymentRequest) -> Result<Self, ValidationError> {
        Ok(CancelPayment {
            reason: r
                .cancellation_reason
                .map(|reason| CancellationReason::parse("cancellation_reason", &reason))
                .transpose()?,
        })
    }
}
