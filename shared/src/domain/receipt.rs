//! Receipts: what a customer is sent when their payment succeeds or part of
//! it is refunded (by email in live mode; in test mode nothing is sent and
//! the receipt waits in the test-mode outbox), and the token of the link to
//! a payment's hosted receipt page.

use super::{
    AccountId, Card, Currency, Email, EventId, MinorUnits, Mode, Payment, PaymentId, ReceiptId, Refund, RefundId,
};

/// What a receipt is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptKind {
    /// The payment succeeded (captured).
    Payment,
    /// A refund of it succeeded.
    Refund,
}

/// Where a receipt is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptStatus {
    /// Test mode: never sent; kept in the outbox to look at.
    NotSent,
    /// Live mode: recorded, being handed to the mail service.
    Sending,
    /// Live mode: the mail service took it.
    Sent,
    /// Live mode: the mail service refused it, or no sender is configured
    /// (`failure_message` says which).
    Failed,
}

impl ReceiptStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotSent => "not_sent",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }
}

/// A receipt as stored: the message as it was composed, and what became of
/// it.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Receipt {
    pub id: ReceiptId,
    pub mode: Mode,
    pub kind: ReceiptKind,
    pub payment_id: PaymentId,
    pub refund_id: Option<RefundId>,
    /// The event that caused it.
    pub event_id: EventId,
    pub to: Email,
    pub subject: String,
    /// The message, as plain text.
    pub body: String,
    /// What the receipt is for: the amount paid, or refunded.
    pub amount: MinorUnits,
    pub currency: Currency,
    pub receipt_url: Option<String>,
    pub status: ReceiptStatus,
    pub failure_message: Option<String>,
    /// The mail service's id of the message sent.
    pub message_id: Option<String>,
    pub created: i64,
}

/// What a receipt says, read when it is composed: the merchant's name, the
/// payment, the card it was paid with and, for a refund's receipt, the
/// refund.
pub struct ReceiptFacts<'a> {
    pub merchant: &'a str,
    pub payment: &'a Payment,
    pub card: Option<&'a Card>,
    pub refund: Option<&'a Refund>,
}

/// `7 December 2026` (UTC).
pub fn display_date(unix: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!("{} {} {}", at.day(), at.month(), at.year())
}

/// `Visa •••• 4242`.
pub fn display_card(card: &Card) -> String {
    format!("{} \u{2022}\u{2022}\u{2022}\u{2022} {}", card.brand.label(), card.last4)
}

impl Receipt {
    /// The receipt `event` causes, to `to`: composed now from `facts`, not
    /// yet sent (`not_sent` in test mode, `sending` in live mode).
    pub fn compose(event: &EventId, facts: &ReceiptFacts<'_>, to: Email, now: i64) -> Self {
        let p = facts.payment;
        let test = if p.mode.livemode() { "" } else { "[Test mode] " };
        let merchant = facts.merchant;
        let (kind, amount, subject, mut lines) = match facts.refund {
            None => (
                ReceiptKind::Payment,
                p.amount_received,
                format!("{test}Your receipt from {merchant}"),
                vec![
                    format!("Receipt from {merchant}"),
                    String::new(),
                    format!("Amount paid: {}", p.currency.display(p.amount_received.get())),
                    format!("Date paid: {}", display_date(p.created)),
                ],
            ),
            Some(r) => (
                super::ReceiptKind::Refund,
                r.amount,
                format!("{test}Your refund from {merchant}"),
                vec![
                    format!("Refund from {merchant}"),
                    String::new(),
                    format!("Amount refunded: {}", p.currency.display(r.amount.get())),
                    format!("Date refunded: {}", display_date(now)),
                    format!(
                        "Original payment: {} on {}",
                        p.currency.display(p.amount_received.get()),
                        display_date(p.created)
                    ),
                    "A refund can take 5 to 10 business days to appear on your statement.".into(),
                ],
            ),
        };
        if let Some(card) = facts.card {
            lines.push(format!("Payment method: {}", display_card(card)));
        }
        if let Some(d) = &p.description {
            lines.push(format!("Description: {d}"));
        }
        if let Some(url) = p.public_receipt_url() {
            lines.push(String::new());
            lines.push(format!("View your receipt: {url}"));
        }
        lines.push(String::new());
        lines.push(format!("Receipt for payment {}. Questions? Contact {merchant}.", p.id));
        Self {
            id: ReceiptId::for_event(event),
            mode: p.mode,
            kind,
            payment_id: p.id.clone(),
            refund_id: facts.refund.map(|r| r.id.clone()),
            event_id: event.clone(),
            to,
            subject,
            body: lines.join("\n"),
            amount,
            currency: p.currency,
            receipt_url: p.public_receipt_url().map(str::to_owned),
            status: match p.mode {
                Mode::Test => ReceiptStatus::NotSent,
                Mode::Live => ReceiptStatus::Sending,
            },
            failure_message: None,
            message_id: None,
            created: now,
        }
    }
}

/// The token in a payment's receipt URL: whose payment it is, and the
/// payment's receipt secret (128 random bits), so the URL finds the payment
/// with one read and no one can guess another payment's. Written
/// `{account}-{t|l}-{payment}-{secret}` (ids never contain `-`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptToken {
    pub account_id: AccountId,
    pub mode: Mode,
    pub payment_id: PaymentId,
    pub secret: String,
}

impl ReceiptToken {
    pub fn parse(raw: &str) -> Option<Self> {
        let mut parts = raw.split('-');
        let (account, mode, payment, secret) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || secret.len() != 32 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(Self {
            account_id: account.parse().ok()?,
            mode: match mode {
                "t" => Mode::Test,
                "l" => Mode::Live,
                _ => return None,
            },
            payment_id: payment.parse().ok()?,
            secret: secret.to_owned(),
        })
    }
}

impl std::fmt::Display for ReceiptToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mode = match self.mode {
            Mode::Test => "t",
            Mode::Live => "l",
        };
        write!(f, "{}-{mode}-{}-{}", self.account_id, self.payment_id, self.secret)
    }
}

/// 128 random bits, in hex: a payment's receipt secret.
pub fn new_secret() -> String {
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).expect("the OS random number generator failed");
    random.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_anything_else() {
        let token = ReceiptToken {
            account_id: AccountId::generate(),
            mode: Mode::Live,
            payment_id: PaymentId::generate(),
            secret: new_secret(),
        };
        assert_eq!(ReceiptToken::parse(&token.to_string()), Some(token.clone()));
        let s = token.to_string();
        for bad in [
            s.replace("-l-", "-x-"),
            format!("{s}-1"),
            s[..s.len() - 1].to_owned(),
            s.replace("pay_", "cus_"),
            format!("{}g", &s[..s.len() - 1]),
            String::new(),
            "a-b-c-d".into(),
        ] {
            assert_eq!(ReceiptToken::parse(&bad), None, "{bad}");
        }
    }

    #[test]
    fn receipt_ids_follow_their_event() {
        let event = EventId::generate();
        let id = ReceiptId::for_event(&event);
        assert!(id.as_str().starts_with("rcpt_"));
        assert_eq!(&id.as_str()[5..], &event.as_str()[4..]);
        assert_eq!(id.as_str().parse::<ReceiptId>().unwrap(), id);
    }

    #[test]
    fn dates_read_as_people_write_them() {
        assert_eq!(display_date(1_796_601_600), "7 December 2026");
    }
}
