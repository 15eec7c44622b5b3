//! Cards and payment methods, and the simulated card network of test mode.
//!
//! A card's number and CVC exist only while a payment method is created:
//! they are validated, the simulated network's answer for the number is
//! decided, and only the brand, the last four digits, the expiry, a keyed
//! fingerprint and that answer are kept.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::{CustomerId, Mode, PaymentId, PaymentMethodId, RefundFailureReason, ValidationError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Brand {
    Visa,
    Mastercard,
    Amex,
    Discover,
    Jcb,
    Diners,
    Unionpay,
    Unknown,
}

impl Brand {
    /// The brand as a receipt names it.
    pub fn label(self) -> &'static str {
        match self {
            Brand::Visa => "Visa",
            Brand::Mastercard => "Mastercard",
            Brand::Amex => "American Express",
            Brand::Discover => "Discover",
            Brand::Jcb => "JCB",
            Brand::Diners => "Diners Club",
            Brand::Unionpay => "UnionPay",
            Brand::Unknown => "Card",
        }
    }

    fn of(number: &str) -> Self {
        let prefix = |n: usize| number.get(..n).and_then(|p| p.parse::<u32>().ok()).unwrap_or(0);
        match () {
            _ if number.starts_with('4') => Brand::Visa,
            _ if (51..=55).contains(&prefix(2)) || (2221..=2720).contains(&prefix(4)) => Brand::Mastercard,
            _ if matches!(prefix(2), 34 | 37) => Brand::Amex,
            _ if prefix(4) == 6011 || prefix(2) == 65 || (644..=649).contains(&prefix(3)) => Brand::Discover,
            _ if (3528..=3589).contains(&prefix(4)) => Brand::Jcb,
            _ if prefix(2) == 36 || prefix(2) == 38 || (300..=305).contains(&prefix(3)) => Brand::Diners,
            _ if prefix(2) == 62 => Brand::Unionpay,
            _ => Brand::Unknown,
        }
    }
}

/// What the (simulated) card network answers when this card is charged.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum NetworkOutcome {
    Approve,
    Decline {
        /// `card_declined`, `expired_card`, `incorrect_cvc` or
        /// `processing_error`, as Stripe names them.
        code: String,
        /// Why the issuer declined: `generic_decline`, `insufficient_funds`, ...
        decline_code: String,
        message: String,
    },
}

fn decline(code: &str, decline_code: &str, message: &str) -> NetworkOutcome {
    NetworkOutcome::Decline {
        code: code.into(),
        decline_code: decline_code.into(),
        message: message.into(),
    }
}

/// The test cards: deterministic outcomes in test mode. (Documented in the
/// README; any other number is declined in test mode, as a real card would
/// be.)
pub const TEST_CARDS: &[(&str, &str)] = &[
    ("4242424242424242", "succeeds (Visa)"),
    ("5555555555554444", "succeeds (Mastercard)"),
    ("378282246310005", "succeeds (American Express)"),
    ("6011111111111117", "succeeds (Discover)"),
    ("3566002020360505", "succeeds (JCB)"),
    (
        "4000000000005126",
        "succeeds; every refund of it fails a few seconds later (expired_or_canceled_card)",
    ),
    (
        "4000000000000077",
        "succeeds; the capture's funds are available at once (no pending period)",
    ),
    ("4000000000000002", "declined: card_declined / generic_decline"),
    ("4000000000009995", "declined: card_declined / insufficient_funds"),
    ("4000000000009987", "declined: card_declined / lost_card"),
    ("4000000000009979", "declined: card_declined / stolen_card"),
    ("4000000000000069", "declined: expired_card / expired_card"),
    ("4000000000000127", "declined: incorrect_cvc / incorrect_cvc"),
    ("4000000000000119", "declined: processing_error / processing_error"),
];

/// Stripe's test payment methods: in test mode, confirming with one of these
/// names (`pm_card_visa`, ...) tokenises its test card into a fresh payment
/// method, as `POST /v1/payment_methods` would, and confirms with that.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestCard {
    Visa,
    Mastercard,
    Amex,
    Discover,
    Jcb,
    RefundFail,
    BypassPending,
    ChargeDeclined,
    ChargeDeclinedInsufficientFunds,
    ChargeDeclinedLostCard,
    ChargeDeclinedStolenCard,
    ChargeDeclinedExpiredCard,
    ChargeDeclinedIncorrectCvc,
    ChargeDeclinedProcessingError,
}

