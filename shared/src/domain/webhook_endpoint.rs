//! Webhook endpoints: where a merchant wants its events delivered.

use base64::Engine;
use ring::aead;
use sha2::{Digest, Sha256};

use super::{EventType, EventTypeFilter, Mode, ReturnUrl, ValidationError, WebhookEndpointId};

pub const MAX_ENABLED_EVENTS: usize = 32;
/// Webhook endpoints an account may have in each mode (Stripe's limit):
/// it bounds what one tenant's receivers can cost the deliverers.
pub const MAX_ENDPOINTS: usize = 16;

/// `POST /v1/webhook_endpoints`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhookEndpoint {
    pub url: ReturnUrl,
    pub enabled_events: EnabledEvents,
}

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

/// A new `whsec_` secret (about 190 bits of randomness).
pub fn new_secret() -> String {
    const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = String::from("whsec_");
    let mut buf = [0u8; 64];
    while out.len() < 6 + 32 {
        getrandom::fill(&mut buf).expect("the OS random number generator failed");
        for b in buf.iter().filter(|b| **b < 248) {
            if out.len() == 6 + 32 {
                break;
            }
            out.push(BASE62[usize::from(*b % 62)] as char);
        }
    }
    out
}

/// Encrypts webhook secrets for storage (AES-256-GCM, random nonce).
///
/// Secrets are needed in plaintext to sign deliveries, so they cannot be
/// hashed: they are stored encrypted with AES-256-GCM under the
/// deployment's `WEBHOOK_SECRET_KEY`.
#[derive(Clone)]
pub struct SecretBox {
    key: aead::LessSafeKey,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    /// From the deployment's `WEBHOOK_SECRET_KEY` (any string of 32+
    /// characters; the AES key is its SHA-256).
    pub fn new(key_material: &str) -> Option<Self> {
        (key_material.len() >= 32).then(|| {
            let digest = Sha256::digest(key_material.as_bytes());
            let unbound = aead::UnboundKey::new(&aead::AES_256_GCM, &digest).expect("32 bytes make an AES-256 key");
            Self {
                key: aead::LessSafeKey::new(unbound),
            }
        })
    }

    /// Seals `plaintext` bound to `context` (the endpoint's id): a sealed
    /// secret copied onto another endpoint does not open.
    pub fn seal(&self, plaintext: &str, context: &str) -> String {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).expect("the OS random number generator failed");
        let mut data = plaintext.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(context.as_bytes()),
                &mut data,
            )
            .expect("sealing cannot fail for small inputs");
        let mut out = nonce.to_vec();
        out.extend(data);
        base64::engine::general_purpose::STANDARD.encode(out)
    }

    pub fn open(&self, sealed: &str, context: &str) -> Option<String> {
        let raw = base64::engine::general_purpose::STANDARD.decode(sealed).ok()?;
        if raw.len() < 12 + 16 {
            return None;
        }
        let (nonce, rest) = raw.split_at(12);
        let mut data = rest.to_vec();
        let nonce = aead::Nonce::try_assume_unique_for_key(nonce).ok()?;
        let plain = self
            .key
            .open_in_place(nonce, aead::Aad::from(context.as_bytes()), &mut data)
            .ok()?;
        String::from_utf8(plain.to_vec()).ok()
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

    #[test]
    fn secrets_round_trip_encrypted() {
        let b = SecretBox::new("a-deployment-key-of-at-least-32-chars").unwrap();
        let sealed = b.seal("whsec_abc", "we_1");
        assert!(!sealed.contains("whsec"));
        assert_ne!(sealed, b.seal("whsec_abc", "we_1"), "random nonces");
        assert_eq!(b.open(&sealed, "we_1").as_deref(), Some("whsec_abc"));
        assert_eq!(b.open(&sealed, "we_2"), None, "bound to its endpoint");
        let other = SecretBox::new("another-deployment-key-of-32-chars!!").unwrap();
        assert_eq!(other.open(&sealed, "we_1"), None);
        assert!(SecretBox::new("short").is_none());
    }
}
