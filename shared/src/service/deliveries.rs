//! Webhook delivery: every event is POSTed, signed, to every matching
//! endpoint of its account and mode, at least once, and no merchant's
//! receivers can slow another's.
//!
//! - The table's stream (an event source mapping on AWS; a poller in the
//!   local stack) hands each new event item to [`deliver_event`], which
//!   records one delivery per matching endpoint (each with a retry-index
//!   entry due at once) and enqueues each on the delivery queue. No HTTP.
//! - The delivery queue is SQS FIFO; a message's group is its endpoint and
//!   one of [`LANES`](crate::domain::delivery::LANES) lanes, and a group has
//!   one batch in flight at a time, so an endpoint has at most that many
//!   attempts under way and a dead one holds only its own lanes.
//!   [`handle_message`] (the `attempt_webhooks` function) makes the attempt,
//!   unless the endpoint's circuit breaker is open: then the delivery is
//!   rescheduled, with no attempt.
//! - A failed attempt (non-2xx, or no answer within 5 s) is retried with
//!   exponential backoff for up to three days: [`enqueue_due`], run every
//!   minute, enqueues what the retry index says is due.
//!
//! Every attempt is recorded on the delivery (status code, latency);
//! `GET /v1/events/{id}` shows them. Ordering is not guaranteed, and a
//! receiver can see an event more than once (a stream record redelivered
//! after a crash, say): receivers should deduplicate on the event id.
//!
//! When deployed, the connector connects to public addresses only, checked
//! on every connection ([`Deliverer::new`]); a refused attempt records
//! [`ADDRESS_NOT_ALLOWED`] and nothing else.

use std::{
    future::Future,
    io,
    net::{IpAddr, SocketAddr},
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Instant,
};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::client::legacy::{
    connect::{dns::Name, HttpConnector},
    Client,
};
use hyper_util::rt::TokioExecutor;

use super::App;
use crate::{
    domain::{
        address::is_public,
        delivery::{
            backoff, sign, Attempt, Breaker, Delivery, DeliveryStatus, DueDelivery, EventRef, Gate, QueueMessage,
            CONNECT_TIMEOUT, RETRY_FOR_SECONDS, SIGNATURE_HEADER, TIMEOUT,
        },
        Event, EventHead, Tenant, WebhookEndpoint, WebhookEndpointId,
    },
    http::wire::EventObject,
    store::{due_delivery, DueEntry, DueRetry, StoreError, SweepIndex},
};

use super::sweeps::{self, EntryOutcome, SweepBudget, SweepRun};
use futures::future::BoxFuture;

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector<Resolver>>, Full<Bytes>>;

/// What an attempt refused by the address guard records: one text, the
/// same whatever the address, port or reason (no status, no latency), so
/// attempts cannot be used to probe the network the deliverer runs in.
pub const ADDRESS_NOT_ALLOWED: &str = "the endpoint's address is not allowed";

/// The name lookup under the resolver: a host name to its addresses.
type LookupFuture = Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send>>;
type Lookup = Arc<dyn Fn(String) -> LookupFuture + Send + Sync>;

/// The system's resolver (getaddrinfo, on tokio's blocking pool, as
/// hyper-util's `GaiResolver` does).
fn system_lookup(host: String) -> LookupFuture {
    Box::pin(async move { Ok(tokio::net::lookup_host((host, 0)).await?.map(|a| a.ip()).collect()) })
}

/// The connector's resolver: looks a name up and, with the guard on, keeps
/// only the public addresses ([`is_public`]), failing with
/// [`NotAllowed`] when none is left. The connector connects only to the
/// addresses this returns, so the address checked is the address
/// connected to, on every connection (a name that resolves elsewhere
/// later, DNS rebinding, is checked again).
#[derive(Clone)]
struct Resolver {
    lookup: Lookup,
    public_only: bool,
}

/// A connection refused by the address guard.
#[derive(Debug, thiserror::Error)]
#[error("{ADDRESS_NOT_ALLOWED}")]
struct NotAllowed;

impl tower_service::Service<Name> for Resolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = Box<dyn std::error::Error + Send + Sync>;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let lookup = (self.lookup)(name.as_str().to_owned());
        let public_only = self.public_only;
        Box::pin(async move {
            let found = lookup.await?;
            // The connector sets the port.
            let allowed: Vec<_> = found
                .into_iter()
                .filter(|ip| !public_only || is_public(*ip))
                .map(|ip| SocketAddr::new(ip, 0))
                .collect();
            if public_only && allowed.is_empty() {
                return Err(Box::new(NotAllowed) as Self::Error);
            }
            Ok(allowed.into_iter())
        })
    }
}

