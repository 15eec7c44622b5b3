//! Refunds on the wire.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::list::{list_filter, ListRequest};
use crate::{
    domain::{
        refund::{RefundAction, RefundUpdate},
        Metadata, MetadataPatch, MinorUnits, NewRefund, PaymentId, Refund, RefundFailureReason, RefundId, RefundReason,
        RefundStatus, ValidationError,
    },
    http::body::JsonInt,
    http::{ApiError, FromQuery},
};

/// `POST /v1/refunds`.
#[derive(Debug, Deserialize)]
pub struct CreateRefundRequest {
    pub payment_id: Option<String>,
    pub amount: Option<JsonInt>,
    pub reason: Option<String>,
    pub metadata: Option<BTreeMap<String, String>>,
}

/// Why a refund request was refused before anything was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundRequestRefused {
    /// A `payment_id` that cannot name a payment: as missing as one that
    /// does not exist (404 naming `payment_id`).
    NoSuchPayment(String),
    Invalid(ValidationError),
}

impl From<ValidationError> for RefundRequestRefused {
    fn from(e: ValidationError) -> Self {
        Self::Invalid(e)
    }
}

impl From<RefundRequestRefused> for ApiError {
    fn from(e: RefundRequestRefused) -> Self {
        match e {
            RefundRequestRefused::NoSuchPayment(raw) => ApiError::not_found("payment", &raw).with_param("payment_id"),
            RefundRequestRefused::Invalid(e) => e.into(),
        }
    }
}

impl TryFrom<CreateRefundRequest> for NewRefund {
    type Error = RefundRequestRefused;

    fn try_from(r: CreateRefundRequest) -> Result<Self, RefundRequestRefused> {
        let raw = r.payment_id.ok_or_else(|| ValidationError::missing("payment_id"))?;
        let payment_id = raw
            .parse::<PaymentId>()
            .map_err(|_| RefundRequestRefused::NoSuchPayment(raw.clone()))?;
        Ok(NewRefund {
            payment_id,
            amount: r.amount.map(|a| NewRefund::parse_amount("amount", a.0)).transpose()?,
            reason: r.reason.map(|x| RefundReason::parse("reason", &x)).transpose()?,
            metadata: Metadata::parse("metadata", r.metadata.unwrap_or_default())?,
        })
    }
}

/// The refund object.
#[derive(Debug, Serialize)]
pub struct RefundObject<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub payment_id: &'a str,
    pub amount: MinorUnits,
    pub currency: &'static str,
    pub reason: Option<RefundReason>,
    pub status: RefundStatus,
    /// Why the network failed it (`failed` only; null otherwise).
    pub failure_reason: Option<RefundFailureReason>,
    /// The balance transaction that took its amount (`txn_...`).
    pub balance_transaction: Option<&'a str>,
    /// The one that gave it back, once it failed or was cancelled.
    pub failure_balance_transaction: Option<&'a str>,
    pub metadata: &'a BTreeMap<String, String>,
    pub created: i64,
    pub livemode: bool,
}

impl<'a> From<&'a Refund> for RefundObject<'a> {
    fn from(r: &'a Refund) -> Self {
        Self {
            id: r.id.as_str(),
            object: "refund",
            payment_id: r.payment_id.as_str(),
            amount: r.amount,
            currency: r.currency.code(),
            reason: r.reason,
            status: r.status,
            failure_reason: r.failure_reason,
            balance_transaction: r.balance_transaction.as_ref().map(|t| t.as_str()),
            failure_balance_transaction: r.failure_balance_transaction.as_ref().map(|t| t.as_str()),
            metadata: r.metadata.as_map(),
            created: r.created,
            livemode: r.mode.livemode(),
        }
    }
}

/// `POST /v1/refunds/{id}`: only its metadata can change.
#[derive(Debug, Deserialize)]
pub struct UpdateRefundRequest {
    pub metadata: Option<BTreeMap<String, String>>,
}

impl TryFrom<UpdateRefundRequest> for RefundUpdate {
    type Error = ValidationError;

    fn try_from(r: UpdateRefundRequest) -> Result<Self, ValidationError> {
        Ok(RefundUpdate {
            metadata: MetadataPatch::parse("metadata", r.metadata.unwrap_or_default())?,
        })
    }
}

/// `POST /v1/refunds/{id}/cancel` and the test helper's `.../expire`: no
/// parameters (any is refused by name).
#[derive(Debug, Deserialize)]
pub struct RefundActionRequest {}

impl TryFrom<RefundActionRequest> for RefundAction {
    type Error = ValidationError;

    fn try_from(_: RefundActionRequest) -> Result<Self, ValidationError> {
        Ok(RefundAction)
    }
}

/// `GET /v1/refunds`: optionally one payment's refunds, in one status.
pub type ListRefundsRequest = ListRequest<RefundsFilter, RefundId>;

list_filter!(RefundsFilter {
    payment_id: PaymentId = "payment_id",
    status: RefundStatus = "status",
});

impl FromQuery for RefundStatus {
    fn from_query(param: &str, value: String) -> Result<Self, ValidationError> {
        Self::parse(param, &value)
    }
}

impl ListRefundsRequest {
    /// The list's filter, as the store takes it.
    pub fn refund_filter(&self) -> crate::store::RefundFilter {
        crate::store::RefundFilter {
            payment: self.filter.payment_id.clone(),
            status: self.filter.status,
            created: self.created,
        }
    }
}
