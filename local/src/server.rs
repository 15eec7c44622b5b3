//! The HTTP server: API Gateway's order of work for each request (body
//! limit, route, stage throttle, CORS preflight, authorizer, the usage
//! plan of its usage key, function) and the hyper accept loop.

use std::{collections::HashMap, convert::Infallible, future::Future, net::SocketAddr, sync::Arc};

use http::{HeaderValue, Method, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::{body::Bytes, service::service_fn};
use hyper_util::rt::{TokioExecutor, TokioIo};
use paynectra::{domain::UsageKey, service::App};
use serde_json::{Map, Value};
use tokio::net::TcpListener;

use crate::{
    apigw::{
        self, Gateway, HttpResponse, RouteRequest, ACCESS_DENIED, AUTHORIZER_FAILURE, BAD_GATEWAY, INVALID_API_KEY,
        MISSING_AUTHENTICATION_TOKEN, REQUEST_TOO_LARGE, THROTTLED, UNAUTHORIZED,
    },
    functions::{http_functions, HttpHandler, AUTHORIZERS},
    iam,
    limits::UsageLimits,
    template::{Authorizer, Route, Template, ThrottleLimits},
    throttle::{Throttle, Throttling},
    MAX_BODY_BYTES,
};

pub struct LocalApi {
    template: Template,
    app: &'static App,
    functions: HashMap<&'static str, HttpHandler>,
    throttle: Throttle,
    /// The per-account limits (usage plans); `None`: not applied.
    usage_limits: Option<UsageLimits>,
}

/// What the authorizer's allow carries on.
struct Allowed {
    /// The authorizer context for the function, with `principalId`.
    context: Map<String, Value>,
    /// Its `usageIdentifierKey`.
    usage_key: Option<String>,
}

/// The answer to a CORS preflight, as the template's Cors settings give it.
fn cors_preflight() -> HttpResponse {
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
    res
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
        for (name, a) in &template.authorizers {
            if !AUTHORIZERS.contains(&a.function.as_str()) {
                return Err(format!(
                    "template.yaml's authorizer {name} runs '{}', which is not a known authorizer function",
                    a.function
                ));
            }
        }
        Ok(Self {
            template,
            app,
            functions,
            throttle: Throttle::new(Throttling::Template),
            usage_limits: None,
        })
    }

    /// Another stage throttle than the template's (see [`Throttling`]);
    /// `Throttling::Off` turns the per-account limits off too.
    pub fn with_throttling(mut self, throttling: Throttling) -> Self {
        self.throttle.throttling = throttling;
        self
    }

    /// Applies the per-account limits: the usage plans of `limits`, for the
    /// routes that require an API key (unless the throttle is off).
    pub fn with_usage_limits(mut self, limits: UsageLimits) -> Self {
        self.usage_limits = Some(limits);
        self
    }

    /// Whether requests are held to their usage plans.
    pub fn usage_limits_apply(&self) -> bool {
        self.usage_limits.is_some() && self.throttle.throttling != Throttling::Off
    }

    pub fn routes(&self) -> &[Route] {
        &self.template.routes
    }

    fn gateway_response(&self, g: Gateway, request_id: &str) -> HttpResponse {
        g.response(&self.template, request_id)
    }

    /// Takes a token from `method`'s bucket on `route` (API Gateway
    /// throttles each method of the stage before it calls the authorizer
    /// or the function).
    fn admit(&self, method: &Method, route: &Route) -> bool {
        self.throttle.admit(&self.template, method, &route.path)
    }

    /// The route whose bucket a preflight (`OPTIONS`) on `path` takes: the
    /// template's OPTIONS route if it has one, else the first route on that
    /// path. `None`: no route has this path, so there is no preflight.
    fn preflight_route(&self, path: &str) -> Option<&Route> {
        match self.template.route(&Method::OPTIONS, path) {
            Some((route, _)) => Some(route),
            None => self.template.routes.iter().find(|r| r.matches(path).is_some()),
        }
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
        let path = parts.uri.path();
        if parts.method == Method::OPTIONS {
            return match self.preflight_route(path) {
                Some(route) if !self.admit(&parts.method, route) => self.gateway_response(THROTTLED, request_id),
                Some(_) => cors_preflight(),
                None => self.gateway_response(MISSING_AUTHENTICATION_TOKEN, request_id),
            };
        }
        let Some((route, path_params)) = self.template.route(&parts.method, path) else {
            return self.gateway_response(MISSING_AUTHENTICATION_TOKEN, request_id);
        };
        if !self.admit(&parts.method, route) {
            return self.gateway_response(THROTTLED, request_id);
        }
        let request = RouteRequest::new(route, &parts, path_params, request_id);
        let allowed = match self.template.authorizer_of(route) {
            Some(authorizer) => match self.authorize(authorizer, &request).await {
                Ok(allowed) => allowed,
                Err(g) => return self.gateway_response(g, request_id),
            },
            None => Allowed {
                context: Map::new(),
                usage_key: None,
            },
        };
        if self.template.usage_plan_applies(route) {
            if let Err(g) = self.admit_usage(allowed.usage_key.as_deref(), request_id).await {
                return self.gateway_response(g, request_id);
            }
        }
        let authorizer_context = allowed.context;
        let event = request.proxy_event(peer, authorizer_context, &body);
        let function = self.functions[route.function.as_str()].clone();
        let timeout = self.template.timeout(&route.function);
        match apigw::invoke(function, self.app, event, request_id, timeout).await {
            Ok(res) => res,
            Err(e) => {
                tracing::error!(request_id, function = %route.function, error = %e, "function failed");
                self.gateway_response(BAD_GATEWAY, request_id)
            }
        }
    }

    /// Takes a token from the bucket of the usage key the authorizer
    /// answered, as its usage plan says: no key, or a key in no plan of the
    /// stage, is `INVALID_API_KEY` (as is a lookup that fails: API Gateway
    /// would not know the key either).
    async fn admit_usage(&self, usage_key: Option<&str>, request_id: &str) -> Result<(), Gateway> {
        let Some(usage_limits) = self.usage_limits.as_ref().filter(|_| self.usage_limits_apply()) else {
            return Ok(());
        };
        let Some(key) = usage_key.and_then(UsageKey::parse) else {
            tracing::error!(request_id, "the authorizer answered no usable usageIdentifierKey");
            return Err(INVALID_API_KEY);
        };
        let limits = match usage_limits.limits(&key).await {
            Ok(Some(l)) => l,
            Ok(None) => {
                tracing::error!(request_id, usage_key = %key, "usage key in no usage plan of the stage (paynectra-admin limits sync)");
                return Err(INVALID_API_KEY);
            }
            Err(e) => {
                tracing::error!(request_id, error = %e, "usage plan lookup failed");
                return Err(INVALID_API_KEY);
            }
        };
        let bucket = ThrottleLimits {
            rate: f64::from(limits.rate()),
            burst: limits.burst(),
        };
        if self.throttle.admit_key(key.as_str(), bucket) {
            Ok(())
        } else {
            Err(THROTTLED)
        }
    }

    /// Runs `authorizer` on `request` and evaluates the policy it answers:
    /// the authorizer context for the function (with `principalId`) and its
    /// usage key, or the gateway response that answers instead.
    async fn authorize(&self, authorizer: &Authorizer, request: &RouteRequest<'_>) -> Result<Allowed, Gateway> {
        if !request.presents(&authorizer.identity_headers) {
            return Err(UNAUTHORIZED);
        }
        let event: paynectra_functions::authorizer::Event = serde_json::from_value(request.authorizer_event())
            .map_err(|e| {
                tracing::error!(error = %e, "could not build the authorizer event");
                AUTHORIZER_FAILURE
            })?;
        let answer = match paynectra_functions::authorizer::handler(self.app, event).await {
            Ok(a) => serde_json::to_value(a).unwrap_or(Value::Null),
            Err(e) => {
                tracing::error!(request_id = request.request_id(), error = %e, "authorizer failed");
                return Err(AUTHORIZER_FAILURE);
            }
        };
        if !iam::policy_allows(&answer["policyDocument"], &request.method_arn()) {
            return Err(ACCESS_DENIED);
        }
        let mut context = Map::new();
        if let Some(ctx) = answer["context"].as_object() {
            context.extend(ctx.clone());
        }
        context.insert("principalId".into(), answer["principalId"].clone());
        Ok(Allowed {
            context,
            usage_key: answer["usageIdentifierKey"].as_str().map(str::to_owned),
        })
    }
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
