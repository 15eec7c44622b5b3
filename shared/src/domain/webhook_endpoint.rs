//! Webhook endpoints: where a merchant wants its events delivered.

use super::{EventType, EventTypeFilter, Mode, ReturnUrl, ValidationError, WebhookEndpointId};

pub const MAX_ENABLED_EVENTS: usize = 32;

/// Which events an endpoint receives: `*`, one type, or a group (`payment.*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnabledEvents(Vec<String>);

impl EnabledEvents {
    pub fn parse(param: &str, raw: Vec<String>) -> Result<Self, ValidationError> {
        if raw.is_empty() || raw.len() > MAX_ENABLED_EVENTS {
            return Err(ValidationError::invalid(
                param,
                format!("Invalid {param}: give 1 to {MAX_ENABLED_EVENTS} event types, `*` for all."),
            ));
        }
        for (i, e) in raw.iter().enumerate() {
            if e != "*" {
                EventTypeFilter::parse(&format!("{param}[{i}]"), e)?;
            }
        }
        Ok(Self(raw))
    }

    pub fn matches(&self, kind: EventType) -> bool {
        self.0.iter().any(|e| {
            e == "*"
                || match EventTypeFilter::parse("", e) {
                    Ok(EventTypeFilter::Exact(t)) => t == kind,
                    Ok(EventTypeFilter::Group(g)) => kind.group() == g,
                    Err(_) => false,
                }
        })
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WebhookEndpoint {
    pub id: WebhookEndpointId,
    pub mode: Mode,
    pub url: String,
    pub enabled_events: Vec<String>,
    /// The `whsec_` secret, sealed with the deployment's key.
    pub secret_sealed: String,
    pub created: i64,
}

impl WebhookEndpoint {
    /// `seal` turns the secret into what is stored, bound to the new id.
    pub fn create(
        url: ReturnUrl,
        events: EnabledEvents,
        seal: impl FnOnce(&WebhookEndpointId) -> String,
        mode: Mode,
        created: i64,
    ) -> Self {
        let id = WebhookEndpointId::generate();
        let secret_sealed = seal(&id);
        Self {
            id,
            mode,
            url: url.as_str().to_owned(),
            enabled_events: events.0,
            secret_sealed,
            created,
        }
    }

    pub fn wants(&self, kind: EventType) -> bool {
        EnabledEvents(self.enabled_events.clone()).matches(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enabled_events() {
        let e = EnabledEvents::parse("enabled_events", vec!["payment.*".into(), "refund.created".into()]).unwrap();
        assert!(e.matches(EventType::PaymentSucceeded));
        assert!(e.matches(EventType::RefundCreated));
        assert!(!e.matches(EventType::CustomerCreated));
        assert!(EnabledEvents::parse("enabled_events", vec!["*".into()])
            .unwrap()
            .matches(EventType::CustomerDeleted));
        assert_eq!(
            EnabledEvents::parse("enabled_events", vec!["*".into(), "charge.succeeded".into()])
                .unwrap_err()
                .param,
            "enabled_events[1]"
        );
        assert!(EnabledEvents::parse("enabled_events", vec![]).is_err());
    }
}
