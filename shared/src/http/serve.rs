//! The wrapper every handler runs in.

use std::{
    future::Future,
    time::{Duration, Instant, SystemTime},
};

use http::{header, HeaderValue, StatusCode};
use lambda_http::{request::RequestContext, Body, Request, RequestExt, Response};
use serde::Serialize;
use tracing::Instrument;

use super::ApiError;
use crate::{
    domain::{AccountId, KeyKind, Mode, PrefixedId, Tenant},
    service::App,
};

/// The response header that carries the request id (API Gateway's, so it
/// matches the access logs).
pub const REQUEST_ID_HEADER: &str = "request-id";

/// What every HTTP handler returns to the Lambda runtime.
pub type Handled = Result<Response<Body>, lambda_http::Error>;

/// What a handler knows about its request besides the request itself.
#[derive(Debug, Clone)]
pub struct RequestCtx {
    pub request_id: String,
    /// The account and mode the authorizer resolved the API key to.
    pub tenant: Tenant,
    /// Secret or publishable.
    pub key_kind: KeyKind,
    /// The request's `Idempotency-Key`, if any (recorded on its events).
    pub idempotency_key: Option<String>,
    /// The time of the request (Unix seconds), read once from the app's
    /// clock: everything the request decides and writes uses it.
    pub now: i64,
    /// The API's public URL as this request reached it ([`public_url`]):
    /// what links the API hands out (a payment's receipt page) start with.
    pub public_url: String,
}

impl RequestCtx {
    /// What the events this request causes say about it.
    pub fn event_request(&self) -> crate::domain::EventRequest {
        crate::domain::EventRequest {
            id: Some(self.request_id.clone()),
            idempotency_key: self.idempotency_key.clone(),
        }
    }

    /// An event this request causes: in the tenant's mode, at `now`, naming
    /// the request; `previous` holds the attributes an update changed.
    pub fn event(
        &self,
        kind: crate::domain::EventType,
        object: &impl Serialize,
        previous: Option<serde_json::Value>,
    ) -> crate::domain::Event {
        crate::domain::Event::new(kind, self.tenant.mode, object, previous, self.event_request(), self.now)
    }
}

/// A response the handler chose: a success, or a recorded response
/// replayed for an `Idempotency-Key`.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub body: String,
    /// True for a response replayed from an idempotency record.
    pub replayed: bool,
}

impl Reply {
    pub fn ok<T: Serialize>(value: &T) -> Result<Self, ApiError> {
        Ok(Self {
            status: StatusCode::OK,
            body: serde_json::to_string(value).map_err(|e| {
                tracing::error!(error = %e, "response serialisation failed");
                ApiError::internal()
            })?,
            replayed: false,
        })
    }
}

/// The API's public URL as `req` reached it, without a trailing slash:
/// `https://{Host}`, and the stage API Gateway's own hostname puts before
/// every path (`/prod`; a custom domain's mapping has none). The scheme is
/// API Gateway's `X-Forwarded-Proto` (always https there); without one, http
/// for a loopback host (the local stack) and https otherwise.
pub fn public_url(req: &Request) -> String {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    // Only a host name's characters: a Host header is the caller's to send.
    let host = header("host")
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b)))
        .unwrap_or("localhost")
        .to_ascii_lowercase();
    let name = host.rsplit_once(':').map_or(host.as_str(), |(name, _)| name);
    let loopback = matches!(name, "localhost" | "127.0.0.1" | "[::1]");
    let scheme = match header("x-forwarded-proto") {
        Some("http") => "http",
        Some(_) => "https",
        None if loopback => "http",
        None => "https",
    };
    let stage = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(ctx)) if name.ends_with(".amazonaws.com") => ctx
            .stage
            .as_deref()
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
            .map(|s| format!("/{s}")),
        _ => None,
    };
    format!("{scheme}://{host}{}", stage.unwrap_or_default())
}

fn request_id(req: &Request) -> String {
    let from_gateway = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(ctx)) => ctx.request_id.clone(),
        _ => None,
    };
    from_gateway
        .filter(|id| !id.is_empty())
        .or_else(|| {
            req.lambda_context_ref()
                .map(|c| c.request_id.clone())
                .filter(|id| !id.is_empty())
        })
        .unwrap_or_else(|| format!("req_{}", uuid::Uuid::now_v7().simple()))
}

