//! Webhook deliveries: an event's POST to one endpoint, every attempt,
//! the retry schedule, and the signature every delivery carries.
//!
//! A delivery carries `Paynectra-Signature: t=<unix>,v1=<hex>`, where the hex
//! is HMAC-SHA256 of `"<t>.<body>"` under the endpoint's `whsec_` secret.
//! [`verify`] is what a merchant runs (the README shows it in Rust and with
//! openssl): it checks the signature in constant time and refuses a
//! timestamp more than [`TOLERANCE_SECONDS`] away from now (replays).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::WebhookEndpointId;

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Succeeded,
    Failed,
}

/// One POST of an event to an endpoint.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attempt {
    pub at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// An event's delivery to one endpoint, with every attempt.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Delivery {
    pub event_id: crate::domain::EventId,
    pub endpoint_id: WebhookEndpointId,
    pub url: String,
    pub status: DeliveryStatus,
    // Always stored (the attempt condition reads its size).
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<i64>,
    pub created: i64,
    /// The event's creation time (the retry window runs from it).
    #[serde(default)]
    pub event_created: i64,
    /// TTL: deliveries go with their event, after 30 days.
    #[serde(default)]
    pub expires_at: i64,
}

/// How long a receiver has to answer.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Deliveries are retried for this long after their event.
pub const RETRY_FOR_SECONDS: i64 = 3 * 24 * 60 * 60;

/// The wait before retry `n` (1-based): 1 min, 5 min, 30 min, 2 h, 6 h,
/// 12 h, then daily, until three days have passed.
pub fn backoff(n: usize) -> i64 {
    const STEPS: [i64; 7] = [60, 300, 1800, 7200, 21_600, 43_200, 86_400];
    STEPS[n.saturating_sub(1).min(STEPS.len() - 1)]
}

pub const SIGNATURE_HEADER: &str = "Paynectra-Signature";
pub const TOLERANCE_SECONDS: i64 = 300;

/// The header value for `body` sent at `t`.
pub fn sign(secret: &str, t: i64, body: &str) -> String {
    format!("t={t},v1={}", hex(&mac(secret, t, body)))
}

fn mac(secret: &str, t: i64, body: &str) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    m.update(t.to_string().as_bytes());
    m.update(b".");
    m.update(body.as_bytes());
    m.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the signature header is malformed")]
    Malformed,
    #[error("the timestamp is outside the tolerance")]
    Stale,
    #[error("no signature matches")]
    Mismatch,
}

/// Verifies a delivery: `header` is the `Paynectra-Signature` value, `body`
/// the raw request body, `now` the receiver's clock (Unix seconds).
pub fn verify(secret: &str, header: &str, body: &str, now: i64) -> Result<(), VerifyError> {
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.push(v.to_owned()),
            _ => {}
        }
    }
    let t = t.ok_or(VerifyError::Malformed)?;
    if signatures.is_empty() {
        return Err(VerifyError::Malformed);
    }
    if now.abs_diff(t) > TOLERANCE_SECONDS.unsigned_abs() {
        return Err(VerifyError::Stale);
    }
    let expected = hex(&mac(secret, t, body));
    let matches = signatures
        .iter()
        .any(|s| subtle::ConstantTimeEq::ct_eq(s.as_bytes(), expected.as_bytes()).into());
    if matches {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_spans_about_three_days() {
        let mut waited = 0;
        let mut n = 1;
        while waited + backoff(n) <= RETRY_FOR_SECONDS {
            waited += backoff(n);
            n += 1;
        }
        assert_eq!(backoff(1), 60);
        assert!(backoff(2) > backoff(1));
        assert!(n >= 8, "{n} attempts in three days");
    }

    #[test]
    fn sign_and_verify() {
        let secret = crate::domain::webhook_endpoint::new_secret();
        assert!(secret.starts_with("whsec_") && secret.len() == 38);
        let body = r#"{"id":"evt_1"}"#;
        let header = sign(&secret, 1_000, body);
        assert!(header.starts_with("t=1000,v1="));
        assert_eq!(verify(&secret, &header, body, 1_000), Ok(()));
        assert_eq!(verify(&secret, &header, body, 1_300), Ok(()));
        assert_eq!(verify(&secret, &header, body, 1_301), Err(VerifyError::Stale));
        assert_eq!(verify(&secret, &header, "{}", 1_000), Err(VerifyError::Mismatch));
        assert_eq!(verify("whsec_other", &header, body, 1_000), Err(VerifyError::Mismatch));
        assert_eq!(verify(&secret, "v1=abc", body, 1_000), Err(VerifyError::Malformed));
        assert_eq!(
            verify(&secret, &format!("t={},v1=00", i64::MIN), body, i64::MAX),
            Err(VerifyError::Stale)
        );
        // Several v1 signatures (during a secret roll): any one may match.
        let both = format!("{header},v1=00");
        assert_eq!(verify(&secret, &both, body, 1_000), Ok(()));
    }
}
