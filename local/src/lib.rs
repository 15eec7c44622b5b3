//! The local stack's API server.
//!
//! It serves every route of `template.yaml` on a local port the way API
//! Gateway (REST) does on AWS: it matches the route, runs the same Lambda
//! authorizer (with the same REQUEST event shape and IAM-policy answer),
//! builds the same proxy event, and runs the function's handler through
//! `lambda_http`'s own adapter, the code path `lambda_http::run` uses on
//! Lambda. What API Gateway answers by itself (bad key, unknown route, body
//! too large, a crashed function) comes from the template's gateway
//! responses.

pub mod stream;
pub mod template;

use paynectra_functions::{
    attach_payment_method, authorizer, cancel_payment, capture_payment, confirm_payment, create_customer,
    create_payment, create_payment_method, create_refund, create_webhook_endpoint, delete_customer,
    delete_webhook_endpoint, detach_payment_method, get_customer, get_event, get_payment, get_refund, hosted_page,
    list_customers, list_events, list_payment_methods, list_payments, list_refunds, list_webhook_endpoints,
    update_customer,
};
use std::{
    collections::HashMap,
    convert::Infallible,
    future::Future,
    net::SocketAddr,
    pin::Pin,
    sync::{Arc, Mutex},
    time::Instant,
};

use base64::Engine;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::{body::Bytes, service::service_fn};
use hyper_util::rt::{TokioExecutor, TokioIo};
use lambda_http::{request::LambdaRequest, Body, Request, Response, Service};
use lambda_runtime::LambdaEvent;
use paynectra::App;
use serde_json::{json, Map, Value};
use tokio::net::TcpListener;

pub use template::{Route, Template, ThrottleLimits};

/// API Gateway's payload limit for REST APIs.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type HttpHandler =
    Arc<dyn Fn(&'static App, Request) -> BoxFuture<Result<Response<Body>, lambda_http::Error>> + Send + Sync>;

fn handler<F, Fut>(f: F) -> HttpHandler
where
    F: Fn(&'static App, Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Response<Body>, lambda_http::Error>> + Send + 'static,
{
    Arc::new(move |app, req| Box::pin(f(app, req)))
}

/// Every HTTP function of the workspace, by binary name. A route in
/// `template.yaml` whose function is missing here stops the server at start.
fn http_functions() -> HashMap<&'static str, HttpHandler> {
    HashMap::from([
        ("create_payment", handler(create_payment::handler)),
        ("get_payment", handler(get_payment::handler)),
        ("list_payments", handler(list_payments::handler)),
        ("hosted_page", handler(hosted_page::handler)),
        ("get_event", handler(get_event::handler)),
        ("list_events", handler(list_events::handler)),
        ("create_webhook_endpoint", handler(create_webhook_endpoint::handler)),
        ("list_webhook_endpoints", handler(list_webhook_endpoints::handler)),
        ("delete_webhook_endpoint", handler(delete_webhook_endpoint::handler)),
        ("confirm_payment", handler(confirm_payment::handler)),
        ("capture_payment", handler(capture_payment::handler)),
        ("cancel_payment", handler(cancel_payment::handler)),
        ("create_payment_method", handler(create_payment_method::handler)),
        ("attach_payment_method", handler(attach_payment_method::handler)),
        ("list_payment_methods", handler(list_payment_methods::handler)),
        ("detach_payment_method", handler(detach_payment_method::handler)),
        ("create_customer", handler(create_customer::handler)),
        ("get_customer", handler(get_customer::handler)),
        ("update_customer", handler(update_customer::handler)),
        ("delete_customer", handler(delete_customer::handler)),
        ("list_customers", handler(list_customers::handler)),
        ("create_refund", handler(create_refund::handler)),
        ("get_refund", handler(get_refund::handler)),
        ("list_refunds", handler(list_refunds::handler)),
    ])
}

/// The authorizer functions of the workspace, by binary name.
const AUTHORIZERS: [&str; 1] = ["authorizer"];

pub struct LocalApi {
    template: Template,
    app: &'static App,
    functions: HashMap<&'static str, HttpHandler>,
    throttling: Throttling,
    buckets: Mutex<HashMap<String, Bucket>>,
}

/// Which throttle the local stack applies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Throttling {
    /// The template's stage `MethodSettings`, as API Gateway applies them
    /// (the default).
    Template,
    /// These limits for every method instead (tests, load runs).
    Limits(ThrottleLimits),
    /// None at all.
    Off,
}