/// The tenant and key kind from the authorizer's context (`account_id`,
/// `mode`, `key_kind`, and `list_shards`, which API Gateway may pass as a
/// string or a number; absent means 1). A request without the first three
/// never passed the authorizer, so it is refused.
fn authorized(req: &Request) -> Option<(Tenant, KeyKind)> {
    let auth = req.request_context_ref()?.authorizer()?;
    let field = |name: &str| auth.fields.get(name).and_then(|v| v.as_str());
    let shards = match auth.fields.get("list_shards") {
        None => 1,
        Some(v) => v.as_u64().or_else(|| v.as_str()?.parse().ok())?,
    };
    Some((
        Tenant::new(
            field("account_id")?.parse::<AccountId>().ok()?,
            Mode::parse(field("mode")?)?,
        )
        .with_list_shards(u8::try_from(shards).ok()?),
        KeyKind::parse(field("key_kind")?)?,
    ))
}

/// How long before the invocation's deadline a handler gives up: it then
/// answers an opaque 500 (and logs why) instead of being killed by Lambda
/// mid-request, which would leave no log of the cause and a 502 from API
/// Gateway. A handler makes several DynamoDB calls, each bounded by the
/// client's 8 s operation timeout, so together they can outlast the
/// function's 10 s when DynamoDB is slow.
pub const DEADLINE_MARGIN: Duration = Duration::from_millis(500);

/// The time the handler has: until the Lambda deadline less
/// [`DEADLINE_MARGIN`]. `None` without a deadline (a request built by hand).
fn time_left(req: &Request) -> Option<Duration> {
    let ctx = req.lambda_context_ref().filter(|c| c.deadline > 0)?;
    Some(
        ctx.deadline()
            .duration_since(SystemTime::now())
            .unwrap_or_default()
            .saturating_sub(DEADLINE_MARGIN),
    )
}

/// Which keys an endpoint accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Secret keys only: almost everything.
    SecretOnly,
    /// Secret or publishable keys (tokenising cards, confirming with a
    /// client secret).
    Publishable,
}

/// The `{id}` path parameter as an id of type `T`. A malformed id cannot
/// name an object, so it gets the same 404 as a missing one.
pub fn path_id<T: PrefixedId>(req: &Request) -> Result<T, ApiError> {
    path_id_named(req, "id")
}

/// A named path parameter (`{payment_method_id}`) as an id of type `T`.
pub fn path_id_named<T: PrefixedId>(req: &Request, name: &str) -> Result<T, ApiError> {
    let raw = req
        .path_parameters_ref()
        .and_then(|p| p.first(name))
        .unwrap_or_default();
    raw.parse()
        .map_err(|_| ApiError::not_found(T::KIND, raw).with_param(name))
}

fn respond(status: StatusCode, body: String, request_id: &str, replayed: bool) -> Response<Body> {
    let mut res = Response::new(Body::Text(body));
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Keys travel in the Authorization header, never in cookies, so any
    // origin may call the API (paynectra.js on a merchant's own page).
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert(REQUEST_ID_HEADER, v);
    }
    if replayed {
        let (name, value) = super::idempotency::replayed_header();
        h.insert(name, value);
    }
    res
}

/// Runs `handler` for an authenticated request: opens the request span
/// (every log line carries `request_id`), resolves the tenant, turns errors
/// into the standard error body, and adds `Request-Id` to every response.
///
/// It never returns `Err`: a failure is a response, so Lambda never reports
/// an invocation error for a request it answered.
pub async fn serve<F, Fut>(app: &App, req: Request, handler: F) -> Handled
where
    F: FnOnce(RequestCtx, Request) -> Fut,
    Fut: Future<Output = Result<Reply, ApiError>>,
{
    serve_with(app, Access::SecretOnly, req, handler).await
}

