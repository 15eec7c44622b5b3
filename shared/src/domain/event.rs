//! Events: one per state change, written in the same transaction as the
//! change itself.

use super::{EventId, Mode, PaymentId, PaymentStatus, ValidationError};

/// How long events are kept (DynamoDB TTL deletes them after).
pub const RETENTION_SECONDS: i64 = 30 * 24 * 60 * 60;

macro_rules! event_types {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// What happened.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum EventType {
            $($variant),*
        }

        impl EventType {
            pub const ALL: &'static [EventType] = &[$(EventType::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(EventType::$variant => $name),*
                }
            }
        }
    };
}

event_types! {
    PaymentCreated => "payment.created",
    PaymentSucceeded => "payment.succeeded",
    PaymentFailed => "payment.failed",
    PaymentRequiresCapture => "payment.requires_capture",
    PaymentCaptured => "payment.captured",
    PaymentCancelled => "payment.cancelled",
    PaymentUpdated => "payment.updated",
    RefundCreated => "refund.created",
    RefundUpdated => "refund.updated",
    RefundFailed => "refund.failed",
    CustomerCreated => "customer.created",
    CustomerUpdated => "customer.updated",
    CustomerDeleted => "customer.deleted",
    BalanceAvailable => "balance.available",
    PayoutCreated => "payout.created",
    PayoutUpdated => "payout.updated",
    PayoutPaid => "payout.paid",
    PayoutFailed => "payout.failed",
    PayoutCancelled => "payout.cancelled",
}

impl EventType {
    /// `payment` for `payment.succeeded`.
    pub fn group(self) -> &'static str {
        self.as_str().split('.').next().unwrap_or("")
    }

    /// The event of a payment's status change, if the change is one.
    pub fn of_transition(before: PaymentStatus, after: PaymentStatus) -> Option<Self> {
        use PaymentStatus::*;
        match (before, after) {
            (RequiresCapture, Succeeded) => Some(Self::PaymentCaptured),
            (_, Succeeded) => Some(Self::PaymentSucceeded),
            (_, Failed) => Some(Self::PaymentFailed),
            (_, RequiresCapture) => Some(Self::PaymentRequiresCapture),
            (_, Cancelled) => Some(Self::PaymentCancelled),
            (_, Pending) => None,
        }
    }
}

impl serde::Serialize for EventType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for EventType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        EventType::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown event type {s}")))
    }
}

/// A `type` filter: one type, or every type of a group (`payment.*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventTypeFilter {
    Exact(EventType),
    Group(&'static str),
}

impl EventTypeFilter {
    pub fn parse(param: &str, value: &str) -> Result<Self, ValidationError> {
        if let Some(group) = value.strip_suffix(".*") {
            if let Some(t) = EventType::ALL.iter().find(|t| t.group() == group) {
                return Ok(Self::Group(t.group()));
            }
        } else if let Some(t) = EventType::ALL.iter().find(|t| t.as_str() == value) {
            return Ok(Self::Exact(*t));
        }
        let all: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
        Err(ValidationError::invalid(
            param,
            format!(
                "Invalid {param}: '{value}'. Use one of {}, or a group such as payment.*.",
                all.join(", ")
            ),
        ))
    }
}

/// Which request caused the event, if a request did (a scheduled sweep is
/// none).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EventRequest {
    pub id: Option<String>,
    pub idempotency_key: Option<String>,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Event {
    pub id: EventId,
    pub mode: Mode,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub created: i64,
    /// The object after the change, as the API shows it (JSON text).
    pub object_json: String,
    /// The changed attributes' previous values, on updates (JSON text).
    pub previous_attributes_json: Option<String>,
    pub request: EventRequest,
    /// TTL: 30 days after `created`.
    pub expires_at: i64,
    /// Webhook deliveries not finished yet. Not stored on the event's item
    /// (which is written once): the deliverer counts them in an item of
    /// their own, and the store's reads of an event fill this in from it.
    #[serde(skip)]
    pub pending_webhooks: i64,
    /// The payment the event is about (a payment's own, or its refund's), if
    /// any: the store lists it in that payment's timeline too. Known when
    /// the event is made, not stored on its head.
    #[serde(skip)]
    pub payment: Option<PaymentId>,
}

