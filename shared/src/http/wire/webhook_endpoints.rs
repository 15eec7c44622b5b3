//! Webhook endpoints on the wire.

use serde::{Deserialize, Serialize};

use crate::domain::{EnabledEvents, NewWebhookEndpoint, ReturnUrl, ValidationError, WebhookEndpoint};

/// `POST /v1/webhook_endpoints`.
#[derive(Debug, Deserialize)]
pub struct CreateWebhookEndpointRequest {
    pub url: Option<String>,
    pub enabled_events: Option<Vec<String>>,
}

impl TryFrom<CreateWebhookEndpointRequest> for NewWebhookEndpoint {
    type Error = ValidationError;

    fn try_from(r: CreateWebhookEndpointRequest) -> Result<Self, ValidationError> {
        Ok(Self {
            url: ReturnUrl::parse("url", r.url.ok_or_else(|| ValidationError::missing("url"))?)?,
            enabled_events: EnabledEvents::parse(
                "enabled_events",
                r.enabled_events
                    .ok_or_else(|| ValidationError::missing("enabled_events"))?,
            )?,
        })
    }
}

/// The webhook endpoint object. `secret` only in the create response.
#[derive(Debug, Serialize)]
pub struct WebhookEndpointObject<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub url: &'a str,
    pub enabled_events: &'a [String],
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<&'a str>,
    pub created: i64,
    pub livemode: bool,
}

impl<'a> From<&'a WebhookEndpoint> for WebhookEndpointObject<'a> {
    fn from(e: &'a WebhookEndpoint) -> Self {
        Self {
            id: e.id.as_str(),
            object: "webhook_endpoint",
            url: &e.url,
            enabled_events: &e.enabled_events,
            status: "enabled",
            secret: None,
            created: e.created,
            livemode: e.mode.livemode(),
        }
    }
}