/// [`serve`], for an endpoint that also takes publishable keys.
pub async fn serve_with<F, Fut>(app: &App, access: Access, req: Request, handler: F) -> Handled
where
    F: FnOnce(RequestCtx, Request) -> Fut,
    Fut: Future<Output = Result<Reply, ApiError>>,
{
    let request_id = request_id(&req);
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %req.method(),
        path = %req.uri().path(),
        account_id = tracing::field::Empty,
    );
    let budget = time_left(&req);
    async move {
        let started = Instant::now();
        let outcome = match authorized(&req) {
            Some((_, KeyKind::Publishable)) if access == Access::SecretOnly => Err(ApiError::new(
                http::StatusCode::FORBIDDEN,
                super::ErrorType::InvalidRequestError,
                Some("secret_key_required"),
                "This API call cannot be made with a publishable API key. Use a secret key (sk_...) from your server.",
                None,
            )),
            Some((_, KeyKind::Restricted)) if !matches!(*req.method(), http::Method::GET | http::Method::HEAD) => {
                Err(ApiError::new(
                    http::StatusCode::FORBIDDEN,
                    super::ErrorType::InvalidRequestError,
                    Some("secret_key_required"),
                    "This API call cannot be made with a restricted API key: it can read, not write. Use a secret key (sk_...) to make changes.",
                    None,
                ))
            }
            Some((tenant, key_kind)) => {
                tracing::Span::current().record("account_id", tracing::field::display(&tenant.account_id));
                let ctx = RequestCtx {
                    request_id: request_id.clone(),
                    tenant,
                    key_kind,
                    idempotency_key: req
                        .headers()
                        .get(super::idempotency::HEADER)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned),
                    now: app.clock.now(),
                    public_url: public_url(&req),
                };
                let work = handler(ctx, req);
                match budget {
                    None => work.await,
                    Some(budget) => tokio::time::timeout(budget, work).await.unwrap_or_else(|_| {
                        // Dropped mid-way: a write in flight may or may not
                        // have applied (each is one atomic call), and an
                        // Idempotency-Key claimed stays held until its lock
                        // expires, as if Lambda had killed the function.
                        tracing::error!(
                            budget_ms = budget.as_millis() as u64,
                            "the handler ran out of time before the invocation's deadline"
                        );
                        Err(ApiError::internal())
                    }),
                }
            }
            None => {
                tracing::warn!("request without authorizer context refused");
                Err(ApiError::unauthorized())
            }
        };
        let (status, body, replayed) = match outcome {
            Ok(reply) => (reply.status, reply.body, reply.replayed),
            Err(e) => (e.status, e.body(), false),
        };
        tracing::info!(
            status = status.as_u16(),
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request completed"
        );
        Ok(respond(status, body, &request_id, replayed))
    }
    .instrument(span)
    .await
}

#[cfg(test)]
mod tests {
    use lambda_http::{request::RequestContext, Context, RequestExt};

    use super::*;

    /// A request as the authorizer lets it through, invoked with `deadline`.
    fn request(deadline: Option<SystemTime>) -> Request {
        let ctx: aws_lambda_events::apigw::ApiGatewayProxyRequestContext = serde_json::from_value(serde_json::json!({
            "requestId": "req-1",
            "httpMethod": "GET",
            "authorizer": {
                "account_id": crate::domain::AccountId::generate().to_string(),
                "mode": "test",
                "key_kind": "secret",
            },
        }))
        .unwrap();
        let mut lambda = Context::default();
        if let Some(d) = deadline {
            lambda.deadline = d.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis() as u64;
        }
        http::Request::builder()
            .uri("/v1/payments")
            .body(Body::Empty)
            .unwrap()
            .with_request_context(RequestContext::ApiGatewayV1(ctx))
            .with_lambda_context(lambda)
    }

    async fn slow(_: RequestCtx, _: Request) -> Result<Reply, ApiError> {
        tokio::time::sleep(Duration::from_secs(30)).await;
        Err(ApiError::invalid("never", "never", None))
    }

    #[tokio::test]
    async fn a_handler_past_its_deadline_answers_an_opaque_500_before_it() {
        let started = Instant::now();
        let deadline = SystemTime::now() + DEADLINE_MARGIN + Duration::from_millis(200);
        let app = crate::service::App::new(crate::store::Store::new(
            aws_sdk_dynamodb::Client::from_conf(aws_sdk_dynamodb::Config::builder().behavior_version_latest().build()),
            "unused",
        ));
        let res = serve(&app, request(Some(deadline)), slow).await.unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let Body::Text(body) = res.body() else {
            panic!("a text body")
        };
        assert_eq!(body, &ApiError::internal().body());
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
        assert!(SystemTime::now() < deadline, "answered before the deadline");
    }

    #[test]
    fn time_left_is_the_deadline_less_the_margin() {
        assert_eq!(time_left(&request(None)), None, "no deadline, no bound");
        let left = time_left(&request(Some(SystemTime::now() + Duration::from_secs(10)))).unwrap();
        assert!(
            left <= Duration::from_secs(10) - DEADLINE_MARGIN && left > Duration::from_secs(9),
            "{left:?}"
        );
        let past = time_left(&request(Some(SystemTime::now() - Duration::from_secs(1)))).unwrap();
        assert_eq!(past, Duration::ZERO);
    }
}
