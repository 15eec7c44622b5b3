//! Payments.

use super::{
    error::bounded_string, Amount, Currency, CustomerId, Email, Metadata, MetadataPatch, MinorUnits, Mode,
    NetworkOutcome, Patch, PaymentId, PaymentMethod, PaymentMethodId, PaymentMethodRef, RefundFailureReason, Tenant,
    ValidationError,
};

pub const MAX_DESCRIPTION_CHARS: usize = 1000;
pub const MAX_URL_CHARS: usize = 2048;

/// Where a payment is in its lifecycle. A new payment is `Pending`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Pending,
    RequiresCapture,
    Succeeded,
    Failed,
    Cancelled,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 5] = [
        Self::Pending,
        Self::RequiresCapture,
        Self::Succeeded,
        Self::Failed,
        Self::Cancelled,
    ];

    pub fn parse(param: &str, value: &str) -> Result<Self, ValidationError> {
        Self::ALL.into_iter().find(|s| s.as_str() == value).ok_or_else(|| {
            let all: Vec<&str> = Self::ALL.iter().map(|s| s.as_str()).collect();
            ValidationError::invalid(
                param,
                format!("Invalid {param}: '{value}'. It must be one of: {}.", all.join(", ")),
            )
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::RequiresCapture => "requires_capture",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureMethod {
    #[default]
    Automatic,
    Manual,
}

impl CaptureMethod {
    pub fn parse(param: &str, value: &str) -> Result<Self, ValidationError> {
        match value {
            "automatic" => Ok(Self::Automatic),
            "manual" => Ok(Self::Manual),
            other => Err(ValidationError::invalid(
                param,
                format!("Invalid {param}: '{other}'. It must be one of: automatic, manual."),
            )),
        }
    }
}

/// An absolute URL to send the customer back to: https, or http for a
/// loopback host only (for local development).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct ReturnUrl(String);

impl ReturnUrl {
    pub fn parse(param: &str, raw: String) -> Result<Self, ValidationError> {
        let raw = bounded_string(param, raw, MAX_URL_CHARS)?;
        let invalid = |why: &str| ValidationError::new(param, "url_invalid", format!("Invalid {param}: {why}"));
        let url = url::Url::parse(&raw).map_err(|e| invalid(&format!("not an absolute URL ({e}).")))?;
        let loopback = match url.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => return Err(invalid("the URL has no host.")),
        };
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" => return Err(invalid("it must use https (http is allowed only for localhost).")),
            other => return Err(invalid(&format!("scheme '{other}' is not allowed; use https."))),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("the URL must not contain credentials."));
        }
        Ok(Self(raw))
    }

    /// Whether the URL's host is this machine or a private network: a
    /// literal IP address that is not public ([`super::address::is_public`]:
    /// loopback, private, shared, link-local, reserved, documentation,
    /// IPv4-mapped forms of these, ...), `localhost` or a name under
    /// `.localhost` or `.internal`. Other names cannot be judged here (they
    /// can resolve anywhere, and change): the delivery connector checks
    /// every address it connects to.
    pub fn is_internal(&self) -> bool {
        let Ok(url) = url::Url::parse(&self.0) else { return true };
        match url.host() {
            Some(url::Host::Domain(d)) => {
                let d = d.to_ascii_lowercase();
                d == "localhost" || d.ends_with(".localhost") || d.ends_with(".internal")
            }
            Some(url::Host::Ipv4(ip)) => !super::address::is_public(ip.into()),
            Some(url::Host::Ipv6(ip)) => !super::address::is_public(ip.into()),
            None => true,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How long a manual-capture hold lasts before it is cancelled.
pub const HOLD_SECONDS: i64 = 7 * 24 * 60 * 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancellationReason {
    Duplicate,
    Fraudulent,
    RequestedByCustomer,
    Abandoned,
    /// The hold expired.
    Automatic,
}

impl CancellationReason {
    /// What a merchant may give (`automatic` is ours).
    pub fn parse(param: &str, value: &str) -> Result<Self, ValidationError> {
        match value {
            "duplicate" => Ok(Self::Duplicate),
            "fraudulent" => Ok(Self::Fraudulent),
            "requested_by_customer" => Ok(Self::RequestedByCustomer),
            "abandoned" => Ok(Self::Abandoned),
            other => Err(ValidationError::invalid(
                param,
                format!(
                    "Invalid {param}: '{other}'. It must be one of: duplicate, fraudulent, requested_by_customer, abandoned."
                ),
            )),
        }
    }
}

/// Why a confirmation failed, as the card network said.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PaymentError {
    pub code: String,
    pub decline_code: String,
    pub message: String,
}

/// `POST /v1/payments/{id}/confirm`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmPayment {
    /// A stored payment method, or a test card's alias (`pm_card_visa`).
    pub payment_method: PaymentMethodRef,
    /// Required with a publishable key.
    pub client_secret: Option<String>,
}

/// `POST /v1/payments/{id}/capture`, validated: how much to capture (all
/// that is capturable when `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CapturePayment {
    pub amount: Option<MinorUnits>,
}

