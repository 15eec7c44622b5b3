//! Prefixed identifiers. Each kind of object has its own type, so a customer
//! id cannot be passed where a payment id is expected, and each parses only
//! strings with its own prefix.

use std::{fmt, str::FromStr};

/// The longest id body we accept after the prefix. Ours are 32 characters;
/// the bound only keeps hostile input out of keys and logs.
const MAX_BODY_LEN: usize = 64;

/// A string that is not an id of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} id: it must look like {prefix}...")]
pub struct InvalidId {
    pub kind: &'static str,
    pub prefix: &'static str,
}

/// What every prefixed id type has in common.
pub trait PrefixedId: FromStr + fmt::Display {
    /// The object's name in messages: "payment", "customer".
    const KIND: &'static str;
}

fn parse_body<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let body = s.strip_prefix(prefix)?;
    (!body.is_empty() && body.len() <= MAX_BODY_LEN && body.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(body)
}

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A new id: the prefix, then a UUIDv7 in lowercase hex, so ids
            /// made later sort later (used to break ties in `created`).
            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, uuid::Uuid::now_v7().simple()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl PrefixedId for $name {
            const KIND: &'static str = $kind;
        }

        impl FromStr for $name {
            type Err = InvalidId;

            fn from_str(s: &str) -> Result<Self, InvalidId> {
                parse_body(s, $prefix)
                    .map(|_| Self(s.to_owned()))
                    .ok_or(InvalidId { kind: $kind, prefix: $prefix })
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;

            fn try_from(s: String) -> Result<Self, InvalidId> {
                match parse_body(&s, $prefix) {
                    Some(_) => Ok(Self(s)),
                    None => Err(InvalidId { kind: $kind, prefix: $prefix }),
                }
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }
    };
}

prefixed_id!(
    /// An account (a merchant).
    AccountId, "acct_", "account"
);
prefixed_id!(
    /// An API key's public identifier (never the secret).
    ApiKeyId, "key_", "API key"
);
prefixed_id!(
    /// A payment.
    PaymentId, "pay_", "payment"
);
prefixed_id!(
    /// A customer.
    CustomerId, "cus_", "customer"
);
prefixed_id!(
    /// A refund.
    RefundId, "re_", "refund"
);
prefixed_id!(
    /// A payment method (a tokenised card).
    PaymentMethodId, "pm_", "payment method"
);
prefixed_id!(
    /// An event (a state change).
    EventId, "evt_", "event"
);
prefixed_id!(
    /// A webhook endpoint.
    WebhookEndpointId, "we_", "webhook endpoint"
);
prefixed_id!(
    /// A balance transaction (a movement of money on the balance).
    TxnId, "txn_", "balance transaction"
);
prefixed_id!(
    /// A payout (the available balance sent to the bank).
    PayoutId, "po_", "payout"
);
prefixed_id!(
    /// A receipt (what a customer was sent, or in test mode would have been).
    ReceiptId, "rcpt_", "receipt"
);

impl ReceiptId {
    /// The receipt an event causes: one per event, whatever retries the
    /// event's handling takes (its id is the event's, under `rcpt_`).
    pub fn for_event(event: &EventId) -> Self {
        Self(format!("{}{}", Self::PREFIX, &event.as_str()[EventId::PREFIX.len()..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_and_sort_by_creation() {
        let a = PaymentId::generate();
        let b = PaymentId::generate();
        assert!(a.as_str().starts_with("pay_"));
        assert_eq!(a.as_str().len(), 4 + 32);
        assert_eq!(a.as_str().parse::<PaymentId>().unwrap(), a);
        assert!(a < b, "UUIDv7 ids are monotonic within a process");
    }

    #[test]
    fn wrong_prefix_or_characters_are_refused() {
        assert!("cus_abc".parse::<PaymentId>().is_err());
        assert!("pay_".parse::<PaymentId>().is_err());
        assert!("pay_abc'--".parse::<PaymentId>().is_err());
        assert!("pay_abc#acct_x".parse::<PaymentId>().is_err());
        assert!(format!("pay_{}", "a".repeat(65)).parse::<PaymentId>().is_err());
        assert!("PAY_abc".parse::<PaymentId>().is_err());
        let err = "x".parse::<CustomerId>().unwrap_err();
        assert_eq!(err.to_string(), "invalid customer id: it must look like cus_...");
    }

    #[test]
    fn serde_round_trip_validates() {
        let id: CustomerId = serde_json::from_str("\"cus_123\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"cus_123\"");
        assert!(serde_json::from_str::<CustomerId>("\"pay_123\"").is_err());
    }
}
