//! API Gateway's REST conversions: the authorizer's REQUEST event and the
//! function's proxy event built from an HTTP request, the function's proxy
//! response turned back into HTTP, and the gateway responses API Gateway
//! answers by itself.

use std::{collections::HashMap, net::SocketAddr};

use base64::Engine;
use http::{request::Parts, HeaderMap, HeaderName, HeaderValue, StatusCode};
use http_body_util::Full;
use hyper::body::Bytes;
use lambda_http::{request::LambdaRequest, Body, Request, Service};
use lambda_runtime::LambdaEvent;
use paynectra::service::App;
use serde_json::{json, Map, Value};

use crate::{
    functions::HttpHandler,
    template::{Route, Template},
};

/// The REST API id and stage the local stack's events name: what
/// `paynectra-admin --api-id local --stage local` provisions usage keys
/// for (moto accepts usage plans for an API it does not have).
pub const LOCAL_REST_API_ID: &str = "local";
pub const LOCAL_STAGE: &str = "local";

/// API Gateway's payload limit for REST APIs.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

pub(crate) type HttpResponse = hyper::Response<Full<Bytes>>;

/// A gateway-level answer, before it becomes an HTTP response.
pub(crate) struct Gateway {
    kind: &'static str,
    status: u16,
}

impl Gateway {
    const fn new(kind: &'static str, status: u16) -> Self {
        Self { kind, status }
    }

    /// The HTTP response: the template's gateway response for this kind
    /// (or its `DEFAULT_4XX`/`DEFAULT_5XX`), else API Gateway's own.
    pub(crate) fn response(&self, template: &Template, request_id: &str) -> HttpResponse {
        let fallback = if self.status >= 500 {
            "DEFAULT_5XX"
        } else {
            "DEFAULT_4XX"
        };
        let configured = template
            .gateway_responses
            .get(self.kind)
            .or_else(|| template.gateway_responses.get(fallback));
        let status = configured.and_then(|c| c.status).unwrap_or(self.status);
        let body = configured
            .map(|c| c.body.clone())
            .unwrap_or_else(|| json!({ "message": self.kind }).to_string());
        let mut res = hyper::Response::new(Full::new(Bytes::from(body)));
        *res.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        res.headers_mut()
            .insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Ok(v) = HeaderValue::from_str(request_id) {
            res.headers_mut().insert(paynectra::http::REQUEST_ID_HEADER, v);
        }
        for (name, value) in configured.map(|c| c.headers.as_slice()).unwrap_or_default() {
            if let (Ok(name), Ok(value)) = (HeaderName::try_from(name.as_str()), HeaderValue::from_str(value)) {
                res.headers_mut().insert(name, value);
            }
        }
        res
    }
}

pub(crate) const UNAUTHORIZED: Gateway = Gateway::new("UNAUTHORIZED", 401);
pub(crate) const ACCESS_DENIED: Gateway = Gateway::new("ACCESS_DENIED", 403);
pub(crate) const AUTHORIZER_FAILURE: Gateway = Gateway::new("AUTHORIZER_FAILURE", 500);
pub(crate) const MISSING_AUTHENTICATION_TOKEN: Gateway = Gateway::new("MISSING_AUTHENTICATION_TOKEN", 403);
pub(crate) const REQUEST_TOO_LARGE: Gateway = Gateway::new("REQUEST_TOO_LARGE", 413);
pub(crate) const THROTTLED: Gateway = Gateway::new("THROTTLED", 429);
pub(crate) const INVALID_API_KEY: Gateway = Gateway::new("INVALID_API_KEY", 403);
pub(crate) const BAD_GATEWAY: Gateway = Gateway::new("DEFAULT_5XX", 502);

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

/// Adds the fields of `more` (an object) to `object`.
fn extend(object: &mut Value, more: Value) {
    if let (Value::Object(o), Value::Object(m)) = (object, more) {
        o.extend(m);
    }
}

/// A request on one of the template's routes, as API Gateway shows it to
/// the authorizer (REQUEST event) and to the function (proxy event).
pub(crate) struct RouteRequest<'a> {
    parts: &'a Parts,
    request_id: &'a str,
    /// The fields both events share.
    common: Value,
}

