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

/// The most days `GET /v1/reporting/volume` charts.
pub const MAX_VOLUME_DAYS: i64 = 90;

/// `GET /v1/reporting/volume?currency=usd&days=30`: one currency (required:
/// each is its own chart), the last `days` UTC days (1 to 90; default 30),
/// today included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VolumeRequest {
    pub currency: Currency,
    pub days: i64,
}

impl TryFrom<crate::http::query::QueryParams> for VolumeRequest {
    type Error = ValidationError;

    fn try_from(mut q: crate::http::query::QueryParams) -> Result<Self, ValidationError> {
        let currency = q
            .take_value::<Currency>("currency")?
            .ok_or_else(|| ValidationError::missing("currency"))?;
        let days = q.take_int("days")?.unwrap_or(30);
        if !(1..=MAX_VOLUME_DAYS).contains(&days) {
            return Err(ValidationError::invalid(
                "days",
                format!("Invalid days: {days}. It must be 1 to {MAX_VOLUME_DAYS}."),
            ));
        }
        q.finish()?;
        Ok(Self { currency, days })
    }
}

/// One day of gross volume.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct VolumeDayObject {
    /// The day's start (UTC midnight, Unix seconds).
    pub date: i64,
    /// Captured that day (the amount, before fees).
    pub captured: i64,
    /// Refunded that day (less refunds that failed or were cancelled that day).
    pub refunded: i64,
}

/// The gross volume chart: every day of the window, oldest first, days
/// without money included (zeros).
#[derive(Debug, Serialize)]
pub struct VolumeObject {
    pub object: &'static str,
    pub currency: &'static str,
    pub data: Vec<VolumeDayObject>,
    pub livemode: bool,
}

impl VolumeObject {
    /// Days `first..=last` (Unix days), filled from `stored` (day, captured,
    /// refunded).
    pub fn new(currency: Currency, first: i64, last: i64, stored: &[(i64, i64, i64)], livemode: bool) -> Self {
        let data = (first..=last)
            .map(|day| {
                let (captured, refunded) = stored
                    .iter()
                    .find(|(d, _, _)| *d == day)
                    .map_or((0, 0), |(_, c, r)| (*c, *r));
                VolumeDayObject {
                    date: day * crate::domain::balance::DAY,
                    captured,
                    refunded,
                }
            })
            .collect();
        Self {
            object: "volume",
            currency: currency.code(),
            data,
            livemode,
        }
    }
}

#[cfg(test)]
mod volume_tests {
    use super::*;
    use crate::http::query::QueryParams;

    #[test]
    fn a_volume_request_needs_a_currency_and_at_most_90_days() {
        let parse = |pairs: &[(&str, &str)]| VolumeRequest::try_from(QueryParams::from_pairs(pairs.iter().copied()));
        let usd = Currency::from_code("usd").unwrap();
        assert_eq!(
            parse(&[("currency", "usd")]).unwrap(),
            VolumeRequest {
                currency: usd,
                days: 30
            }
        );
        assert_eq!(parse(&[("currency", "usd"), ("days", "90")]).unwrap().days, 90);
        assert_eq!(parse(&[]).unwrap_err().param, "currency");
        for bad in ["0", "91", "-1", "x"] {
            assert_eq!(
                parse(&[("currency", "usd"), ("days", bad)]).unwrap_err().param,
                "days",
                "{bad}"
            );
        }
        assert_eq!(parse(&[("currency", "usd"), ("day", "3")]).unwrap_err().param, "day");
    }

    #[test]
    fn every_day_of_the_window_is_charted_oldest_first() {
        let usd = Currency::from_code("usd").unwrap();
        let v = VolumeObject::new(usd, 10, 12, &[(11, 500, 100)], false);
        let days: Vec<(i64, i64, i64)> = v.data.iter().map(|d| (d.date, d.captured, d.refunded)).collect();
        assert_eq!(days, [(864_000, 0, 0), (950_400, 500, 100), (1_036_800, 0, 0)]);
    }
}
