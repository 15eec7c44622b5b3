//! Refunds.

use super::{Currency, Metadata, MinorUnits, Mode, Payment, PaymentId, PaymentStatus, RefundId, ValidationError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundReason {
    Duplicate,
    Fraudulent,
    CustomerRequest,
}

impl RefundReason {
    pub fn parse(param: &str, value: &str) -> Result<Self, ValidationError> {
        match value {
            "duplicate" => Ok(Self::Duplicate),
            "fraudulent" => Ok(Self::Fraudulent),
            "customer_request" => Ok(Self::CustomerRequest),
            other => Err(ValidationError::invalid(
                param,
                format!("Invalid {param}: '{other}'. It must be one of: duplicate, fraudulent, customer_request."),
            )),
        }
    }
}

/// Refunds succeed as soon as they are recorded (the simulated card network
/// accepts them); the status is there for the networks that do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Succeeded,
}

/// A validated request to refund, before it meets the payment.
#[derive(Clone, Debug, PartialEq)]
pub struct NewRefund {
    pub payment_id: PaymentId,
    /// `None`: everything still refundable.
    pub amount: Option<MinorUnits>,
    pub reason: Option<RefundReason>,
    pub metadata: Metadata,
}

impl NewRefund {
    /// A positive refund amount (the upper bound is the payment's).
    pub fn parse_amount(param: &str, value: i64) -> Result<MinorUnits, ValidationError> {
        if let Some(amount) = MinorUnits::new(value).filter(|a| !a.is_zero()) {
            Ok(amount)
        } else {
            Err(ValidationError::new(
                param,
                "parameter_invalid_integer",
                format!(
                    "Invalid {param}: it must be a positive integer in the currency's smallest unit (got {value})."
                ),
            ))
        }
    }
}

/// Why a payment cannot take a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundRefused {
    /// Not captured (yet), so there is nothing to give back.
    NotCaptured(PaymentStatus),
    /// Everything captured has been refunded already.
    AlreadyRefunded,
    /// More than what remains.
    TooLarge {
        requested: MinorUnits,
        refundable: MinorUnits,
    },
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Refund {
    pub id: RefundId,
    pub mode: Mode,
    pub payment_id: PaymentId,
    pub amount: MinorUnits,
    pub currency: Currency,
    pub reason: Option<RefundReason>,
    pub status: RefundStatus,
    // Empty maps are not stored: DynamoDB Local's stream renders them as an
    // attribute value without a type, which no client can read.
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
    pub created: i64,
}

impl Refund {
    /// The refund `new` would be against `payment` as it stands, or why not.
    pub fn against(new: &NewRefund, payment: &Payment, created: i64) -> Result<Self, RefundRefused> {
        if payment.status != PaymentStatus::Succeeded {
            return Err(RefundRefused::NotCaptured(payment.status));
        }
        let refundable = payment.amount_refundable;
        if refundable.is_zero() {
            return Err(RefundRefused::AlreadyRefunded);
        }
        let amount = new.amount.unwrap_or(refundable);
        if amount > refundable {
            return Err(RefundRefused::TooLarge {
                requested: amount,
                refundable,
            });
        }
        Ok(Self {
            id: RefundId::generate(),
            mode: payment.mode,
            payment_id: payment.id.clone(),
            amount,
            currency: payment.currency,
            reason: new.reason,
            status: RefundStatus::Succeeded,
            metadata: new.metadata.clone(),
            created,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(v: i64) -> MinorUnits {
        MinorUnits::new(v).unwrap()
    }
    use crate::domain::{Amount, CaptureMethod, NewPayment};

    fn payment(amount: i64) -> Payment {
        let usd = Currency::from_code("usd").unwrap();
        Payment::create(
            NewPayment {
                amount: Amount::for_charge("amount", amount, usd).unwrap(),
                currency: usd,
                customer_id: None,
                description: None,
                capture_method: CaptureMethod::Automatic,
                metadata: Metadata::default(),
                return_url: None,
            },
            Mode::Test,
            0,
        )
    }

    fn new(p: &Payment, amount: Option<i64>) -> NewRefund {
        NewRefund {
            payment_id: p.id.clone(),
            amount: amount.map(m),
            reason: None,
            metadata: Metadata::default(),
        }
    }

    #[test]
    fn only_captured_payments_refund_and_never_beyond_what_remains() {
        let pending = payment(200);
        assert_eq!(
            Refund::against(&new(&pending, None), &pending, 0).unwrap_err(),
            RefundRefused::NotCaptured(PaymentStatus::Pending)
        );
        let p = pending.captured();
        assert_eq!(p.amount_refundable, m(200));
        assert_eq!(
            Refund::against(&new(&p, None), &p, 0).unwrap().amount,
            m(200),
            "default: all that remains"
        );
        assert_eq!(Refund::against(&new(&p, Some(50)), &p, 0).unwrap().amount, m(50));
        assert_eq!(
            Refund::against(&new(&p, Some(201)), &p, 0).unwrap_err(),
            RefundRefused::TooLarge {
                requested: m(201),
                refundable: m(200)
            }
        );
        let done = Payment {
            amount_refunded: m(200),
            amount_refundable: m(0),
            ..p
        };
        assert!(done.refunded());
        assert_eq!(
            Refund::against(&new(&done, None), &done, 0).unwrap_err(),
            RefundRefused::AlreadyRefunded
        );
    }

    #[test]
    fn reasons_and_amounts() {
        assert_eq!(
            RefundReason::parse("reason", "fraudulent").unwrap(),
            RefundReason::Fraudulent
        );
        assert!(RefundReason::parse("reason", "oops")
            .unwrap_err()
            .message
            .contains("customer_request"));
        assert!(NewRefund::parse_amount("amount", 0).is_err());
        assert!(NewRefund::parse_amount("amount", -5).is_err());
    }
}
