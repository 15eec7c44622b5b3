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
        delivery::{backoff, sign, Attempt, Delivery, DeliveryStatus, RETRY_FOR_SECONDS, SIGNATURE_HEADER, TIMEOUT},
        Event, Tenant,
    },
    http::wire::EventObject,
    store::{DueRetry, StoreError},
};

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
            .map_err(|_| PostError::Failed("timed out after 10 s".to_owned()))?
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