/// `POST /v1/payments/{id}/cancel`, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CancelPayment {
    pub reason: Option<CancellationReason>,
}

/// Why a transition did not happen.
#[derive(Clone, Debug, PartialEq)]
pub enum TransitionRefused {
    /// Not allowed from the current status.
    UnexpectedState(String),
    /// Live mode has no card network connected in this product.
    LiveNetworkUnavailable,
    /// The network declined: the payment as it now is (`failed`).
    Declined(Box<Payment>),
    HoldExpired,
    InvalidCaptureAmount {
        requested: MinorUnits,
        capturable: MinorUnits,
    },
}

/// Which payments a list returns: any combination of filters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PaymentFilter {
    pub customer: Option<CustomerId>,
    pub status: Option<PaymentStatus>,
    pub created: super::CreatedRange,
}

/// A validated request to create a payment.
#[derive(Clone, Debug, PartialEq)]
pub struct NewPayment {
    pub amount: Amount,
    pub currency: Currency,
    pub customer_id: Option<CustomerId>,
    pub description: Option<String>,
    pub capture_method: CaptureMethod,
    pub metadata: Metadata,
    pub return_url: Option<ReturnUrl>,
    /// Where its receipts go (else its customer's email, when one is sent).
    pub receipt_email: Option<Email>,
}

/// `POST /v1/payments/{id}`, validated: what may change on a payment in any
/// state. An empty string clears a field; metadata merges key by key.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PaymentUpdate {
    pub description: Patch<String>,
    pub metadata: MetadataPatch,
    pub receipt_email: Patch<Email>,
}

pub fn parse_description(param: &str, raw: String) -> Result<String, ValidationError> {
    bounded_string(param, raw, MAX_DESCRIPTION_CHARS)
}