/// A method's token bucket: it starts full (`burst` tokens) and refills at
/// `rate` tokens a second; a request takes one, or is throttled.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(limits: ThrottleLimits, now: Instant) -> Self {
        Self {
            tokens: f64::from(limits.burst),
            at: now,
        }
    }

    fn take(&mut self, limits: ThrottleLimits, now: Instant) -> bool {
        let refill = now.saturating_duration_since(self.at).as_secs_f64() * limits.rate;
        self.tokens = (self.tokens + refill).min(f64::from(limits.burst));
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

type HttpResponse = hyper::Response<Full<Bytes>>;

/// A gateway-level answer, before it becomes an HTTP response.
struct Gateway {
    kind: &'static str,
    status: u16,
}

const UNAUTHORIZED: Gateway = Gateway {
    kind: "UNAUTHORIZED",
    status: 401,
};
const ACCESS_DENIED: Gateway = Gateway {
    kind: "ACCESS_DENIED",
    status: 403,
};
const AUTHORIZER_FAILURE: Gateway = Gateway {
    kind: "AUTHORIZER_FAILURE",
    status: 500,
};
const MISSING_AUTHENTICATION_TOKEN: Gateway = Gateway {
    kind: "MISSING_AUTHENTICATION_TOKEN",
    status: 403,
};
const REQUEST_TOO_LARGE: Gateway = Gateway {
    kind: "REQUEST_TOO_LARGE",
    status: 413,
};
const THROTTLED: Gateway = Gateway {
    kind: "THROTTLED",
    status: 429,
};
const BAD_GATEWAY: Gateway = Gateway {
    kind: "DEFAULT_5XX",
    status: 502,
};

/// Glob match of an IAM resource pattern (`*` matches any run of characters).
fn resource_matches(pattern: &str, resource: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == resource,
        Some((head, rest)) => {
            let Some(tail) = resource.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len())
                .filter(|i| tail.is_char_boundary(*i))
                .any(|i| resource_matches(rest, &tail[i..]))
        }
    }
}

/// Evaluates the authorizer's policy as API Gateway does: an explicit Deny
/// wins, then an Allow that covers the method ARN, else deny.
fn policy_allows(policy: &Value, method_arn: &str) -> bool {
    let statements = policy
        .get("Statement")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let applies = |s: &Value| {
        let list = |v: Option<&Value>| -> Vec<String> {
            match v {
                Some(Value::String(x)) => vec![x.clone()],
                Some(Value::Array(xs)) => xs.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect(),
                _ => vec![],
            }
        };
        let action = list(s.get("Action"))
            .iter()
            .any(|a| a == "execute-api:Invoke" || a == "*");
        action && list(s.get("Resource")).iter().any(|r| resource_matches(r, method_arn))
    };
    let effect_is = |s: &Value, want: &str| s.get("Effect").and_then(Value::as_str) == Some(want);
    let denied = statements.iter().any(|s| effect_is(s, "Deny") && applies(s));
    let allowed = statements.iter().any(|s| effect_is(s, "Allow") && applies(s));
    allowed && !denied
}

/// API Gateway's two views of repeated names: `name -> last value` and
/// `name -> [values]`.
fn single_and_multi(pairs: impl Iterator<Item = (String, String)>) -> (Map<String, Value>, Map<String, Value>) {
    let mut single = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    for (k, v) in pairs {
        single.insert(k.clone(), json!(v));
        if let Value::Array(values) = multi.entry(k).or_insert_with(|| json!([])) {
            values.push(json!(v));
        }
    }
    (single, multi)
}

fn header_maps(headers: &HeaderMap) -> (Map<String, Value>, Map<String, Value>) {
    single_and_multi(headers.iter().map(|(name, value)| {
        (
            name.as_str().to_owned(),
            String::from_utf8_lossy(value.as_bytes()).into_owned(),
        )
    }))
}

fn query_maps(query: Option<&str>) -> (Value, Value) {
    match query.filter(|q| !q.is_empty()) {
        None => (Value::Null, Value::Null),
        Some(q) => {
            let (single, multi) = single_and_multi(form_urlencoded::parse(q.as_bytes()).into_owned());
            (Value::Object(single), Value::Object(multi))
        }
    }
}