impl TestCard {
    pub const ALL: [TestCard; 14] = [
        TestCard::Visa,
        TestCard::Mastercard,
        TestCard::Amex,
        TestCard::Discover,
        TestCard::Jcb,
        TestCard::RefundFail,
        TestCard::BypassPending,
        TestCard::ChargeDeclined,
        TestCard::ChargeDeclinedInsufficientFunds,
        TestCard::ChargeDeclinedLostCard,
        TestCard::ChargeDeclinedStolenCard,
        TestCard::ChargeDeclinedExpiredCard,
        TestCard::ChargeDeclinedIncorrectCvc,
        TestCard::ChargeDeclinedProcessingError,
    ];

    /// Stripe's name for it.
    pub fn alias(self) -> &'static str {
        match self {
            TestCard::Visa => "pm_card_visa",
            TestCard::Mastercard => "pm_card_mastercard",
            TestCard::Amex => "pm_card_amex",
            TestCard::Discover => "pm_card_discover",
            TestCard::Jcb => "pm_card_jcb",
            TestCard::RefundFail => "pm_card_refundFail",
            TestCard::BypassPending => "pm_card_bypassPending",
            TestCard::ChargeDeclined => "pm_card_chargeDeclined",
            TestCard::ChargeDeclinedInsufficientFunds => "pm_card_chargeDeclinedInsufficientFunds",
            TestCard::ChargeDeclinedLostCard => "pm_card_chargeDeclinedLostCard",
            TestCard::ChargeDeclinedStolenCard => "pm_card_chargeDeclinedStolenCard",
            TestCard::ChargeDeclinedExpiredCard => "pm_card_chargeDeclinedExpiredCard",
            TestCard::ChargeDeclinedIncorrectCvc => "pm_card_chargeDeclinedIncorrectCvc",
            TestCard::ChargeDeclinedProcessingError => "pm_card_chargeDeclinedProcessingError",
        }
    }

    /// Its number: one of [`TEST_CARDS`].
    pub fn number(self) -> &'static str {
        match self {
            TestCard::Visa => "4242424242424242",
            TestCard::Mastercard => "5555555555554444",
            TestCard::Amex => "378282246310005",
            TestCard::Discover => "6011111111111117",
            TestCard::Jcb => "3566002020360505",
            TestCard::RefundFail => "4000000000005126",
            TestCard::BypassPending => "4000000000000077",
            TestCard::ChargeDeclined => "4000000000000002",
            TestCard::ChargeDeclinedInsufficientFunds => "4000000000009995",
            TestCard::ChargeDeclinedLostCard => "4000000000009987",
            TestCard::ChargeDeclinedStolenCard => "4000000000009979",
            TestCard::ChargeDeclinedExpiredCard => "4000000000000069",
            TestCard::ChargeDeclinedIncorrectCvc => "4000000000000127",
            TestCard::ChargeDeclinedProcessingError => "4000000000000119",
        }
    }

    pub fn from_alias(alias: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.alias() == alias)
    }

    /// The card as a client would present it: December, ten years after
    /// `now` (Unix seconds), with a CVC of the brand's length.
    pub fn input(self, now: i64) -> CardInput {
        let today = time::OffsetDateTime::from_unix_timestamp(now).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        CardInput {
            number: self.number().to_owned(),
            exp_month: 12,
            exp_year: i64::from(today.year()) + 10,
            cvc: if self == TestCard::Amex { "1234" } else { "123" }.to_owned(),
        }
    }
}

/// The payment method a request names: a stored one, or (test mode only) a
/// test card's alias, tokenised when used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaymentMethodRef {
    Id(PaymentMethodId),
    TestAlias(TestCard),
}

impl PaymentMethodRef {
    pub fn as_str(&self) -> &str {
        match self {
            PaymentMethodRef::Id(id) => id.as_str(),
            PaymentMethodRef::TestAlias(card) => card.alias(),
        }
    }
}