/// A payment as stored. (The store persists it with serde; the API shows it
/// through [`crate::http::wire::PaymentObject`].)
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Payment {
    pub id: PaymentId,
    pub mode: Mode,
    pub amount: Amount,
    pub currency: Currency,
    pub customer_id: Option<CustomerId>,
    pub description: Option<String>,
    pub capture_method: CaptureMethod,
    // Empty maps are not stored: DynamoDB Local's stream renders them as an
    // attribute value without a type, which no client can read.
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
    pub return_url: Option<ReturnUrl>,
    pub status: PaymentStatus,
    /// The card it was confirmed with.
    pub payment_method: Option<PaymentMethodId>,
    /// How the simulated network fails refunds of that card, if it does
    /// (copied from the payment method at confirmation, so a refund needs
    /// no read of it); never shown.
    pub refund_failure: Option<RefundFailureReason>,
    /// Its capture's funds are available at once (copied from the payment
    /// method: test card `4000 0000 0000 0077`); never shown.
    #[serde(default)]
    pub bypass_pending: bool,
    /// Held and not yet captured (manual capture).
    #[serde(default)]
    pub amount_capturable: MinorUnits,
    /// Captured.
    #[serde(default)]
    pub amount_received: MinorUnits,
    /// A hold not captured by then is cancelled (reason `automatic`).
    pub capture_before: Option<i64>,
    pub cancellation_reason: Option<CancellationReason>,
    /// Why the last confirmation failed.
    pub last_payment_error: Option<PaymentError>,
    /// `{id}_secret_{random}`: lets a browser confirm this one payment with
    /// a publishable key. Returned on create and retrieve, never listed.
    #[serde(default)]
    pub client_secret: String,
    /// The balance transaction of its capture (`txn_...`), once captured.
    pub balance_transaction: Option<super::TxnId>,
    /// When its capture's funds become available (that transaction's
    /// `available_on`: a refund is taken from them while they are pending);
    /// never shown.
    pub funds_available_on: Option<i64>,
    /// Minor units refunded so far.
    #[serde(default)]
    pub amount_refunded: MinorUnits,
    /// Minor units that can still be refunded: the captured amount less
    /// what was refunded. Stored (not derived) because DynamoDB conditions
    /// cannot do arithmetic: a refund is conditioned on
    /// `amount_refundable >= :amount` and decrements it in the same write.
    #[serde(default)]
    pub amount_refundable: MinorUnits,
    /// Where its receipts go (else its customer's email, read when one is
    /// sent).
    pub receipt_email: Option<Email>,
    /// 128 random bits in its receipt URL's token ([`super::ReceiptToken`]):
    /// the hosted receipt page opens only with it. Empty on payments made
    /// before receipts (they have no receipt page).
    #[serde(default)]
    pub receipt_secret: String,
    /// The hosted receipt page (its token included), on the host the
    /// payment was created through; shown once the payment succeeded.
    pub receipt_url: Option<String>,
    pub created: i64,
}

impl Payment {
    /// A new pending payment.
    pub fn create(new: NewPayment, mode: Mode, created: i64) -> Self {
        Self {
            id: PaymentId::generate(),
            mode,
            amount: new.amount,
            currency: new.currency,
            customer_id: new.customer_id,
            description: new.description,
            capture_method: new.capture_method,
            metadata: new.metadata,
            return_url: new.return_url,
            status: PaymentStatus::Pending,
            payment_method: None,
            refund_failure: None,
            bypass_pending: false,
            amount_capturable: MinorUnits::ZERO,
            amount_received: MinorUnits::ZERO,
            capture_before: None,
            cancellation_reason: None,
            last_payment_error: None,
            client_secret: String::new(),
            balance_transaction: None,
            funds_available_on: None,
            amount_refunded: MinorUnits::ZERO,
            amount_refundable: MinorUnits::ZERO,
            receipt_email: new.receipt_email,
            receipt_secret: super::receipt::new_secret(),
            receipt_url: None,
            created,
        }
        .with_client_secret()
    }

    /// The payment with its receipt URL: the hosted receipt page under
    /// `base` (the API's public URL, `https://{host}[/{stage}]`).
    pub fn with_receipt_url(self, base: &str, tenant: &Tenant) -> Self {
        let token = super::ReceiptToken {
            account_id: tenant.account_id.clone(),
            mode: tenant.mode,
            payment_id: self.id.clone(),
            secret: self.receipt_secret.clone(),
        };
        Self {
            receipt_url: Some(format!("{}/receipts/{token}", base.trim_end_matches('/'))),
            ..self
        }
    }

    /// The receipt URL as the API shows it: once there is something to
    /// show a receipt for (the payment succeeded).
    pub fn public_receipt_url(&self) -> Option<&str> {
        (self.status == PaymentStatus::Succeeded)
            .then_some(self.receipt_url.as_deref())
            .flatten()
    }

    /// Whether `presented` is this payment's receipt secret (constant time).
    pub fn receipt_secret_matches(&self, presented: &str) -> bool {
        use subtle::ConstantTimeEq;
        !self.receipt_secret.is_empty() && bool::from(self.receipt_secret.as_bytes().ct_eq(presented.as_bytes()))
    }