impl LocalApi {
    /// Checks that every route and the authorizer of the template have a
    /// function in this workspace.
    pub fn new(template: Template, app: &'static App) -> Result<Self, String> {
        let functions = http_functions();
        for r in &template.routes {
            if !functions.contains_key(r.function.as_str()) {
                return Err(format!(
                    "template.yaml routes {} {} to '{}', which the local stack does not know (add it to http_functions())",
                    r.method, r.path, r.function
                ));
            }
        }
        if let Some(a) = &template.authorizer {
            if !AUTHORIZERS.contains(&a.as_str()) {
                return Err(format!(
                    "template.yaml's authorizer '{a}' is not a known authorizer function"
                ));
            }
        }
        Ok(Self {
            template,
            app,
            functions,
            throttling: Throttling::Template,
            buckets: Mutex::new(HashMap::new()),
        })
    }

    /// Another throttle than the template's (see [`Throttling`]).
    pub fn with_throttling(mut self, throttling: Throttling) -> Self {
        self.throttling = throttling;
        self
    }

    pub fn routes(&self) -> &[Route] {
        &self.template.routes
    }

    /// Takes a token from the bucket of `method` on `resource` (as in the
    /// template). False: throttled.
    fn admit(&self, method: &Method, resource: &str) -> bool {
        let limits = match self.throttling {
            Throttling::Off => return true,
            Throttling::Limits(l) => l,
            Throttling::Template => match self.template.throttle(method, resource) {
                Some(l) => l,
                None => return true,
            },
        };
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        buckets
            .entry(format!("{method} {resource}"))
            .or_insert_with(|| Bucket::full(limits, now))
            .take(limits, now)
    }

    fn gateway_response(&self, g: Gateway, request_id: &str) -> HttpResponse {
        let fallback = if g.status >= 500 { "DEFAULT_5XX" } else { "DEFAULT_4XX" };
        let configured = self
            .template
            .gateway_responses
            .get(g.kind)
            .or_else(|| self.template.gateway_responses.get(fallback));
        let status = configured.and_then(|c| c.status).unwrap_or(g.status);
        let body = configured
            .map(|c| c.body.clone())
            .unwrap_or_else(|| json!({ "message": g.kind }).to_string());
        let mut res = hyper::Response::new(Full::new(Bytes::from(body)));
        *res.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        res.headers_mut()
            .insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Ok(v) = HeaderValue::from_str(request_id) {
            res.headers_mut().insert(paynectra::http::REQUEST_ID_HEADER, v);
        }
        res
    }

