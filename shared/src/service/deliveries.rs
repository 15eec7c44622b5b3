//! Webhook delivery: every event is POSTed, signed, to every matching
//! endpoint of its account and mode, at least once.
//!
//! The stream of the table (an event source mapping on AWS; a poller in the
//! local stack) hands each new event item to [`deliver_event`], which
//! creates one delivery per matching endpoint and makes the first attempt.
//! A failed attempt (non-2xx, or no answer within 10 s) is retried with
//! exponential backoff by [`retry_due`], run on a schedule, for up to three
//! days. Every attempt is recorded on the delivery (status code, latency);
//! `GET /v1/events/{id}` shows them. Ordering is not guaranteed, and a
//! receiver can see an event more than once (a stream record redelivered
//! after a crash, say): receivers should deduplicate on the event id.

use std::time::Instant;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::{client::legacy::Client, rt::TokioExecutor};

use super::App;
use crate::{
    domain::{
        delivery::{backoff, sign, Attempt, Delivery, DeliveryStatus, RETRY_FOR_SECONDS, SIGNATURE_HEADER, TIMEOUT},
        Event, Tenant,
    },
    http::wire::EventObject,
    store::{DueRetry, StoreError},
};

type HttpsClient =
    Client<hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>, Full<Bytes>>;

/// The HTTP client deliveries go out with (rustls on ring, the system's
/// roots, http and https).
#[derive(Clone)]
pub struct Deliverer {
    client: HttpsClient,
}

impl std::fmt::Debug for Deliverer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Deliverer(..)")
    }
}

impl Deliverer {
    /// Fails only if the system has no root certificates at all.
    pub fn new() -> Result<Self, std::io::Error> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(https),
        })
    }

    /// One POST: the status code, or why there is none.
    async fn post(&self, url: &str, signature: &str, body: String) -> Result<u16, String> {
        let req = hyper::Request::post(url)
            .header("content-type", "application/json")
            .header("user-agent", "Paynectra-Webhooks/1.0")
            .header(SIGNATURE_HEADER, signature)
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| format!("bad request: {e}"))?;
        let res = tokio::time::timeout(TIMEOUT, self.client.request(req))
            .await
            .map_err(|_| "timed out after 10 s".to_owned())?
            .map_err(|e| format!("connection failed: {e}"))?;
        // Only the status matters; the body is dropped unread (a hostile
        // receiver cannot make us buffer it).
        Ok(res.status().as_u16())
    }
}

/// The body every endpoint receives for an event: the event object.
fn payload(event: &Event) -> String {
    serde_json::to_string(&EventObject::from(event)).expect("events serialise")
}

/// Makes one attempt of `delivery` and records it. Returns the delivery as
/// recorded (or as it was, if another deliverer finished it first).
pub async fn attempt(
    app: &App,
    deliverer: &Deliverer,
    tenant: &Tenant,
    event: &Event,
    mut delivery: Delivery,
) -> Result<Delivery, StoreError> {
    let attempts_before = delivery.attempts.len();
    let endpoint = app.store.get_webhook_endpoint(tenant, &delivery.endpoint_id).await?;
    let secret = endpoint
        .as_ref()
        .and_then(|e| app.webhook_secrets.as_ref()?.open(&e.secret_sealed, e.id.as_str()));
    // The time of the attempt itself, not of the run that makes it: the
    // signature's timestamp must be fresh when the receiver checks it.
    let now = app.clock.now();
    let started = Instant::now();
    let result = match (&endpoint, &secret) {
        (Some(_), Some(secret)) => {
            let body = payload(event);
            let signature = sign(secret, now, &body);
            deliverer.post(&delivery.url, &signature, body).await
        }
        (None, _) => Err("the endpoint was deleted".to_owned()),
        (Some(_), None) => {
            tracing::error!("WEBHOOK_SECRET_KEY is not set (or changed): deliveries cannot be signed");
            Err("the delivery could not be signed".to_owned())
        }
    };
    let latency_ms = started.elapsed().as_millis() as u64;
    let (status_code, error) = match result {
        Ok(code) => (Some(code), None),
        Err(e) => (None, Some(e)),
    };
    delivery.attempts.push(Attempt {
        at: now,
        status_code,
        latency_ms,
        error,
    });
    let delivered = status_code.is_some_and(|c| (200..300).contains(&c));
    let next = now + backoff(delivery.attempts.len());
    (delivery.status, delivery.next_attempt_at) = if delivered {
        (DeliveryStatus::Succeeded, None)
    } else if endpoint.is_none() || next > event.created + RETRY_FOR_SECONDS {
        (DeliveryStatus::Failed, None)
    } else {
        (DeliveryStatus::Pending, Some(next))
    };
    tracing::info!(
        event_id = %event.id,
        endpoint_id = %delivery.endpoint_id,
        status_code,
        latency_ms,
        attempt = delivery.attempts.len(),
        outcome = ?delivery.status,
        "webhook attempt"
    );
    app.store.record_attempt(tenant, &delivery, attempts_before).await?;
    Ok(delivery)
}