    /// The payment after `update`: fields replaced or cleared, metadata
    /// merged key by key (checked against the metadata limits).
    pub fn updated(&self, update: PaymentUpdate) -> Result<Payment, ValidationError> {
        Ok(Payment {
            description: update.description.apply(self.description.clone()),
            metadata: self.metadata.merged("metadata", &update.metadata)?,
            receipt_email: update.receipt_email.apply(self.receipt_email.clone()),
            ..self.clone()
        })
    }

    fn with_client_secret(mut self) -> Self {
        let mut random = [0u8; 18];
        getrandom::fill(&mut random).expect("the OS random number generator failed");
        let tail: String = random.iter().map(|b| format!("{b:02x}")).collect();
        self.client_secret = format!("{}_secret_{tail}", self.id);
        self
    }

    /// The payment with its whole amount captured: `succeeded`, the captured
    /// amount received and refundable.
    pub fn captured(self) -> Self {
        let amount = self.amount.into();
        self.capture_amount(amount)
    }

    fn capture_amount(self, amount: MinorUnits) -> Self {
        Self {
            status: PaymentStatus::Succeeded,
            amount_received: amount,
            amount_capturable: MinorUnits::ZERO,
            amount_refundable: amount.saturating_sub(self.amount_refunded),
            capture_before: None,
            last_payment_error: None,
            ..self
        }
    }

    fn unexpected(&self, action: &str, done: &str, allowed: &str) -> TransitionRefused {
        TransitionRefused::UnexpectedState(format!(
            "You cannot {action} this payment because it has a status of {}. Only payments with a status of {allowed} can be {done}.",
            self.status.as_str()
        ))
    }

    /// Confirms the payment with a card: the (simulated) network approves
    /// or declines. Allowed from `pending`, or `failed` (another try).
    pub fn confirm(&self, method: &PaymentMethod, now: i64) -> Result<Payment, TransitionRefused> {
        if !matches!(self.status, PaymentStatus::Pending | PaymentStatus::Failed) {
            return Err(self.unexpected("confirm", "confirmed", "pending or failed"));
        }
        if self.mode == Mode::Live {
            return Err(TransitionRefused::LiveNetworkUnavailable);
        }
        let confirmed = Payment {
            payment_method: Some(method.id.clone()),
            refund_failure: method.refund_failure,
            bypass_pending: method.bypass_pending,
            ..self.clone()
        };
        match &method.outcome {
            NetworkOutcome::Approve => Ok(match self.capture_method {
                CaptureMethod::Automatic => confirmed.captured(),
                CaptureMethod::Manual => Payment {
                    status: PaymentStatus::RequiresCapture,
                    amount_capturable: self.amount.into(),
                    capture_before: Some(now + HOLD_SECONDS),
                    last_payment_error: None,
                    ..confirmed
                },
            }),
            NetworkOutcome::Decline {
                code,
                decline_code,
                message,
            } => Err(TransitionRefused::Declined(Box::new(Payment {
                status: PaymentStatus::Failed,
                last_payment_error: Some(PaymentError {
                    code: code.clone(),
                    decline_code: decline_code.clone(),
                    message: message.clone(),
                }),
                ..confirmed
            }))),
        }
    }

    /// Captures a hold: all of it, or `amount` (the rest is released).
    pub fn capture(&self, command: &CapturePayment, now: i64) -> Result<Payment, TransitionRefused> {
        if self.status != PaymentStatus::RequiresCapture {
            return Err(self.unexpected("capture", "captured", "requires_capture"));
        }
        if self.hold_expired(now) {
            return Err(TransitionRefused::HoldExpired);
        }
        let amount = command.amount.unwrap_or(self.amount_capturable);
        if amount.is_zero() || amount > self.amount_capturable {
            return Err(TransitionRefused::InvalidCaptureAmount {
                requested: amount,
                capturable: self.amount_capturable,
            });
        }
        Ok(self.clone().capture_amount(amount))
    }

