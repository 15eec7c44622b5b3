//! Balance transactions on the wire.

use serde::Serialize;

use super::list::{list_filter, ListRequest};
use crate::{
    domain::{
        balance::FeeDetail, Balance, BalanceAmount, BalanceStatus, BalanceTransaction, BalanceTransactionType,
        Currency, TxnId, ValidationError,
    },
    http::FromQuery,
};

/// One currency's amount of the balance.
#[derive(Debug, Serialize)]
pub struct BalanceAmountObject {
    pub amount: i64,
    pub currency: &'static str,
}

/// The balance object (`GET /v1/balance`, and `balance.available`'s).
#[derive(Debug, Serialize)]
pub struct BalanceObject {
    pub object: &'static str,
    pub available: Vec<BalanceAmountObject>,
    pub pending: Vec<BalanceAmountObject>,
    pub livemode: bool,
}

impl From<&Balance> for BalanceObject {
    fn from(b: &Balance) -> Self {
        let amounts = |v: &[BalanceAmount]| {
            v.iter()
                .map(|a| BalanceAmountObject {
                    amount: a.amount,
                    currency: a.currency.code(),
                })
                .collect()
        };
        Self {
            object: "balance",
            available: amounts(&b.available),
            pending: amounts(&b.pending),
            livemode: b.mode.livemode(),
        }
    }
}

/// A fee part as shown: its currency by code.
#[derive(Debug, Serialize)]
pub struct FeeDetailObject<'a> {
    pub amount: i64,
    pub currency: &'static str,
    #[serde(rename = "type")]
    pub kind: &'a str,
    pub description: &'a str,
}

impl<'a> From<&'a FeeDetail> for FeeDetailObject<'a> {
    fn from(f: &'a FeeDetail) -> Self {
        Self {
            amount: f.amount,
            currency: f.currency.code(),
            kind: &f.kind,
            description: &f.description,
        }
    }
}

/// The balance transaction object.
#[derive(Debug, Serialize)]
pub struct BalanceTransactionObject<'a> {
    pub id: &'a str,
    pub object: &'static str,
    #[serde(rename = "type")]
    pub kind: BalanceTransactionType,
    pub amount: i64,
    pub currency: &'static str,
    pub fee: i64,
    pub fee_details: Vec<FeeDetailObject<'a>>,
    pub net: i64,
    pub status: BalanceStatus,
    pub available_on: i64,
    pub source: &'a str,
    pub description: Option<&'a str>,
    pub created: i64,
    pub livemode: bool,
}

impl<'a> From<&'a BalanceTransaction> for BalanceTransactionObject<'a> {
    fn from(t: &'a BalanceTransaction) -> Self {
        Self {
            id: t.id.as_str(),
            object: "balance_transaction",
            kind: t.kind,
            amount: t.amount,
            currency: t.currency.code(),
            fee: t.fee,
            fee_details: t.fee_details.iter().map(FeeDetailObject::from).collect(),
            net: t.net,
            status: t.status,
            available_on: t.available_on,
            source: &t.source,
            description: t.description.as_deref(),
            created: t.created,
            livemode: t.mode.livemode(),
        }
    }
}

/// What moved the money: a payment's, a refund's or a payout's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceId(String);

impl FromQuery for SourceId {
    fn from_query(param: &str, value: String) -> Result<Self, ValidationError> {
        let ok = ["pay_", "re_", "po_"].iter().any(|p| {
            value.strip_prefix(p).is_some_and(|rest| {
                !rest.is_empty() && rest.len() <= 64 && rest.bytes().all(|b| b.is_ascii_alphanumeric())
            })
        });
        if ok {
            Ok(Self(value))
        } else {
            Err(ValidationError::invalid(
                param,
                format!("Invalid {param}: '{value}'. It must be a payment's (pay_...), a refund's (re_...) or a payout's (po_...) id."),
            ))
        }
    }
}

impl FromQuery for Currency {
    fn from_query(param: &str, value: String) -> Result<Self, ValidationError> {
        Self::parse(param, &value)
    }
}

impl FromQuery for BalanceTransactionType {
    fn from_query(param: &str, value: String) -> Result<Self, ValidationError> {
        Self::parse(param, &value)
    }
}

/// `GET /v1/balance_transactions`: optionally one source's, of one type.
pub type ListBalanceTransactionsRequest = ListRequest<BalanceTransactionsFilter, TxnId>;

list_filter!(BalanceTransactionsFilter {
    source: SourceId = "source",
    kind: BalanceTransactionType = "type",
    currency: Currency = "currency",
    payout: crate::domain::PayoutId = "payout",
});

impl ListBalanceTransactionsRequest {
    /// The list's filter, as the store takes it (`payout` is the
    /// service's to resolve: [`crate::service::balance::transactions`]).
    pub fn balance_filter(&self) -> crate::store::BalanceTransactionFilter {
        crate::store::BalanceTransactionFilter {
            source: self.filter.source.as_ref().map(|s| s.0.clone()),
            kind: self.filter.kind,
            currency: self.filter.currency,
            available_within: None,
            created: self.created,
        }
    }
}

/// `GET /v1/balance` takes no parameters: any is refused by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BalanceRequest;

impl TryFrom<crate::http::query::QueryParams> for BalanceRequest {
    type Error = ValidationError;

    fn try_from(q: crate::http::query::QueryParams) -> Result<Self, ValidationError> {
        q.finish()?;
        Ok(Self)
    }
}
