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
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attempt {
    pub at: i64,
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    pub error: Option<String>,
}

/// An event's delivery to one endpoint, with every attempt.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Delivery {
    pub event_id: crate::domain::EventId,
    pub endpoint_id: WebhookEndpointId,
    pub url: String,
    pub status: DeliveryStatus,
    // Always stored (the attempt condition reads its size).
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    pub next_attempt_at: Option<i64>,
    pub created: i64,
    /// The event's creation time (the retry window runs from it).
    #[serde(default)]
    pub event_created: i64,
    /// TTL: deliveries go with their event, after 30 days.
    #[serde(default)]
    pub expires_at: i64,
}

/// How long a connection to a receiver may take to open (TCP and TLS).
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);
/// How long a whole attempt may take (connecting included): a receiver
/// answers 2xx within this, or the attempt failed.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// Deliveries are retried for this long after their event.
pub const RETRY_FOR_SECONDS: i64 = 3 * 24 * 60 * 60;

/// The wait before retry `n` (1-based): 1 min, 5 min, 30 min, 2 h, 6 h,
/// 12 h, then daily, until three days have passed.
pub fn backoff(n: usize) -> i64 {
    const STEPS: [i64; 7] = [60, 300, 1800, 7200, 21_600, 43_200, 86_400];
    STEPS[n.saturating_sub(1).min(STEPS.len() - 1)]
}

/// How many lanes an endpoint's deliveries are spread over: each lane is
/// one FIFO message group of the delivery queue, and a group has one batch
/// in flight at a time, so an endpoint never has more than this many
/// attempts under way, whatever the backlog.
pub const LANES: u64 = 8;

/// A message of the delivery queue (its body, JSON): a delivery whose
/// attempt is due, or (redriven from the dead-letter queue) an event
/// whose fan-out failed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QueueMessage {
    Delivery(DueDelivery),
    Event(EventRef),
}

/// A delivery's attempt, as it was scheduled: its attempt count and due
/// time when it was enqueued. A message that no longer matches the stored
/// delivery (attempted since, rescheduled, finished) is stale.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DueDelivery {
    pub account_id: crate::domain::AccountId,
    pub mode: crate::domain::Mode,
    pub event_id: crate::domain::EventId,
    pub endpoint_id: WebhookEndpointId,
    /// Attempts made when it was scheduled (absent on retry-index entries
    /// written before it was recorded).
    pub attempts: Option<usize>,
    pub due: i64,
}

/// An event, by tenant and id: enough to fan it out again.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EventRef {
    pub account_id: crate::domain::AccountId,
    pub mode: crate::domain::Mode,
    pub event_id: crate::domain::EventId,
}

impl DueDelivery {
    pub fn tenant(&self) -> crate::domain::Tenant {
        crate::domain::Tenant::new(self.account_id.clone(), self.mode)
    }

    /// The message group: the endpoint and one of its [`LANES`], chosen
    /// by a stable hash of the event id (so every message of one delivery
    /// goes to the same lane, and an endpoint's deliveries spread evenly).
    pub fn message_group(&self) -> String {
        let digest = <Sha256 as sha2::Digest>::digest(self.event_id.as_str().as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        format!("{}#{}", self.endpoint_id, u64::from_be_bytes(first) % LANES)
    }

    /// The deduplication id: one per delivery, attempt count and due time,
    /// so the same schedule enqueued twice within SQS's five minutes (the
    /// stream consumer and then the sweep, say) is delivered once.
    pub fn deduplication_id(&self) -> String {
        let key = format!(
            "{}#{}#{}#{}#{}",
            self.account_id,
            self.event_id,
            self.endpoint_id,
            self.attempts.map_or(-1, |n| n as i64),
            self.due
        );
        hex(&<Sha256 as sha2::Digest>::digest(key.as_bytes()))
    }

    /// Whether `delivery` is still waiting for exactly this attempt.
    pub fn is_current(&self, delivery: &Delivery) -> bool {
        delivery.status == DeliveryStatus::Pending
            && delivery.next_attempt_at == Some(self.due)
            && self.attempts.is_none_or(|n| n == delivery.attempts.len())
    }
}

impl EventRef {
    pub fn tenant(&self) -> crate::domain::Tenant {
        crate::domain::Tenant::new(self.account_id.clone(), self.mode)
    }
}

/// An endpoint's circuit breaker: after [`Breaker::THRESHOLD`] failed
/// attempts in a row it opens for a cool-down (60 s, doubling while the
/// probes keep failing, at most an hour). While open, the endpoint's
/// deliveries are rescheduled, not attempted; when the cool-down ends one
/// attempt probes (claimed by writing the breaker, so one worker probes),
/// and a success closes it.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Breaker {
    /// Failed attempts in a row.
    #[serde(default)]
    pub failures: u32,
    /// Open until then (Unix seconds); none while closed.
    pub open_until: Option<i64>,
    /// The last cool-down (seconds); 0 while closed.
    #[serde(default)]
    pub cool_down: i64,
    /// Bumped by every write (optimistic concurrency).
    #[serde(default)]
    pub version: u64,
}

/// What the breaker lets a worker do with a due delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Gate {
    /// Closed: attempt.
    Attempt,
    /// The cool-down is over: attempt as the probe, once this state (the
    /// claim) has been written.
    Probe(Breaker),
    /// Open: no attempt; reschedule for `until`.
    Defer { until: i64 },
}