    /// Cancels a payment that has not been captured.
    pub fn cancel(&self, command: &CancelPayment) -> Result<Payment, TransitionRefused> {
        let reason = command.reason;
        if !matches!(
            self.status,
            PaymentStatus::Pending | PaymentStatus::RequiresCapture | PaymentStatus::Failed
        ) {
            return Err(self.unexpected("cancel", "cancelled", "pending, failed or requires_capture"));
        }
        Ok(Payment {
            status: PaymentStatus::Cancelled,
            cancellation_reason: reason,
            amount_capturable: MinorUnits::ZERO,
            capture_before: None,
            ..self.clone()
        })
    }

    pub fn hold_expired(&self, now: i64) -> bool {
        self.status == PaymentStatus::RequiresCapture && self.capture_before.is_some_and(|t| t <= now)
    }

    /// The payment as it is at `now`: an expired hold is cancelled
    /// (`automatic`). `None` if nothing changes.
    pub fn expire_hold(&self, now: i64) -> Option<Payment> {
        self.hold_expired(now)
            .then(|| {
                self.cancel(&CancelPayment {
                    reason: Some(CancellationReason::Automatic),
                })
                .ok()
            })
            .flatten()
    }

    /// True once everything captured has been refunded.
    pub fn refunded(&self) -> bool {
        self.status == PaymentStatus::Succeeded && !self.amount_refunded.is_zero() && self.amount_refundable.is_zero()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(v: i64) -> MinorUnits {
        MinorUnits::new(v).unwrap()
    }

    #[test]
    fn return_urls() {
        let ok = |s: &str| ReturnUrl::parse("return_url", s.to_string());
        assert!(ok("https://shop.example/done?order=1").is_ok());
        assert!(ok("http://localhost:8080/done").is_ok());
        assert!(ok("http://127.0.0.1/done").is_ok());
        assert!(ok("http://[::1]:3000/").is_ok());
        for bad in [
            "http://shop.example/done",
            "/relative/path",
            "javascript:alert(1)",
            "ftp://shop.example/",
            "https://user:pw@shop.example/",
            "",
        ] {
            let e = ok(bad).unwrap_err();
            assert_eq!(e.param, "return_url", "{bad}");
        }
        assert!(ok(&format!("https://a.example/{}", "x".repeat(2048))).is_err());
    }

    #[test]
    fn internal_hosts() {
        let url = |s: &str| ReturnUrl::parse("url", s.to_string()).unwrap();
        for internal in [
            "http://localhost:4000/h",
            "http://127.0.0.1/h",
            "https://10.0.0.5/h",
            "https://169.254.169.254/latest",
            "https://192.168.1.1/",
            "https://[fd00::1]/",
            "https://svc.internal/",
            "https://[::ffff:0.0.0.0]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[64:ff9b::a00:1]/",
            "https://100.64.0.1/",
            "https://198.18.0.1/",
            "https://240.0.0.1/",
            "https://255.255.255.255/",
            "https://0x7f.1/",
            "https://2130706433/",
        ] {
            assert!(url(internal).is_internal(), "{internal}");
        }
        for public in [
            "https://shop.example/hooks",
            "https://8.8.8.8/",
            "https://100.63.255.255/",
            "https://[2606:4700:4700::1111]/",
        ] {
            assert!(!url(public).is_internal(), "{public}");
        }
    }

    #[test]
    fn capture_methods() {
        assert_eq!(
            CaptureMethod::parse("capture_method", "manual").unwrap(),
            CaptureMethod::Manual
        );
        assert_eq!(CaptureMethod::default(), CaptureMethod::Automatic);
        let e = CaptureMethod::parse("capture_method", "later").unwrap_err();
        assert!(e.message.contains("automatic, manual"));
    }

    fn method(number: &str) -> PaymentMethod {
        let card = crate::domain::CardInput {
            number: number.into(),
            exp_month: 12,
            exp_year: 2030,
            cvc: "123".into(),
        }
        .validate(b"k", 1_795_521_600)
        .unwrap();
        PaymentMethod::create(card, Mode::Test, 0)
    }

    fn pending(capture: CaptureMethod) -> Payment {
        let usd = Currency::from_code("usd").unwrap();
        Payment::create(
            NewPayment {
                amount: Amount::for_charge("amount", 1000, usd).unwrap(),
                currency: usd,
                customer_id: None,
                description: None,
                capture_method: capture,
                metadata: Metadata::default(),
                return_url: None,
                receipt_email: None,
            },
            Mode::Test,
            0,
        )
    }

    #[test]
    fn the_state_machine() {
        let now = 1_000;
        let ok = method("4242424242424242");
        let declined = method("4000000000009995");

        let p = pending(CaptureMethod::Automatic).confirm(&ok, now).unwrap();
        assert_eq!(
            (p.status, p.amount_received, p.amount_refundable),
            (PaymentStatus::Succeeded, m(1000), m(1000))
        );
        assert!(
            matches!(p.confirm(&ok, now), Err(TransitionRefused::UnexpectedState(_))),
            "confirming twice"
        );
        assert!(matches!(
            p.cancel(&CancelPayment {
                reason: Some(CancellationReason::Duplicate)
            }),
            Err(TransitionRefused::UnexpectedState(_))
        ));

        let Err(TransitionRefused::Declined(failed)) = pending(CaptureMethod::Automatic).confirm(&declined, now) else {
            panic!("declined")
        };
        assert_eq!(failed.status, PaymentStatus::Failed);
        assert_eq!(
            failed.last_payment_error.as_ref().unwrap().decline_code,
            "insufficient_funds"
        );
        let retried = failed.confirm(&ok, now).unwrap();
        assert_eq!(
            retried.status,
            PaymentStatus::Succeeded,
            "a failed payment can be tried again"
        );
        assert!(retried.last_payment_error.is_none());

        let held = pending(CaptureMethod::Manual).confirm(&ok, now).unwrap();
        assert_eq!(
            (held.status, held.amount_capturable),
            (PaymentStatus::RequiresCapture, m(1000))
        );
        assert_eq!(held.capture_before, Some(now + HOLD_SECONDS));
        assert!(matches!(
            held.capture(&CapturePayment { amount: Some(m(1001)) }, now),
            Err(TransitionRefused::InvalidCaptureAmount { .. })
        ));
        let part = held.capture(&CapturePayment { amount: Some(m(600)) }, now).unwrap();
        assert_eq!(
            (
                part.status,
                part.amount_received,
                part.amount_capturable,
                part.amount_refundable
            ),
            (PaymentStatus::Succeeded, m(600), m(0), m(600))
        );
        let cancelled = held
            .cancel(&CancelPayment {
                reason: Some(CancellationReason::RequestedByCustomer),
            })
            .unwrap();
        assert_eq!(
            (cancelled.status, cancelled.amount_capturable),
            (PaymentStatus::Cancelled, m(0))
        );

        assert!(held.expire_hold(now + HOLD_SECONDS - 1).is_none());
        let expired = held.expire_hold(now + HOLD_SECONDS).unwrap();
        assert_eq!(expired.cancellation_reason, Some(CancellationReason::Automatic));
        assert_eq!(
            held.capture(&CapturePayment::default(), now + HOLD_SECONDS),
            Err(TransitionRefused::HoldExpired)
        );

        let live = Payment {
            mode: Mode::Live,
            ..pending(CaptureMethod::Automatic)
        };
        assert_eq!(live.confirm(&ok, now), Err(TransitionRefused::LiveNetworkUnavailable));
        assert!(held.client_secret.starts_with(&format!("{}_secret_", held.id)));
    }

    #[test]
    fn new_payments_are_pending() {
        let new = NewPayment {
            amount: Amount::for_charge("amount", 4999, Currency::from_code("usd").unwrap()).unwrap(),
            currency: Currency::from_code("usd").unwrap(),
            customer_id: None,
            description: None,
            capture_method: CaptureMethod::Automatic,
            metadata: Metadata::default(),
            return_url: None,
            receipt_email: None,
        };
        let p = Payment::create(new, Mode::Test, 1_700_000_000);
        assert_eq!(p.status, PaymentStatus::Pending);
        assert_eq!(p.amount_refunded, m(0));
        assert!(p.id.as_str().starts_with("pay_"));
    }
}