/// Fans a new event out to its tenant's matching endpoints and makes each
/// first attempt. Safe to run twice for one event (a redelivered stream
/// record): existing deliveries are not started again.
pub async fn deliver_event(
    app: &App,
    deliverer: &Deliverer,
    tenant: &Tenant,
    event: &Event,
    now: i64,
) -> Result<usize, StoreError> {
    let endpoints: Vec<_> = app
        .store
        .all_webhook_endpoints(tenant)
        .await?
        .into_iter()
        .filter(|e| e.wants(event.kind))
        .collect();
    let started = app.store.start_deliveries(tenant, event, &endpoints, now).await?;
    let n = started.len();
    for delivery in started {
        // Each delivery is already in the retry index (due now): a failure
        // here is logged, and the retry function makes the attempt.
        if let Err(e) = attempt(app, deliverer, tenant, event, delivery).await {
            tracing::warn!(event_id = %event.id, error = %e, "first attempt not recorded; it will be retried");
        }
    }
    Ok(n)
}

/// Retries every delivery due by `now`. Returns how many were attempted.
/// One delivery's failure does not stop the others; each handled index
/// entry is removed.
pub async fn retry_due(app: &App, deliverer: &Deliverer, now: i64) -> Result<usize, StoreError> {
    let mut attempted = 0;
    for due in app.store.due_retries(now).await? {
        match retry_one(app, deliverer, &due, now).await {
            Ok(made) => {
                attempted += usize::from(made);
                if let Err(e) = app.store.delete_retry(&due).await {
                    tracing::warn!(error = %e, "retry entry not removed; it will be skipped next time");
                }
            }
            Err(e) => {
                tracing::warn!(event_id = %due.event_id, endpoint_id = %due.endpoint_id, error = %e, "retry failed; kept for the next run")
            }
        }
    }
    Ok(attempted)
}

/// Whether an attempt was made for this index entry.
async fn retry_one(app: &App, deliverer: &Deliverer, due: &DueRetry, now: i64) -> Result<bool, StoreError> {
    let tenant = due.tenant();
    let Some(mut delivery) = app.store.get_delivery(&tenant, &due.event_id, &due.endpoint_id).await? else {
        return Ok(false);
    };
    // A stale entry (the delivery finished, or was rescheduled): nothing to do.
    if delivery.status != DeliveryStatus::Pending || delivery.next_attempt_at.is_none_or(|t| t > now) {
        return Ok(false);
    }
    let Some(event) = app.store.get_event_any_age(&tenant, &due.event_id).await? else {
        // The event is gone (TTL): the delivery can never be made.
        let before = delivery.attempts.len();
        delivery.status = DeliveryStatus::Failed;
        delivery.next_attempt_at = None;
        app.store.record_attempt(&tenant, &delivery, before).await?;
        return Ok(false);
    };
    attempt(app, deliverer, &tenant, &event, delivery).await?;
    Ok(true)
}
