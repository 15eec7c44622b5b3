//! Events on the wire: the list request and the event object, with its
//! deliveries.

use serde::Serialize;

use super::list::{list_filter, ListRequest};
use crate::{
    domain::{Event, EventId, EventRequest, EventTypeFilter, PaymentId, ValidationError},
    http::FromQuery,
};

/// `GET /v1/events`: optionally of one type (`payment.succeeded`) or group
/// (`payment.*`).
pub type ListEventsRequest = ListRequest<EventsFilter, EventId>;

list_filter!(EventsFilter {
    kind: EventTypeFilter = "type",
    payment: PaymentId = "payment",
});

impl FromQuery for EventTypeFilter {
    fn from_query(param: &str, value: String) -> Result<Self, ValidationError> {
        Self::parse(param, &value)
    }
}

/// The event object.
#[derive(Debug, Serialize)]
pub struct EventObject<'a> {
    pub id: &'a str,
    pub object: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub created: i64,
    pub livemode: bool,
    pub data: EventData,
    pub request: &'a EventRequest,
    /// Webhook deliveries not finished yet.
    pub pending_webhooks: u32,
}

/// An event with its webhook deliveries (`GET /v1/events/{id}`).
#[derive(Debug, Serialize)]
pub struct EventWithDeliveries<'a> {
    #[serde(flatten)]
    pub event: EventObject<'a>,
    pub deliveries: Vec<DeliveryObject<'a>>,
}

/// One endpoint's delivery of an event, with every attempt.
#[derive(Debug, Serialize)]
pub struct DeliveryObject<'a> {
    pub webhook_endpoint: &'a str,
    pub url: &'a str,
    pub status: crate::domain::DeliveryStatus,
    pub attempts: &'a [crate::domain::Attempt],
    pub next_attempt_at: Option<i64>,
}

impl<'a> From<&'a crate::domain::Delivery> for DeliveryObject<'a> {
    fn from(d: &'a crate::domain::Delivery) -> Self {
        Self {
            webhook_endpoint: d.endpoint_id.as_str(),
            url: &d.url,
            status: d.status,
            attempts: &d.attempts,
            next_attempt_at: d.next_attempt_at,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct EventData {
    pub object: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_attributes: Option<serde_json::Value>,
}

impl<'a> From<&'a Event> for EventObject<'a> {
    fn from(e: &'a Event) -> Self {
        let parse = |s: &str| serde_json::from_str(s).unwrap_or(serde_json::Value::Null);
        Self {
            id: e.id.as_str(),
            object: "event",
            kind: e.kind.as_str(),
            created: e.created,
            livemode: e.mode.livemode(),
            data: EventData {
                object: parse(&e.object_json),
                previous_attributes: e.previous_attributes_json.as_deref().map(parse),
            },
            request: &e.request,
            pending_webhooks: e.pending_webhooks.max(0) as u32,
        }
    }
}