/// The HTTP client deliveries go out with (rustls on ring, the system's
/// roots, http and https). Redirects are not followed (a 3xx is an
/// unacknowledged attempt, like any other status).
#[derive(Clone)]
pub struct Deliverer {
    client: HttpsClient,
    public_only: bool,
}

impl std::fmt::Debug for Deliverer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Deliverer(..)")
    }
}

/// Why a POST has no status code.
#[derive(Debug, PartialEq, Eq)]
enum PostError {
    /// The guard refused the address (see [`ADDRESS_NOT_ALLOWED`]).
    NotAllowed,
    Failed(String),
}

impl Deliverer {
    /// With `allow_local` false (as deployed: [`App::allow_local_webhook_urls`]),
    /// connects only to public addresses: a URL whose host is a literal
    /// non-public IP address is refused, and so is a name none of whose
    /// addresses is public. With it true (the local stack, tests), any.
    /// Fails only if the system has no root certificates at all.
    pub fn new(allow_local: bool) -> Result<Self, io::Error> {
        Self::build(allow_local, Arc::new(system_lookup))
    }

    /// [`Deliverer::new`] with names looked up by `lookup` rather than the
    /// system's resolver (tests: a name that resolves to loopback).
    pub fn with_lookup<F, Fut>(allow_local: bool, lookup: F) -> Result<Self, io::Error>
    where
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = io::Result<Vec<IpAddr>>> + Send + 'static,
    {
        Self::build(
            allow_local,
            Arc::new(move |host| Box::pin(lookup(host)) as LookupFuture),
        )
    }

    fn build(allow_local: bool, lookup: Lookup) -> Result<Self, io::Error> {
        let public_only = !allow_local;
        let mut http = HttpConnector::new_with_resolver(Resolver { lookup, public_only });
        // The HttpsConnector enforces the scheme (http or https).
        http.enforce_http(false);
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(https),
            public_only,
        })
    }

    /// One POST: the status code, or why there is none.
    async fn post(&self, url: &str, signature: &str, body: String) -> Result<u16, PostError> {
        let req = hyper::Request::post(url)
            .header("content-type", "application/json")
            .header("user-agent", "Paynectra-Webhooks/1.0")
            .header(SIGNATURE_HEADER, signature)
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| PostError::Failed(format!("bad request: {e}")))?;
        // The connector does not resolve a literal IP address: it is
        // checked here, as the connector would parse it.
        if self.public_only && literal_ip(req.uri()).is_some_and(|ip| !is_public(ip)) {
            return Err(PostError::NotAllowed);
        }
        let res = tokio::time::timeout(TIMEOUT, self.client.request(req))
            .await
            .map_err(|_| PostError::Failed(format!("timed out after {} s", TIMEOUT.as_secs())))?
            .map_err(|e| {
                if refused_by_guard(&e) {
                    PostError::NotAllowed
                } else {
                    PostError::Failed(format!("connection failed: {e}"))
                }
            })?;
        // Only the status matters; the body is dropped unread (a hostile
        // receiver cannot make us buffer it).
        Ok(res.status().as_u16())
    }
}

/// The URI's host when it is an IP address, as hyper-util's connector
/// reads it (brackets stripped, then std's strict parse; anything else is
/// a name, and goes to the resolver).
fn literal_ip(uri: &hyper::Uri) -> Option<IpAddr> {
    let host = uri.host()?;
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    host.parse().ok()
}

/// Whether the guard (the resolver) is why `e` happened.
fn refused_by_guard(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(e) = cause {
        if e.is::<NotAllowed>() {
            return true;
        }
        cause = e.source();
    }
    false
}

/// The body every endpoint receives for an event: the event object.
fn payload(event: &Event) -> String {
    serde_json::to_string(&EventObject::from(event)).expect("events serialise")
}