impl TryFrom<String> for PaymentMethodRef {
    type Error = super::ids::InvalidId;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        match TestCard::from_alias(&s) {
            Some(card) => Ok(PaymentMethodRef::TestAlias(card)),
            None => PaymentMethodId::try_from(s).map(PaymentMethodRef::Id),
        }
    }
}

fn test_outcome(number: &str) -> NetworkOutcome {
    match number {
        "4242424242424242" | "5555555555554444" | "378282246310005" | "6011111111111117" | "3566002020360505"
        | "4000000000005126" | "4000000000000077" => NetworkOutcome::Approve,
        "4000000000000002" => decline("card_declined", "generic_decline", "Your card was declined."),
        "4000000000009995" => decline(
            "card_declined",
            "insufficient_funds",
            "Your card has insufficient funds.",
        ),
        "4000000000009987" => decline("card_declined", "lost_card", "Your card was declined."),
        "4000000000009979" => decline("card_declined", "stolen_card", "Your card was declined."),
        "4000000000000069" => decline("expired_card", "expired_card", "Your card has expired."),
        "4000000000000127" => decline(
            "incorrect_cvc",
            "incorrect_cvc",
            "Your card's security code is incorrect.",
        ),
        "4000000000000119" => decline(
            "processing_error",
            "processing_error",
            "An error occurred while processing your card. Try again in a little bit.",
        ),
        _ => decline(
            "card_declined",
            "test_mode_live_card",
            "Your card was declined: this is test mode, and only the documented test cards can be used.",
        ),
    }
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The card as stored: never the number or the CVC.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Card {
    pub brand: Brand,
    pub last4: String,
    pub exp_month: u8,
    pub exp_year: u16,
    /// HMAC-SHA256 of the number with the deployment's fingerprint key:
    /// the same card gives the same fingerprint, and the number cannot be
    /// recovered from it without the key.
    pub fingerprint: String,
}

/// A card as presented for tokenisation. It has no `Debug`: it cannot be
/// logged by accident.
pub struct CardInput {
    pub number: String,
    pub exp_month: i64,
    pub exp_year: i64,
    pub cvc: String,
}

/// A validated card, ready to become a payment method (no number, no CVC).
#[derive(Debug)]
pub struct ValidCard {
    pub card: Card,
    pub outcome: NetworkOutcome,
    /// How the (simulated) network fails this card's refunds, if it does.
    pub refund_failure: Option<RefundFailureReason>,
    /// Its captures' funds are available at once (test card
    /// `4000 0000 0000 0077`).
    pub bypass_pending: bool,
}

/// The simulated network's answer to refunds of a test card: only
/// `4000 0000 0000 5126`'s fail.
fn test_refund_failure(number: &str) -> Option<RefundFailureReason> {
    (number == "4000000000005126").then_some(RefundFailureReason::ExpiredOrCanceledCard)
}

/// A card number as the card network reads it: without the spaces and
/// dashes people type.
pub fn normalized_number(number: &str) -> String {
    number.chars().filter(|c| !matches!(c, ' ' | '-')).collect()
}

/// The card's `fingerprint`: an HMAC of its (normalized) number under the
/// deployment's `CARD_FINGERPRINT_KEY`, the same for the same card across
/// an account, and of no use to anyone without the key.
pub fn card_fingerprint(fingerprint_key: &[u8], number: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(fingerprint_key).expect("HMAC takes keys of any length");
    mac.update(normalized_number(number).as_bytes());
    mac.finalize().into_bytes()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl CardInput {
    /// Luhn, expiry (this month or later) and CVC length (4 for Amex, 3
    /// otherwise). `now` is Unix seconds.
    pub fn validate(self, fingerprint_key: &[u8], now: i64) -> Result<ValidCard, ValidationError> {
        let number = normalized_number(&self.number);
        let card_error = |param: &str, code: &'static str, message: &str| {
            ValidationError::new(format!("card[{param}]"), code, message)
        };
        if !(12..=19).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) || !luhn(&number) {
            return Err(card_error(
                "number",
                "incorrect_number",
                "The card number is incorrect.",
            ));
        }
        if !(1..=12).contains(&self.exp_month) {
            return Err(card_error(
                "exp_month",
                "invalid_expiry_month",
                "The card's expiration month is invalid.",
            ));
        }
        let today = time::OffsetDateTime::from_unix_timestamp(now).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let (year, month) = (i64::from(today.year()), i64::from(u8::from(today.month())));
        if !(year..=year + 50).contains(&self.exp_year) {
            return Err(card_error(
                "exp_year",
                "invalid_expiry_year",
                "The card's expiration year is invalid.",
            ));
        }
        if (self.exp_year, self.exp_month) < (year, month) {
            return Err(card_error("exp_month", "expired_card", "The card has expired."));
        }
        let brand = Brand::of(&number);
        let cvc_len = if brand == Brand::Amex { 4 } else { 3 };
        if self.cvc.len() != cvc_len || !self.cvc.bytes().all(|b| b.is_ascii_digit()) {
            return Err(card_error("cvc", "invalid_cvc", "The card's security code is invalid."));
        }
        let fingerprint = card_fingerprint(fingerprint_key, &number);
        Ok(ValidCard {
            outcome: test_outcome(&number),
            refund_failure: test_refund_failure(&number),
            bypass_pending: number == "4000000000000077",
            card: Card {
                brand,
                last4: number[number.len() - 4..].to_owned(),
                exp_month: self.exp_month as u8,
                exp_year: self.exp_year as u16,
                fingerprint,
            },
        })
    }
}