impl Breaker {
    /// Failed attempts in a row that open the breaker.
    pub const THRESHOLD: u32 = 5;
    /// The first cool-down, in seconds.
    pub const COOL_DOWN: i64 = 60;
    /// The longest cool-down, in seconds.
    pub const MAX_COOL_DOWN: i64 = 3600;

    pub fn gate(&self, now: i64) -> Gate {
        match self.open_until {
            Some(until) if until > now => Gate::Defer { until },
            Some(_) => Gate::Probe(Breaker {
                // Claimed: other workers see it open for another cool-down.
                open_until: Some(now + self.cool_down),
                version: self.version + 1,
                ..self.clone()
            }),
            None => Gate::Attempt,
        }
    }

    /// The state after an attempt (`probe`: the attempt was the probe),
    /// or `None` when nothing changes (a success while closed with no
    /// failure counted: nothing to write).
    pub fn after(&self, delivered: bool, probe: bool, now: i64) -> Option<Breaker> {
        let version = self.version + 1;
        if delivered {
            return (self.failures > 0 || self.open_until.is_some()).then_some(Breaker {
                version,
                ..Breaker::default()
            });
        }
        let failures = self.failures.saturating_add(1);
        let cool_down = if probe {
            (self.cool_down * 2).clamp(Self::COOL_DOWN, Self::MAX_COOL_DOWN)
        } else if failures >= Self::THRESHOLD && self.open_until.is_none() {
            Self::COOL_DOWN
        } else {
            // Still closed, or already open (an attempt that began before
            // it opened): only the count moves.
            return Some(Breaker {
                failures,
                version,
                ..self.clone()
            });
        };
        Some(Breaker {
            failures,
            open_until: Some(now + cool_down),
            cool_down,
            version,
        })
    }
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

    fn failed(b: &Breaker, n: u32, now: i64) -> Breaker {
        (0..n).fold(b.clone(), |b, _| b.after(false, false, now).unwrap())
    }

    #[test]
    fn the_breaker_opens_after_five_failures_in_a_row() {
        let closed = Breaker::default();
        assert_eq!(closed.gate(0), Gate::Attempt);
        let four = failed(&closed, 4, 100);
        assert_eq!(four.gate(100), Gate::Attempt, "four failures: still closed");
        // A success resets the count; a success with nothing to reset writes nothing.
        assert_eq!(four.after(true, false, 100).unwrap().failures, 0);
        assert_eq!(closed.after(true, false, 100), None);
        let open = failed(&closed, 5, 100);
        assert_eq!(open.open_until, Some(160));
        assert_eq!(open.gate(100), Gate::Defer { until: 160 });
        assert_eq!(open.gate(159), Gate::Defer { until: 160 });
        // An attempt that started before it opened counts, and moves nothing else.
        let later = open.after(false, false, 120).unwrap();
        assert_eq!((later.failures, later.open_until), (6, Some(160)));
    }

    #[test]
    fn one_probe_after_the_cool_down_closes_or_doubles_it() {
        let open = failed(&Breaker::default(), 5, 100);
        let Gate::Probe(claimed) = open.gate(160) else {
            panic!("the cool-down is over: probe")
        };
        assert_eq!(claimed.open_until, Some(220), "others wait while it probes");
        assert_eq!(claimed.version, open.version + 1);
        assert_eq!(claimed.gate(161), Gate::Defer { until: 220 });
        let closed = claimed.after(true, true, 161).unwrap();
        assert_eq!(closed.gate(161), Gate::Attempt);
        assert_eq!((closed.failures, closed.open_until, closed.cool_down), (0, None, 0));
        // Failing probes double the cool-down, up to an hour.
        let mut b = claimed.after(false, true, 161).unwrap();
        assert_eq!((b.cool_down, b.open_until), (120, Some(281)));
        for _ in 0..10 {
            let Gate::Probe(c) = b.gate(b.open_until.unwrap()) else {
                panic!("probe")
            };
            b = c.after(false, true, b.open_until.unwrap()).unwrap();
        }
        assert_eq!(b.cool_down, Breaker::MAX_COOL_DOWN);
    }

    #[test]
    fn a_delivery_keeps_its_lane_and_a_schedule_its_dedup_id() {
        let due = |event: &str, attempts, at| DueDelivery {
            account_id: "acct_1".parse().unwrap(),
            mode: crate::domain::Mode::Test,
            event_id: event.parse().unwrap(),
            endpoint_id: "we_1".parse().unwrap(),
            attempts,
            due: at,
        };
        let a = due("evt_1", Some(0), 10);
        assert_eq!(a.message_group(), due("evt_1", Some(3), 99).message_group());
        assert!(a.message_group().starts_with("we_1#"));
        let lanes: std::collections::BTreeSet<String> = (0..200)
            .map(|i| due(&format!("evt_{i}"), None, 0).message_group())
            .collect();
        assert_eq!(lanes.len() as u64, LANES, "events spread over every lane");
        assert_eq!(a.deduplication_id(), due("evt_1", Some(0), 10).deduplication_id());
        assert_ne!(a.deduplication_id(), due("evt_1", Some(0), 70).deduplication_id());
        assert_ne!(a.deduplication_id(), due("evt_1", Some(1), 10).deduplication_id());
        assert!(a.deduplication_id().len() <= 128);
        let body = serde_json::to_string(&QueueMessage::Delivery(a.clone())).unwrap();
        assert!(body.starts_with(r#"{"kind":"delivery","#), "{body}");
        assert_eq!(
            serde_json::from_str::<QueueMessage>(&body).unwrap(),
            QueueMessage::Delivery(a)
        );
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