/// Makes one attempt of `delivery` to `endpoint` (`None`: deleted) and
/// records it. Returns the delivery as
/// recorded (or as it would have been, if another deliverer recorded
/// first), and whether the receiver acknowledged it: `None` when no POST
/// could be made for a reason that is not the receiver's (the endpoint was
/// deleted, the delivery could not be signed), which the circuit breaker
/// does not count.
pub async fn attempt(
    app: &App,
    deliverer: &Deliverer,
    tenant: &Tenant,
    event: &Event,
    endpoint: Option<&WebhookEndpoint>,
    mut delivery: Delivery,
) -> Result<(Delivery, Option<bool>), StoreError> {
    let attempts_before = delivery.attempts.len();
    let secret = endpoint.and_then(|e| app.webhook_secrets.as_ref()?.open(&e.secret_sealed, e.id.as_str()));
    // The time of the attempt itself, not of the run that makes it: the
    // signature's timestamp must be fresh when the receiver checks it.
    let now = app.clock.now();
    let started = Instant::now();
    let posted = endpoint.is_some() && secret.is_some();
    let result = match (&endpoint, &secret) {
        (Some(_), Some(secret)) => {
            let body = payload(event);
            let signature = sign(secret, now, &body);
            deliverer.post(&delivery.url, &signature, body).await
        }
        (None, _) => Err(PostError::Failed("the endpoint was deleted".to_owned())),
        (Some(_), None) => {
            tracing::error!("WEBHOOK_SECRET_KEY is not set (or changed): deliveries cannot be signed");
            Err(PostError::Failed("the delivery could not be signed".to_owned()))
        }
    };
    let elapsed_ms = started.elapsed().as_millis() as u64;
    // A refused attempt records no latency (0): how long the lookup took
    // says something about the name, and nothing was sent.
    let (status_code, latency_ms, error) = match result {
        Ok(code) => (Some(code), elapsed_ms, None),
        Err(PostError::NotAllowed) => {
            tracing::warn!(endpoint_id = %delivery.endpoint_id, "webhook endpoint's address is not public: not connected");
            (None, 0, Some(ADDRESS_NOT_ALLOWED.to_owned()))
        }
        Err(PostError::Failed(e)) => (None, elapsed_ms, Some(e)),
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
    Ok((delivery, posted.then_some(delivered)))
}

/// Why a stream record or a queue message could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] super::queue::QueueError),
}

fn queue(app: &App) -> Result<&super::queue::DeliveryQueue, super::queue::QueueError> {
    app.queue
        .as_ref()
        .ok_or(super::queue::QueueError::Config("no webhook queue is configured"))
}

/// Fans a new event out to its tenant's matching endpoints: records each
/// delivery (with its retry-index entry, due now) and enqueues its first
/// attempt. Safe to run twice for one event (a redelivered stream record):
/// existing deliveries are not started again. A delivery recorded but not
/// enqueued (SQS refused it) is enqueued by the next sweep, from its
/// retry-index entry; the queue drops the second copy if both arrive
/// within five minutes. Returns how many deliveries were started.
pub async fn deliver_event(app: &App, tenant: &Tenant, event: &EventHead, now: i64) -> Result<usize, StoreError> {
    let endpoints = app.store.all_webhook_endpoints(tenant).await?;
    deliver_event_to(app, tenant, event, &endpoints, now).await
}

/// [`deliver_event`] with the tenant's endpoints already read: the stream
/// handler reads them once per tenant of a batch (the stream mapping hands
/// it up to 25 records; a busy merchant's fill most of it), not once per
/// event. `endpoints` are all the tenant's live ones; those that want the
/// event's type get it. The receipt the event calls for, if any, is made
/// after ([`super::receipts::on_event`]; once per event too).
pub async fn deliver_event_to(
    app: &App,
    tenant: &Tenant,
    event: &EventHead,
    endpoints: &[WebhookEndpoint],
    now: i64,
) -> Result<usize, StoreError> {
    let endpoints: Vec<WebhookEndpoint> = endpoints.iter().filter(|e| e.wants(event.kind)).cloned().collect();
    let started = app.store.start_deliveries(tenant, event, &endpoints, now).await?;
    let due: Vec<DueDelivery> = started.iter().map(|d| due_delivery(tenant, d, now)).collect();
    if !due.is_empty() {
        let sent = match queue(app) {
            Ok(q) => q.enqueue(&due).await,
            Err(e) => Err(e),
        };
        match sent {
            Ok(sent) if sent.iter().all(|s| *s) => {}
            Ok(sent) => {
                let left = sent.iter().filter(|s| !**s).count();
                tracing::warn!(event_id = %event.id, left, "deliveries not enqueued; the sweep will")
            }
            Err(e) => tracing::warn!(event_id = %event.id, error = %e, "deliveries not enqueued; the sweep will"),
        }
    }
    super::receipts::on_event(app, tenant, event).await?;
    Ok(started.len())
}