impl<'a> RouteRequest<'a> {
    pub(crate) fn new(
        route: &'a Route,
        parts: &'a Parts,
        path_params: HashMap<String, String>,
        request_id: &'a str,
    ) -> Self {
        let path = parts.uri.path();
        let method = parts.method.as_str();
        let (headers, multi_headers) = header_maps(&parts.headers);
        let (query, multi_query) = query_maps(parts.uri.query());
        let path_params = if path_params.is_empty() {
            Value::Null
        } else {
            json!(path_params)
        };
        let common = json!({
            "resource": route.path,
            "path": path,
            "httpMethod": method,
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
                "stage": LOCAL_STAGE,
                "requestId": request_id,
                "resourcePath": route.path,
                "httpMethod": method,
                "apiId": LOCAL_REST_API_ID,
            },
        });
        Self {
            parts,
            request_id,
            common,
        }
    }

    pub(crate) fn request_id(&self) -> &'a str {
        self.request_id
    }

    /// Whether the request carries every one of `headers` (an authorizer's
    /// identity sources), non-empty: API Gateway answers `UNAUTHORIZED`
    /// without one, before the authorizer.
    pub(crate) fn presents(&self, headers: &[String]) -> bool {
        headers
            .iter()
            .all(|h| self.parts.headers.get(h.as_str()).is_some_and(|v| !v.is_empty()))
    }

    /// The ARN the authorizer's policy must allow.
    pub(crate) fn method_arn(&self) -> String {
        format!(
            "arn:aws:execute-api:local:000000000000:{LOCAL_REST_API_ID}/{LOCAL_STAGE}/{}{}",
            self.parts.method,
            self.parts.uri.path()
        )
    }

    /// The common fields, with `top` and `context` (into `requestContext`)
    /// added.
    fn event(&self, top: Value, context: Value) -> Value {
        let mut event = self.common.clone();
        extend(&mut event, top);
        extend(&mut event["requestContext"], context);
        event
    }

    /// The REQUEST authorizer's event.
    pub(crate) fn authorizer_event(&self) -> Value {
        self.event(json!({ "type": "REQUEST", "methodArn": self.method_arn() }), json!({}))
    }

    /// The function's proxy event, with the authorizer's context (and
    /// principal) and the body (base64 if it is not UTF-8).
    pub(crate) fn proxy_event(&self, peer: SocketAddr, authorizer: Map<String, Value>, body: &[u8]) -> Value {
        let (body_text, is_base64) = match std::str::from_utf8(body) {
            _ if body.is_empty() => (Value::Null, false),
            Ok(t) => (json!(t), false),
            Err(_) => (json!(base64::engine::general_purpose::STANDARD.encode(body)), true),
        };
        self.event(
            json!({
                "body": body_text,
                "isBase64Encoded": is_base64,
            }),
            json!({
                "identity": { "sourceIp": peer.ip().to_string() },
                "authorizer": authorizer,
                "protocol": "HTTP/1.1",
                "requestTimeEpoch": std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or(0),
            }),
        )
    }
}

/// Runs a handler as `lambda_http::run` would: the proxy event is
/// deserialised into `LambdaRequest`, converted by `lambda_http`'s adapter,
/// and the response converted back into API Gateway's proxy response shape,
/// which becomes the HTTP response. The invocation has the function's
/// deadline, and is stopped at it, as Lambda stops a function that times out
/// (API Gateway then answers 502 with the `DEFAULT_5XX` body).
pub(crate) async fn invoke(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_as_api_gateway_shows_them() {
        let (single, multi) = query_maps(Some("limit=2&status=a&status=b&created%5Bgte%5D=5"));
        assert_eq!(single["status"], "b");
        assert_eq!(multi["status"], json!(["a", "b"]));
        assert_eq!(single["created[gte]"], "5");
        assert_eq!(query_maps(Some("")), (Value::Null, Value::Null));
    }

    #[test]
    fn the_authorizer_and_the_function_see_the_same_request() {
        let route = Route {
            method: http::Method::GET,
            path: "/v1/payments/{id}".into(),
            function: "get_payment".into(),
            authorizer: Some("ApiKeyAuthorizer".into()),
            api_key_required: true,
        };
        let (parts, ()) = http::Request::get("/v1/payments/pay_1?expand=a&expand=b")
            .header("authorization", "Bearer sk_test_x")
            .body(())
            .expect("a request")
            .into_parts();
        let params = HashMap::from([("id".to_owned(), "pay_1".to_owned())]);
        let request = RouteRequest::new(&route, &parts, params, "req_1");
        assert!(request.presents(&["Authorization".to_owned()]));
        assert!(request.presents(&[]), "no identity source: nothing to present");
        assert!(!request.presents(&["X-Other".to_owned()]));
        let arn = "arn:aws:execute-api:local:000000000000:local/local/GET/v1/payments/pay_1";
        assert_eq!(request.method_arn(), arn);

        let auth = request.authorizer_event();
        assert_eq!((&auth["type"], &auth["methodArn"]), (&json!("REQUEST"), &json!(arn)));
        assert!(auth.get("body").is_none(), "{auth}");
        let event: paynectra_functions::authorizer::Event =
            serde_json::from_value(auth.clone()).expect("an authorizer event");
        assert_eq!(event.resource.as_deref(), Some("/v1/payments/{id}"));

        let context = Map::from_iter([("principalId".to_owned(), json!("acct_1"))]);
        let peer: SocketAddr = "127.0.0.1:4000".parse().expect("an address");
        let proxy = request.proxy_event(peer, context, b"{}");
        for shared in [
            "resource",
            "path",
            "httpMethod",
            "headers",
            "multiValueQueryStringParameters",
        ] {
            assert_eq!(proxy[shared], auth[shared], "{shared}");
        }
        assert_eq!(proxy["pathParameters"], json!({ "id": "pay_1" }));
        assert_eq!(proxy["multiValueQueryStringParameters"]["expand"], json!(["a", "b"]));
        let ctx = &proxy["requestContext"];
        assert_eq!(ctx["path"], "/local/v1/payments/pay_1");
        assert_eq!(ctx["requestId"], "req_1");
        assert_eq!(ctx["identity"]["sourceIp"], "127.0.0.1");
        assert_eq!(ctx["authorizer"]["principalId"], "acct_1");
        assert_eq!(
            (&proxy["body"], &proxy["isBase64Encoded"]),
            (&json!("{}"), &json!(false))
        );
        let _: LambdaRequest = serde_json::from_value(proxy).expect("a proxy event");

        let binary = request.proxy_event(peer, Map::new(), &[0xff]);
        assert_eq!(
            (&binary["body"], &binary["isBase64Encoded"]),
            (&json!("/w=="), &json!(true))
        );
        let empty = request.proxy_event(peer, Map::new(), b"");
        assert_eq!(
            (&empty["body"], &empty["isBase64Encoded"]),
            (&Value::Null, &json!(false))
        );
    }
}
