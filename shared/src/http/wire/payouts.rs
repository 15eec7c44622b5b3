//! Payouts on the wire.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::list::{list_filter, ListRequest};
use crate::{
    domain::{
        payment::parse_description, Currency, Metadata, MinorUnits, NewPayout, Payout, PayoutAction, PayoutFailureCode,
        PayoutId, PayoutStatus, ValidationError,
    },
    http::body::JsonInt,
    http::FromQuery,
};

/// `POST /v1/payouts`.
#[derive(Debug, Deserialize)]
pub struct CreatePayoutRequest {
    pub amount: Option<JsonInt>,
    pub currency: Option<String>,
    pub description: Option<String>,
    pub metadata: Option<BTreeMap<String, String>>,
}

impl TryFrom<CreatePayoutRequest> for NewPayout {
    type Error = ValidationError;

    fn try_from(r: CreatePayoutRequest) -> Result<Self, ValidationError> {
        let amount = r.amount.ok_or_else(|| ValidationError::missing("amount"))?.0;
        let amount = MinorUnits::new(amount).filter(|a| !a.is_zero()).ok_or_else(|| {
            ValidationError::new(
                "amount",
                "parameter_invalid_integer",
                format!(
                    "Invalid amount: it must be a positive integer in the currency's smallest unit (got {amount})."
                ),
            )
        })?;
        let currency = r.currency.ok_or_else(|| ValidationError::missing("currency"))?;
        Ok(NewPayout {
            amount,
            currency: Currency::parse("currency", &currency)?,
            description: r.description.map(|d| parse_description("description", d)).transpose()?,
            metadata: Metadata::parse("metadata", r.metadata.unwrap_or_default())?,
        })
    }
}

/// `POST /v1/payouts/{id}/cancel`: no parameters (any is refused by name).
#[derive(Debug, Deserialize)]
pub struct PayoutActionRequest {}

impl TryFrom<PayoutActionRequest> for PayoutAction {
    type Error = ValidationError;

    fn try_from(_: PayoutActionRequest) -> Result<Self, ValidationError> {
        Ok(PayoutAction)
    }
}

/// The bank account a payout goes to, masked.
#[derive(Debug, Serialize)]
pub struct BankAccountObject<'a> {
    pub object: &'static str,
    pub last4: &'a str,
    pub routing_number: &'a str,
    pub country: &'static str,
    pub currency: &'static str,
}

/// The payout object.
#[derive(Debug, Serialize)]
pub struct PayoutObject<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub amount: MinorUnits,
    pub currency: &'static str,
    pub arrival_date: i64,
    pub automatic: bool,
    pub balance_transaction: Option<&'a str>,
    pub description: Option<&'a str>,
    pub destination: BankAccountObject<'a>,
    pub failure_balance_transaction: Option<&'a str>,
    pub failure_code: Option<PayoutFailureCode>,
    pub failure_message: Option<&'static str>,
    pub method: &'static str,
    pub status: PayoutStatus,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub metadata: &'a BTreeMap<String, String>,
    pub created: i64,
    pub livemode: bool,
}

impl<'a> From<&'a Payout> for PayoutObject<'a> {
    fn from(p: &'a Payout) -> Self {
        Self {
            id: p.id.as_str(),
            object: "payout",
            amount: p.amount,
            currency: p.currency.code(),
            arrival_date: p.arrival_date,
            automatic: p.automatic,
            balance_transaction: p.balance_transaction.as_ref().map(|t| t.as_str()),
            description: p.description.as_deref(),
            destination: BankAccountObject {
                object: "bank_account",
                last4: &p.destination_last4,
                routing_number: &p.routing_number,
                country: "US",
                currency: p.currency.code(),
            },
            failure_balance_transaction: p.failure_balance_transaction.as_ref().map(|t| t.as_str()),
            failure_code: p.failure_code,
            failure_message: p.failure_code.map(PayoutFailureCode::message),
            method: "standard",
            status: p.status,
            kind: "bank_account",
            metadata: p.metadata.as_map(),
            created: p.created,
            livemode: p.mode.livemode(),
        }
    }
}

/// `GET /v1/payouts`: optionally those in one status.
pub type ListPayoutsRequest = ListRequest<PayoutsFilter, PayoutId>;

list_filter!(PayoutsFilter {
    status: PayoutStatus = "status",
});

impl FromQuery for PayoutStatus {
    fn from_query(param: &str, value: String) -> Result<Self, ValidationError> {
        Self::parse(param, &value)
    }
}

impl ListPayoutsRequest {
    /// The list's filter, as the store takes it.
    pub fn payout_filter(&self) -> crate::store::PayoutFilter {
        crate::store::PayoutFilter {
            status: self.filter.status,
            created: self.created,
        }
    }
}