/// A stream record that could not be handled goes, as the event to fan
/// out again, to the dead-letter queue, and the record is acknowledged: one
/// bad record never holds up its shard. Err only if even that send failed.
pub async fn dead_letter(app: &App, event: &EventRef) -> Result<(), super::queue::QueueError> {
    queue(app)?.dead_letter(event).await?;
    tracing::warn!(event_id = %event.event_id, "event sent to the webhook dead-letter queue");
    Ok(())
}

/// What a run of the retry sweep did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RetrySweep {
    /// Retries enqueued (and their entries removed).
    pub enqueued: usize,
    #[serde(flatten)]
    pub run: SweepRun,
}

/// How long a retry entry can stay in the index: the retry window and a day
/// (its TTL).
const RETRY_INDEX_MAX_AGE: i64 = RETRY_FOR_SECONDS + 86_400;

/// The sweep (every minute): enqueues the retries due by `now`, a page at a
/// time (one SendMessageBatch per ten, all at once), and removes each
/// entry that was enqueued, `budget.concurrency` deletes at a time (an
/// entry not enqueued stays for the next run), until none is due or
/// `budget`'s deadline comes. Attempts are the workers'.
pub async fn enqueue_due(app: &App, now: i64, budget: SweepBudget) -> Result<RetrySweep, DeliveryError> {
    // Without a queue, a run with nothing due is still a run; one with
    // something due fails (below).
    let queue = queue(app).ok();
    // One page's send at a time (its SendMessageBatch calls, ten entries
    // each, go at once): the shards are read in parallel, but a queue is
    // not asked for more than one page's calls at once (a FIFO queue's
    // call rate is bounded, and moto's locally is far lower). After a send
    // fails, this run sends nothing more: the entries wait for the next.
    let sending = futures::lock::Mutex::new(());
    let failing = std::sync::atomic::AtomicBool::new(false);
    let (sending, failing) = (&sending, &failing);
    let handle = |page: Vec<DueEntry<DueRetry>>| -> BoxFuture<'_, Vec<EntryOutcome>> {
        Box::pin(async move {
            let messages: Vec<DueDelivery> = page.iter().map(|d| d.entry.due_delivery()).collect();
            let Some(queue) = queue else {
                return vec![EntryOutcome::Failed; page.len()];
            };
            let sent = {
                let _turn = sending.lock().await;
                if failing.load(std::sync::atomic::Ordering::SeqCst) {
                    vec![false; page.len()]
                } else {
                    match queue.enqueue(&messages).await {
                        Ok(sent) => sent,
                        Err(e) => {
                            failing.store(true, std::sync::atomic::Ordering::SeqCst);
                            tracing::warn!(error = %e, "retries not enqueued; the next run will");
                            vec![false; page.len()]
                        }
                    }
                }
            };
            let sent_entries: Vec<_> = page
                .into_iter()
                .zip(sent)
                .filter(|(_, sent)| *sent)
                .map(|(d, _)| d)
                .collect();
            let failed = messages.len() - sent_entries.len();
            let mut outcomes = sweeps::each(sent_entries, budget.concurrency, |entry| async move {
                if let Err(e) = app.store.delete_due(&entry).await {
                    tracing::warn!(error = %e, "retry entry not removed; it will be enqueued again, and dropped as a duplicate or stale");
                }
                EntryOutcome::Done(true)
            })
            .await;
            outcomes.extend(std::iter::repeat_n(EntryOutcome::Failed, failed));
            outcomes
        })
    };
    let run = sweeps::sweep(app, SweepIndex::Retries, RETRY_INDEX_MAX_AGE, now, budget, &handle).await?;
    if run.failed > 0 {
        self::queue(app)?;
    }
    Ok(RetrySweep {
        enqueued: run.counted,
        run,
    })
}

/// What a worker did with a queue message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// An attempt was made; the delivery is now in this status.
    Attempted(DeliveryStatus),
    /// The endpoint's breaker is open: rescheduled (or failed, past the
    /// retry window), no attempt.
    Deferred,
    /// The message no longer matches the delivery (attempted since,
    /// rescheduled, finished, gone): nothing to do.
    Stale,
    /// An event fanned out again (from the dead-letter queue): deliveries started.
    FannedOut(usize),
}