impl Event {
    pub fn new(
        kind: EventType,
        mode: Mode,
        object: &impl serde::Serialize,
        previous: Option<serde_json::Value>,
        request: EventRequest,
        created: i64,
    ) -> Self {
        // As text straight away: a `serde_json::Value` would sort the
        // object's fields by name (no `preserve_order`), not as the API
        // shows them.
        let object_json = serde_json::to_string(object).expect("API objects serialise");
        let payment = payment_of(&object_json);
        Self {
            id: EventId::generate(),
            mode,
            kind,
            created,
            object_json,
            previous_attributes_json: previous.map(|p| p.to_string()),
            request,
            expires_at: created + RETENTION_SECONDS,
            pending_webhooks: 0,
            payment,
        }
    }
}

/// The payment an event's object (as JSON text) belongs to: a payment
/// itself, or a refund's `payment_id`. Reads only those fields.
fn payment_of(object_json: &str) -> Option<PaymentId> {
    #[derive(serde::Deserialize)]
    struct Owner {
        object: Option<String>,
        id: Option<String>,
        payment_id: Option<String>,
    }
    let owner: Owner = serde_json::from_str(object_json).ok()?;
    let id = match owner.object.as_deref()? {
        "payment" => owner.id?,
        "refund" => owner.payment_id?,
        _ => return None,
    };
    id.parse().ok()
}

/// What the webhook fan-out needs of a new event: who it is, its type (to
/// match endpoints) and its times. The stream's image of a new event is its
/// head item, which does not hold the object (`docs/data-model.md`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventHead {
    pub id: EventId,
    pub kind: EventType,
    pub created: i64,
    pub expires_at: i64,
}

impl Event {
    pub fn head(&self) -> EventHead {
        EventHead {
            id: self.id.clone(),
            kind: self.kind,
            created: self.created,
            expires_at: self.expires_at,
        }
    }
}

/// The attributes of `before` that differ in `after`, with their old values
/// (Stripe's `previous_attributes`). Both are API objects as JSON.
pub fn previous_attributes(before: &serde_json::Value, after: &serde_json::Value) -> serde_json::Value {
    let mut changed = serde_json::Map::new();
    if let (Some(b), Some(a)) = (before.as_object(), after.as_object()) {
        for (k, old) in b {
            if a.get(k) != Some(old) {
                changed.insert(k.clone(), old.clone());
            }
        }
    }
    serde_json::Value::Object(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_keeps_its_objects_field_order_and_knows_its_payment() {
        #[derive(serde::Serialize)]
        struct Refund {
            id: &'static str,
            object: &'static str,
            payment_id: &'static str,
            amount: i64,
        }
        let refund = Refund {
            id: "re_1",
            object: "refund",
            payment_id: "pay_7",
            amount: 100,
        };
        let e = Event::new(
            EventType::RefundCreated,
            Mode::Test,
            &refund,
            None,
            EventRequest::default(),
            0,
        );
        assert_eq!(
            e.object_json, r#"{"id":"re_1","object":"refund","payment_id":"pay_7","amount":100}"#,
            "the API's order, not sorted"
        );
        assert_eq!(e.payment.map(|p| p.to_string()).as_deref(), Some("pay_7"));
        let other = Event::new(
            EventType::CustomerCreated,
            Mode::Test,
            &serde_json::json!({"id": "cus_1", "object": "customer"}),
            None,
            EventRequest::default(),
            0,
        );
        assert_eq!(other.payment, None);
    }

    #[test]
    fn types_filters_and_transitions() {
        assert_eq!(EventType::PaymentSucceeded.group(), "payment");
        assert_eq!(
            EventTypeFilter::parse("type", "payment.*").unwrap(),
            EventTypeFilter::Group("payment")
        );
        assert_eq!(
            EventTypeFilter::parse("type", "refund.created").unwrap(),
            EventTypeFilter::Exact(EventType::RefundCreated)
        );
        assert!(EventTypeFilter::parse("type", "charge.*").is_err());
        assert!(EventTypeFilter::parse("type", "payment.paid").is_err());
        use PaymentStatus::*;
        assert_eq!(
            EventType::of_transition(RequiresCapture, Succeeded),
            Some(EventType::PaymentCaptured)
        );
        assert_eq!(
            EventType::of_transition(Pending, Succeeded),
            Some(EventType::PaymentSucceeded)
        );
        assert_eq!(
            EventType::of_transition(RequiresCapture, Cancelled),
            Some(EventType::PaymentCancelled)
        );
    }

    #[test]
    fn previous_attributes_are_the_old_values_of_what_changed() {
        let before = serde_json::json!({"name": "A", "email": "a@x.io", "metadata": {"k": "1"}});
        let after = serde_json::json!({"name": "B", "email": "a@x.io", "metadata": {}});
        assert_eq!(
            previous_attributes(&before, &after),
            serde_json::json!({"name": "A", "metadata": {"k": "1"}})
        );
    }
}