/// A tokenised card.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PaymentMethod {
    pub id: PaymentMethodId,
    pub mode: Mode,
    pub card: Card,
    /// The simulated network's answer for this card (test mode); never shown.
    pub outcome: NetworkOutcome,
    /// How the simulated network fails refunds of it, if it does; never
    /// shown. (Absent on payment methods written before: refunds succeed.)
    pub refund_failure: Option<RefundFailureReason>,
    /// Its captures' funds are available at once; never shown.
    #[serde(default)]
    pub bypass_pending: bool,
    pub customer: Option<CustomerId>,
    /// The payment first confirmed with it. As on Stripe, a payment method
    /// that is not attached to a customer serves that one payment only (it
    /// may be retried there after a decline); one attached serves its
    /// customer's payments, and once detached it serves no other payment.
    pub consumed_by: Option<PaymentId>,
    pub created: i64,
}

impl PaymentMethod {
    pub fn create(card: ValidCard, mode: Mode, created: i64) -> Self {
        Self {
            id: PaymentMethodId::generate(),
            mode,
            card: card.card,
            outcome: card.outcome,
            refund_failure: card.refund_failure,
            bypass_pending: card.bypass_pending,
            customer: None,
            consumed_by: None,
            created,
        }
    }

    /// Whether this payment method may confirm `payment` (of `customer`):
    /// an attached one for its customer's payments only; one attached to
    /// nobody for the payment it was first used with, or a first one.
    pub fn may_pay(&self, payment: &PaymentId, customer: Option<&CustomerId>) -> Result<(), &'static str> {
        match (&self.customer, &self.consumed_by) {
            (Some(owner), _) if customer != Some(owner) => {
                Err("This payment method belongs to another customer than the payment's.")
            }
            (Some(_), _) => Ok(()),
            (None, Some(used)) if used != payment => Err(
                "This payment method was used for another payment without being attached to a customer, and may not be used again.",
            ),
            (None, _) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_521_600; // 2026-11-24

    fn card(number: &str, month: i64, year: i64, cvc: &str) -> Result<ValidCard, ValidationError> {
        CardInput {
            number: number.into(),
            exp_month: month,
            exp_year: year,
            cvc: cvc.into(),
        }
        .validate(b"key", NOW)
    }

    #[test]
    fn only_the_refund_fail_card_fails_its_refunds() {
        for c in TestCard::ALL {
            let valid = c.input(NOW).validate(b"key", NOW).unwrap();
            let fails = valid.refund_failure.is_some();
            assert_eq!(fails, c == TestCard::RefundFail, "{c:?}");
        }
        let refund_fail = TestCard::RefundFail.input(NOW).validate(b"key", NOW).unwrap();
        assert_eq!(refund_fail.outcome, NetworkOutcome::Approve, "its charges succeed");
        assert_eq!(
            refund_fail.refund_failure,
            Some(RefundFailureReason::ExpiredOrCanceledCard)
        );
        for c in TestCard::ALL {
            let valid = c.input(NOW).validate(b"key", NOW).unwrap();
            assert_eq!(valid.bypass_pending, c == TestCard::BypassPending, "{c:?}");
        }
    }

    #[test]
    fn test_card_aliases_name_test_cards() {
        for c in TestCard::ALL {
            assert!(TEST_CARDS.iter().any(|(n, _)| *n == c.number()), "{c:?}");
            assert_eq!(TestCard::from_alias(c.alias()), Some(c));
            let v = c
                .input(NOW)
                .validate(b"key", NOW)
                .unwrap_or_else(|e| panic!("{c:?}: {e}"));
            assert_eq!(v.card.exp_year, 2036);
            assert_eq!(
                PaymentMethodRef::try_from(c.alias().to_owned()),
                Ok(PaymentMethodRef::TestAlias(c))
            );
        }
        assert_eq!(
            TestCard::Visa.input(NOW).validate(b"key", NOW).unwrap().outcome,
            NetworkOutcome::Approve
        );
        assert!(PaymentMethodRef::try_from("pm_card_nope".to_owned()).is_err());
        assert!(matches!(
            PaymentMethodRef::try_from("pm_abc123".to_owned()),
            Ok(PaymentMethodRef::Id(_))
        ));
    }

    #[test]
    fn every_test_card_is_valid_and_decides_its_outcome() {
        for (number, what) in TEST_CARDS {
            let cvc = if number.starts_with("37") { "1234" } else { "123" };
            let v = card(number, 12, 2030, cvc).unwrap_or_else(|e| panic!("{number}: {e}"));
            assert_eq!(
                v.outcome == NetworkOutcome::Approve,
                what.starts_with("succeeds"),
                "{number}"
            );
            assert_eq!(&v.card.last4, &number[number.len() - 4..]);
        }
        assert_eq!(
            card("4242 4242 4242 4242", 12, 2030, "123").unwrap().card.brand,
            Brand::Visa
        );
        assert_eq!(
            card("5555555555554444", 12, 2030, "123").unwrap().card.brand,
            Brand::Mastercard
        );
        assert_eq!(
            card("378282246310005", 12, 2030, "1234").unwrap().card.brand,
            Brand::Amex
        );
    }

    #[test]
    fn validation() {
        assert_eq!(
            card("4242424242424241", 12, 2030, "123").unwrap_err().code,
            "incorrect_number"
        );
        assert_eq!(card("42424242", 12, 2030, "123").unwrap_err().param, "card[number]");
        assert_eq!(
            card("4242424242424242", 13, 2030, "123").unwrap_err().param,
            "card[exp_month]"
        );
        assert_eq!(
            card("4242424242424242", 10, 2026, "123").unwrap_err().code,
            "expired_card"
        );
        assert!(card("4242424242424242", 11, 2026, "123").is_ok(), "this month is fine");
        assert_eq!(
            card("4242424242424242", 12, 2099, "123").unwrap_err().param,
            "card[exp_year]"
        );
        assert_eq!(card("4242424242424242", 12, 2030, "12").unwrap_err().param, "card[cvc]");
        assert_eq!(card("378282246310005", 12, 2030, "123").unwrap_err().param, "card[cvc]");
    }

    #[test]
    fn fingerprints_are_keyed_and_stable() {
        let a = card("4242424242424242", 12, 2030, "123").unwrap().card.fingerprint;
        let b = card("4242 4242 4242 4242", 1, 2031, "999").unwrap().card.fingerprint;
        assert_eq!(a, b);
        let other_key = CardInput {
            number: "4242424242424242".into(),
            exp_month: 12,
            exp_year: 2030,
            cvc: "123".into(),
        }
        .validate(b"other", NOW)
        .unwrap()
        .card
        .fingerprint;
        assert_ne!(a, other_key);
        assert!(!a.contains("4242"));
    }
}