/// Handles one message of the delivery queue at `now`. An error leaves the
/// message on the queue (it comes back after the visibility timeout, and
/// after five receives it stays in the dead-letter queue).
pub async fn handle_message(
    app: &App,
    deliverer: &Deliverer,
    message: &QueueMessage,
    now: i64,
) -> Result<Handled, StoreError> {
    match message {
        QueueMessage::Delivery(due) => attempt_due(app, deliverer, due, now).await,
        QueueMessage::Event(event) => {
            let tenant = event.tenant();
            match app.store.get_event_any_age(&tenant, &event.event_id).await? {
                Some(found) => Ok(Handled::FannedOut(
                    deliver_event(app, &tenant, &found.head(), now).await?,
                )),
                None => Ok(Handled::Stale),
            }
        }
    }
}

async fn attempt_due(app: &App, deliverer: &Deliverer, due: &DueDelivery, now: i64) -> Result<Handled, StoreError> {
    let tenant = due.tenant();
    let Some(mut delivery) = app.store.get_delivery(&tenant, &due.event_id, &due.endpoint_id).await? else {
        return Ok(Handled::Stale);
    };
    if !due.is_current(&delivery) {
        return Ok(Handled::Stale);
    }
    // The endpoint and its breaker in one (eventually consistent) read.
    let (endpoint, mut breaker) = app.store.endpoint_with_breaker(&tenant, &due.endpoint_id).await?;
    let probe = match breaker.gate(now) {
        Gate::Attempt => false,
        Gate::Defer { until } => return defer(app, &tenant, delivery, until).await,
        Gate::Probe(claim) => {
            if !app.store.put_breaker(&tenant, &due.endpoint_id, &claim).await? {
                // Another worker claimed the probe (or closed it): as it is now.
                breaker = app.store.breaker(&tenant, &due.endpoint_id).await?;
                match breaker.gate(now) {
                    Gate::Attempt => false,
                    Gate::Defer { until } => return defer(app, &tenant, delivery, until).await,
                    // Claimed and already over: let the next message probe.
                    Gate::Probe(claim) => return defer(app, &tenant, delivery, claim.open_until.unwrap_or(now)).await,
                }
            } else {
                tracing::info!(endpoint_id = %due.endpoint_id, "circuit breaker: probing");
                breaker = claim;
                true
            }
        }
    };
    let Some(event) = app.store.get_event_any_age(&tenant, &due.event_id).await? else {
        // The event is gone (TTL): the delivery can never be made.
        let before = delivery.attempts.len();
        delivery.status = DeliveryStatus::Failed;
        delivery.next_attempt_at = None;
        app.store.record_attempt(&tenant, &delivery, before).await?;
        return Ok(Handled::Attempted(DeliveryStatus::Failed));
    };
    let (delivery, delivered) = attempt(app, deliverer, &tenant, &event, endpoint.as_ref(), delivery).await?;
    if let Some(delivered) = delivered {
        if let Err(e) = track(app, &tenant, &due.endpoint_id, breaker, delivered, probe, now).await {
            tracing::warn!(endpoint_id = %due.endpoint_id, error = %e, "circuit breaker not updated");
        }
    }
    Ok(Handled::Attempted(delivery.status))
}

/// Reschedules a delivery whose endpoint's breaker is open for `until`,
/// with no attempt: its retry-index entry moves there (or, past the retry
/// window, it fails).
async fn defer(app: &App, tenant: &Tenant, mut delivery: Delivery, until: i64) -> Result<Handled, StoreError> {
    let before = delivery.attempts.len();
    if until > delivery.event_created + RETRY_FOR_SECONDS {
        delivery.status = DeliveryStatus::Failed;
        delivery.next_attempt_at = None;
    } else {
        delivery.next_attempt_at = Some(until);
    }
    app.store.record_attempt(tenant, &delivery, before).await?;
    Ok(Handled::Deferred)
}

