//! Payments.

use super::{error::bounded_string, Amount, Currency, CustomerId, Metadata, Mode, PaymentId, ValidationError};

pub const MAX_DESCRIPTION_CHARS: usize = 1000;
pub const MAX_URL_CHARS: usize = 2048;

/// Where a payment is in its lifecycle. A new payment is `Pending`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Pending,
    Succeeded,
    Failed,
    Cancelled,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 4] = [Self::Pending, Self::Succeeded, Self::Failed, Self::Cancelled];

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

    pub fn as_str(&self) -> &str {
        &self.0
    }
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
}

pub fn parse_description(param: &str, raw: String) -> Result<String, ValidationError> {
    bounded_string(param, raw, MAX_DESCRIPTION_CHARS)
}

/// A payment as stored. (The store persists it with serde; the API shows it
/// through [`crate::http::wire::PaymentObject`].)
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Payment {
    pub id: PaymentId,
    pub mode: Mode,
    pub amount: Amount,
    pub currency: Currency,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<CustomerId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub capture_method: CaptureMethod,
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<ReturnUrl>,
    pub status: PaymentStatus,
    /// Minor units refunded so far.
    #[serde(default)]
    pub amount_refunded: i64,
    /// Minor units that can still be refunded: the captured amount less
    /// what was refunded. Stored (not derived) because DynamoDB conditions
    /// cannot do arithmetic: a refund is conditioned on
    /// `amount_refundable >= :amount` and decrements it in the same write.
    #[serde(default)]
    pub amount_refundable: i64,
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
            amount_refunded: 0,
            amount_refundable: 0,
            created,
        }
    }

    /// The payment after its funds were captured: `succeeded`, with the
    /// captured amount refundable. (The confirmation flow that calls this
    /// is the payment lifecycle's; tests use it to make refundable payments.)
    pub fn captured(self) -> Self {
        Self {
            status: PaymentStatus::Succeeded,
            amount_refundable: self.amount.get() - self.amount_refunded,
            ..self
        }
    }

    /// True once everything captured has been refunded.
    pub fn refunded(&self) -> bool {
        self.status == PaymentStatus::Succeeded && self.amount_refunded > 0 && self.amount_refundable == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn capture_methods() {
        assert_eq!(
            CaptureMethod::parse("capture_method", "manual").unwrap(),
            CaptureMethod::Manual
        );
        assert_eq!(CaptureMethod::default(), CaptureMethod::Automatic);
        let e = CaptureMethod::parse("capture_method", "later").unwrap_err();
        assert!(e.message.contains("automatic, manual"));
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
        };
        let p = Payment::create(new, Mode::Test, 1_700_000_000);
        assert_eq!(p.status, PaymentStatus::Pending);
        assert_eq!(p.amount_refunded, 0);
        assert!(p.id.as_str().starts_with("pay_"));
    }
}