    /// Answers one HTTP request.
    pub async fn handle(&self, req: hyper::Request<hyper::body::Incoming>, peer: SocketAddr) -> HttpResponse {
        let request_id = uuid::Uuid::new_v4().to_string();
        let mut res = self.handle_inner(req, peer, &request_id).await;
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            res.headers_mut().insert("x-amzn-requestid", v);
        }
        res
    }

    async fn handle_inner(
        &self,
        req: hyper::Request<hyper::body::Incoming>,
        peer: SocketAddr,
        request_id: &str,
    ) -> HttpResponse {
        let (parts, body) = req.into_parts();
        let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => return self.gateway_response(REQUEST_TOO_LARGE, request_id),
        };
        let path = parts.uri.path().to_owned();
        // API Gateway throttles each method of the stage before it calls the
        // authorizer or the function.
        let resource = match self.template.route(&parts.method, &path) {
            Some((route, _)) => Some(route.path.clone()),
            None if parts.method == Method::OPTIONS => self
                .template
                .routes
                .iter()
                .find(|r| r.matches(&path).is_some())
                .map(|r| r.path.clone()),
            None => None,
        };
        if let Some(resource) = resource {
            if !self.admit(&parts.method, &resource) {
                return self.gateway_response(THROTTLED, request_id);
            }
        }
        if parts.method == Method::OPTIONS && self.template.routes.iter().any(|r| r.matches(&path).is_some()) {
            // CORS preflight, as the template's Cors settings answer it.
            let mut res = hyper::Response::new(Full::new(Bytes::new()));
            *res.status_mut() = StatusCode::NO_CONTENT;
            let h = res.headers_mut();
            h.insert("access-control-allow-origin", HeaderValue::from_static("*"));
            h.insert(
                "access-control-allow-headers",
                HeaderValue::from_static("Authorization,Content-Type,Idempotency-Key"),
            );
            h.insert(
                "access-control-allow-methods",
                HeaderValue::from_static("GET,POST,DELETE,OPTIONS"),
            );
            h.insert("access-control-max-age", HeaderValue::from_static("600"));
            return res;
        }
        let Some((route, path_params)) = self.template.route(&parts.method, &path) else {
            return self.gateway_response(MISSING_AUTHENTICATION_TOKEN, request_id);
        };
        let method_arn = format!(
            "arn:aws:execute-api:local:000000000000:local/local/{}{}",
            parts.method, path
        );
        let (headers, multi_headers) = header_maps(&parts.headers);
        let (query, multi_query) = query_maps(parts.uri.query());
        let path_params = if path_params.is_empty() {
            Value::Null
        } else {
            json!(path_params)
        };

        let mut authorizer_context = Map::new();
        if let (true, Some(_)) = (route.authorized, &self.template.authorizer) {
            let presented = parts
                .headers
                .get(http::header::AUTHORIZATION)
                .is_some_and(|v| !v.is_empty());
            if !presented {
                return self.gateway_response(UNAUTHORIZED, request_id);
            }
            let event = json!({
                "type": "REQUEST",
                "methodArn": method_arn,
                "resource": route.path,
                "path": path,
                "httpMethod": parts.method.as_str(),
                "headers": headers,
                "multiValueHeaders": multi_headers,
                "queryStringParameters": query,
                "multiValueQueryStringParameters": multi_query,
                "pathParameters": path_params,
                "stageVariables": null,
                "requestContext": {
                    "path": format!("/local{path}"),
                    "accountId": "000000000000",
                    "resourceId": "local",
                    "stage": "local",
                    "requestId": request_id,
                    "resourcePath": route.path,
                    "httpMethod": parts.method.as_str(),
                    "apiId": "local",
                },
            });
            let event: authorizer::Event = match serde_json::from_value(event) {
                Ok(e) => e,
                Err(e) => {
                    tracing::error!(error = %e, "could not build the authorizer event");
                    return self.gateway_response(AUTHORIZER_FAILURE, request_id);
                }
            };
            let answer = match authorizer::handler(&self.app.store, event).await {
                Ok(a) => serde_json::to_value(a).unwrap_or(Value::Null),
                Err(e) => {
                    tracing::error!(request_id, error = %e, "authorizer failed");
                    return self.gateway_response(AUTHORIZER_FAILURE, request_id);
                }
            };
            if !policy_allows(&answer["policyDocument"], &method_arn) {
                return self.gateway_response(ACCESS_DENIED, request_id);
            }
            if let Some(ctx) = answer["context"].as_object() {
                authorizer_context.extend(ctx.clone());
            }
            authorizer_context.insert("principalId".into(), answer["principalId"].clone());
        }

        let (body_text, is_base64) = match std::str::from_utf8(&body) {
            _ if body.is_empty() => (Value::Null, false),
            Ok(t) => (json!(t), false),
            Err(_) => (json!(base64::engine::general_purpose::STANDARD.encode(&body)), true),
        };
        let event = json!({
            "resource": route.path,
            "path": path,
            "httpMethod": parts.method.as_str(),
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": query,
            "multiValueQueryStringParameters": multi_query,
            "pathParameters": path_params,
            "stageVariables": null,
            "requestContext": {
                "accountId": "000000000000",
                "resourceId": "local",
                "stage": "local",
                "requestId": request_id,
                "identity": { "sourceIp": peer.ip().to_string() },
                "resourcePath": route.path,
                "httpMethod": parts.method.as_str(),
                "path": format!("/local{path}"),
                "authorizer": authorizer_context,
                "protocol": "HTTP/1.1",
                "requestTimeEpoch": std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or(0),
                "apiId": "local",
            },
            "body": body_text,
            "isBase64Encoded": is_base64,
        });
        let function = self.functions[route.function.as_str()].clone();
        let timeout = self.template.timeout(&route.function);
        match invoke(function, self.app, event, request_id, timeout).await {
            Ok(res) => res,
            Err(e) => {
                tracing::error!(request_id, function = %route.function, error = %e, "function failed");
                self.gateway_response(BAD_GATEWAY, request_id)
            }
        }
    }
}