/// Counts an attempt in the endpoint's breaker; a write that lost to
/// another worker's is redone on the breaker as it now is.
async fn track(
    app: &App,
    tenant: &Tenant,
    endpoint: &WebhookEndpointId,
    mut breaker: Breaker,
    delivered: bool,
    probe: bool,
    now: i64,
) -> Result<(), StoreError> {
    for _ in 0..5 {
        let Some(next) = breaker.after(delivered, probe, now) else {
            return Ok(());
        };
        if app.store.put_breaker(tenant, endpoint, &next).await? {
            if next.open_until != breaker.open_until && next.open_until.is_some() {
                tracing::warn!(endpoint_id = %endpoint, failures = next.failures, cool_down = next.cool_down, "circuit breaker open");
            } else if next.open_until.is_none() && breaker.open_until.is_some() {
                tracing::info!(endpoint_id = %endpoint, "circuit breaker closed");
            }
            return Ok(());
        }
        breaker = app.store.breaker(tenant, endpoint).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::{
        net::Ipv4Addr,
        sync::atomic::{AtomicUsize, Ordering},
    };

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A TCP listener on every interface that counts the connections it
    /// accepts and answers each with `reply` (or closes it, if none).
    async fn listener(reply: Option<String>) -> (u16, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let reply = reply.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0; 8192];
                    let _ = stream.read(&mut buf).await;
                    if let Some(reply) = reply {
                        let _ = stream.write_all(reply.as_bytes()).await;
                    }
                });
            }
        });
        (port, accepted)
    }

    /// Resolves every name to `addrs`, as a hostile (or rebinding) DNS would.
    fn resolving_to(allow_local: bool, addrs: &[&str]) -> Deliverer {
        let addrs: Vec<IpAddr> = addrs.iter().map(|a| a.parse().unwrap()).collect();
        Deliverer::with_lookup(allow_local, move |_| {
            let addrs = addrs.clone();
            async move { Ok(addrs) }
        })
        .unwrap()
    }

    async fn post(d: &Deliverer, url: &str) -> Result<u16, PostError> {
        d.post(url, "t=1,v1=00", "{}".to_owned()).await
    }

    #[tokio::test]
    async fn a_name_resolving_to_loopback_is_never_connected_to() {
        let (port, accepted) = listener(None).await;
        let url = format!("http://hooks.example.com:{port}/");
        for addrs in [
            &["127.0.0.1"][..],
            &["::ffff:127.0.0.1"],
            &["10.0.0.1", "127.0.0.1", "169.254.169.254"],
        ] {
            let guarded = resolving_to(false, addrs);
            assert_eq!(post(&guarded, &url).await, Err(PostError::NotAllowed), "{addrs:?}");
            let https = format!("https://hooks.example.com:{port}/");
            assert_eq!(post(&guarded, &https).await, Err(PostError::NotAllowed), "{addrs:?}");
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 0, "no connection at all");

        // The same stub without the guard (the local stack) does connect:
        // the listener would have seen the guarded attempts.
        let open = resolving_to(true, &["127.0.0.1"]);
        assert!(matches!(post(&open, &url).await, Err(PostError::Failed(_))));
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn literal_addresses_that_are_not_public_are_refused() {
        let (port, accepted) = listener(None).await;
        // The resolver is not asked for literal addresses; it would say public.
        let guarded = resolving_to(false, &["8.8.8.8"]);
        for host in [
            "127.0.0.1",
            "[::ffff:127.0.0.1]",
            "[::ffff:7f00:1]",
            "[::1]",
            "0.0.0.0",
            "[::]",
            "10.1.2.3",
        ] {
            let url = format!("http://{host}:{port}/");
            assert_eq!(post(&guarded, &url).await, Err(PostError::NotAllowed), "{url}");
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 0, "no connection at all");
        // Not std's IPv4 syntax: a name for the resolver, which getaddrinfo
        // would turn into 127.0.0.1 (so the system lookup is filtered too).
        assert_eq!(literal_ip(&"http://2130706433/".parse().unwrap()), None);
        assert_eq!(
            literal_ip(&"http://[::1]:80/".parse().unwrap()),
            Some("::1".parse().unwrap())
        );
    }

    #[tokio::test]
    async fn the_system_resolver_is_filtered_too() {
        let (port, accepted) = listener(None).await;
        let guarded = Deliverer::new(false).unwrap();
        let url = format!("http://localhost:{port}/");
        assert_eq!(post(&guarded, &url).await, Err(PostError::NotAllowed));
        assert_eq!(accepted.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn redirects_are_not_followed() {
        let (target, followed) = listener(Some("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n".to_owned())).await;
        let redirect =
            format!("HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:{target}/\r\ncontent-length: 0\r\n\r\n");
        let (port, accepted) = listener(Some(redirect)).await;
        let open = Deliverer::new(true).unwrap();
        assert_eq!(post(&open, &format!("http://127.0.0.1:{port}/")).await, Ok(302));
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
        assert_eq!(followed.load(Ordering::SeqCst), 0, "the Location is not visited");
    }
}
