//! Refunds.

use super::{
    Currency, Metadata, MetadataPatch, MinorUnits, Mode, Payment, PaymentId, PaymentStatus, RefundId, ValidationError,
};

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

/// Where a refund is: submitted to the card network (`pending`), then the
/// network's answer (`succeeded` or `failed`), or `cancelled` before it
/// answered. Only `pending` moves; the three others are final.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Pending,
    Succeeded,
    Failed,
    Cancelled,
}

impl RefundStatus {
    pub const ALL: [RefundStatus; 4] = [Self::Pending, Self::Succeeded, Self::Failed, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(param: &str, value: &str) -> Result<Self, ValidationError> {
        Self::ALL.into_iter().find(|s| s.as_str() == value).ok_or_else(|| {
            ValidationError::invalid(
                param,
                format!("Invalid {param}: '{value}'. It must be one of: pending, succeeded, failed, cancelled."),
            )
        })
    }

    /// Whether a refund in this status keeps its amount off the payment:
    /// a failed or cancelled one gave it back.
    pub fn holds_amount(self) -> bool {
        matches!(self, Self::Pending | Self::Succeeded)
    }
}

/// Seconds after its creation by which the (simulated) network has
/// answered a refund: the table's stream answers within seconds, and a
/// scheduled sweep answers any refund still pending this long after.
pub const NETWORK_ANSWER_OVERDUE_SECONDS: i64 = 60;

/// Why the card network failed a refund (Stripe's values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundFailureReason {
    ExpiredOrCanceledCard,
    LostOrStolenCard,
    Declined,
    Unknown,
}

/// Why a refund cannot move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundTransitionRefused {
    /// Only a pending refund can be cancelled or answered.
    NotPending(RefundStatus),
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

/// `POST /v1/refunds/{id}`, validated: the metadata to merge.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RefundUpdate {
    pub metadata: MetadataPatch,
}

/// An action on a refund that takes no parameters (cancel, the test
/// helper's expire).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RefundAction;

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
    /// Why the network failed it (`failed` only).
    pub failure_reason: Option<RefundFailureReason>,
    /// What the (simulated) network will answer, decided by the card when
    /// the refund is created: `None` succeeds. Never shown.
    pub network_failure: Option<RefundFailureReason>,
    /// Moved by every change: each write is conditioned on the revision it
    /// read, so of two racing changes (a cancel and the network's answer)
    /// exactly one lands. Absent on refunds written before it: 0.
    #[serde(default)]
    pub revision: u32,
    /// The balance transaction that took its amount (`txn_...`).
    pub balance_transaction: Option<super::TxnId>,
    /// The one that gave it back, if it failed or was cancelled.
    pub failure_balance_transaction: Option<super::TxnId>,
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
            status: RefundStatus::Pending,
            failure_reason: None,
            network_failure: payment.refund_failure,
            revision: 0,
            balance_transaction: None,
            failure_balance_transaction: None,
            metadata: new.metadata.clone(),
            created,
        })
    }

    fn moved(
        &self,
        status: RefundStatus,
        failure_reason: Option<RefundFailureReason>,
    ) -> Result<Self, RefundTransitionRefused> {
        if self.status != RefundStatus::Pending {
            return Err(RefundTransitionRefused::NotPending(self.status));
        }
        Ok(Self {
            status,
            failure_reason,
            revision: self.revision + 1,
            ..self.clone()
        })
    }

    /// The refund once the card network answered: `succeeded`, or `failed`
    /// with the network's reason.
    pub fn answered(&self) -> Result<Self, RefundTransitionRefused> {
        match self.network_failure {
            None => self.moved(RefundStatus::Succeeded, None),
            Some(reason) => self.moved(RefundStatus::Failed, Some(reason)),
        }
    }

    /// The refund cancelled before the network answered.
    pub fn cancelled(&self) -> Result<Self, RefundTransitionRefused> {
        self.moved(RefundStatus::Cancelled, None)
    }

    /// The refund with `patch` merged into its metadata (in any status).
    pub fn with_metadata(&self, patch: &MetadataPatch) -> Result<Self, ValidationError> {
        Ok(Self {
            metadata: self.metadata.merged("metadata", patch)?,
            revision: self.revision + 1,
            ..self.clone()
        })
    }

    /// Whether the change from `self` to `after` gives the refund's amount
    /// back to its payment (it failed or was cancelled).
    pub fn gives_back(&self, after: &Refund) -> bool {
        self.status.holds_amount() && !after.status.holds_amount()
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
                receipt_email: None,
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
    fn only_a_pending_refund_moves_and_failed_or_cancelled_ones_give_back() {
        let p = payment(1000).captured();
        let pending = Refund::against(&new(&p, Some(300)), &p, 0).unwrap();
        assert_eq!((pending.status, pending.revision), (RefundStatus::Pending, 0));
        let ok = pending.answered().unwrap();
        assert_eq!(
            (ok.status, ok.failure_reason, ok.revision),
            (RefundStatus::Succeeded, None, 1)
        );
        assert!(!pending.gives_back(&ok));
        let failing = Refund::against(
            &new(&p, Some(300)),
            &Payment {
                refund_failure: Some(RefundFailureReason::ExpiredOrCanceledCard),
                ..p.clone()
            },
            0,
        )
        .unwrap();
        let failed = failing.answered().unwrap();
        assert_eq!(failed.status, RefundStatus::Failed);
        assert_eq!(failed.failure_reason, Some(RefundFailureReason::ExpiredOrCanceledCard));
        assert!(failing.gives_back(&failed));
        let cancelled = pending.cancelled().unwrap();
        assert_eq!(cancelled.status, RefundStatus::Cancelled);
        assert!(pending.gives_back(&cancelled));
        for done in [&ok, &failed, &cancelled] {
            assert_eq!(done.cancelled(), Err(RefundTransitionRefused::NotPending(done.status)));
            assert_eq!(done.answered(), Err(RefundTransitionRefused::NotPending(done.status)));
        }
        // Metadata moves the revision in any state, and nothing else.
        let patch = MetadataPatch::parse("metadata", [("k".to_string(), "v".to_string())].into()).unwrap();
        let tagged = ok.with_metadata(&patch).unwrap();
        assert_eq!((tagged.status, tagged.revision), (RefundStatus::Succeeded, 2));
        assert_eq!(tagged.metadata.as_map()["k"], "v");
        assert!(!ok.gives_back(&tagged));
    }

    #[test]
    fn statuses_parse_by_name() {
        for s in RefundStatus::ALL {
            assert_eq!(RefundStatus::parse("status", s.as_str()).unwrap(), s);
        }
        assert!(RefundStatus::parse("status", "refunded")
            .unwrap_err()
            .message
            .contains("cancelled"));
        assert!(RefundStatus::Pending.holds_amount() && RefundStatus::Succeeded.holds_amount());
        assert!(!RefundStatus::Failed.holds_amount() && !RefundStatus::Cancelled.holds_amount());
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