/// Runs a handler as `lambda_http::run` would: the proxy event is
/// deserialised into `LambdaRequest`, converted by `lambda_http`'s adapter,
/// and the response converted back into API Gateway's proxy response shape,
/// which becomes the HTTP response. The invocation has the function's
/// deadline, and is stopped at it, as Lambda stops a function that times out
/// (API Gateway then answers 502 with the `DEFAULT_5XX` body).
async fn invoke(
    function: HttpHandler,
    app: &'static App,
    event: Value,
    request_id: &str,
    timeout: std::time::Duration,
) -> Result<HttpResponse, lambda_http::Error> {
    let lambda_request: LambdaRequest = serde_json::from_value(event)?;
    let mut context = lambda_runtime::Context::default();
    context.request_id = request_id.to_owned();
    context.deadline = (std::time::SystemTime::now() + timeout)
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let mut adapter = lambda_http::Adapter::from(lambda_http::service_fn(move |req: Request| function(app, req)));
    std::future::poll_fn(|cx| Service::<LambdaEvent<LambdaRequest>>::poll_ready(&mut adapter, cx)).await?;
    let response = tokio::time::timeout(timeout, adapter.call(LambdaEvent::new(lambda_request, context)))
        .await
        .map_err(|_| format!("Task timed out after {:.2} seconds", timeout.as_secs_f64()))??;
    let proxy: aws_lambda_events::apigw::ApiGatewayProxyResponse =
        serde_json::from_value(serde_json::to_value(response)?)?;
    let body = match proxy.body {
        Some(Body::Text(t)) if proxy.is_base64_encoded => base64::engine::general_purpose::STANDARD.decode(t)?.into(),
        Some(Body::Text(t)) => Bytes::from(t),
        Some(Body::Binary(b)) => Bytes::from(b),
        _ => Bytes::new(),
    };
    let mut res = hyper::Response::new(Full::new(body));
    *res.status_mut() = StatusCode::from_u16(u16::try_from(proxy.status_code)?)?;
    for (name, value) in proxy.headers.iter().chain(proxy.multi_value_headers.iter()) {
        res.headers_mut().append(name.clone(), value.clone());
    }
    Ok(res)
}

/// Serves the API on `listener` until `shutdown` completes.
pub async fn serve(listener: TcpListener, api: Arc<LocalApi>, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let api = api.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let api = api.clone();
                async move {
                    let method: Method = req.method().clone();
                    let path = req.uri().path().to_owned();
                    let res = api.handle(req, peer).await;
                    tracing::debug!(%method, %path, status = res.status().as_u16(), "local request");
                    Ok::<_, Infallible>(res)
                }
            });
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_resource_globs() {
        let arn = "arn:aws:execute-api:local:000000000000:local/local/GET/v1/payments/pay_1";
        assert!(resource_matches(
            "arn:aws:execute-api:local:000000000000:local/local/*",
            arn
        ));
        assert!(resource_matches("*", arn));
        assert!(!resource_matches(
            "arn:aws:execute-api:local:000000000000:other/local/*",
            arn
        ));
        assert!(resource_matches(arn, arn));
    }

    #[test]
    fn query_strings_as_api_gateway_shows_them() {
        let (single, multi) = query_maps(Some("limit=2&status=a&status=b&created%5Bgte%5D=5"));
        assert_eq!(single["status"], "b");
        assert_eq!(multi["status"], json!(["a", "b"]));
        assert_eq!(single["created[gte]"], "5");
        assert_eq!(query_maps(Some("")), (Value::Null, Value::Null));
    }

    #[test]
    fn token_bucket() {
        let limits = ThrottleLimits { rate: 2.0, burst: 3 };
        let t0 = Instant::now();
        let mut b = Bucket::full(limits, t0);
        assert!((0..3).all(|_| b.take(limits, t0)), "a full bucket admits a burst");
        assert!(!b.take(limits, t0), "then it is empty");
        let half = t0 + std::time::Duration::from_millis(500);
        assert!(b.take(limits, half), "rate 2/s refills one token in 0.5 s");
        assert!(!b.take(limits, half));
        let later = t0 + std::time::Duration::from_secs(60);
        assert!((0..3).all(|_| b.take(limits, later)), "refills up to the burst only");
        assert!(!b.take(limits, later));
        let zero = ThrottleLimits { rate: 100.0, burst: 0 };
        assert!(!Bucket::full(zero, t0).take(zero, later), "burst 0 admits nothing");
    }

    #[test]
    fn deny_wins() {
        let allow = json!({"Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": ["*"]}]});
        let deny = json!({"Statement": [
            {"Effect": "Allow", "Action": ["execute-api:Invoke"], "Resource": ["*"]},
            {"Effect": "Deny", "Action": ["execute-api:Invoke"], "Resource": ["*"]}
        ]});
        assert!(policy_allows(&allow, "arn:x"));
        assert!(!policy_allows(&deny, "arn:x"));
        assert!(!policy_allows(&json!({}), "arn:x"));
    }
}
