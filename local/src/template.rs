//! What the local stack reads from `template.yaml`: the routes and the
//! function behind each, the authorizer, and the gateway responses. The
//! template is the one source of truth for both AWS and the local stack.

use std::{collections::HashMap, path::Path, time::Duration};

use http::Method;
use serde_yaml_ng::Value;

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error("template.yaml is not valid YAML: {0}")]
    Yaml(#[from] serde_yaml_ng::Error),
    #[error("template.yaml: {0}")]
    Shape(String),
}

/// One API route: `POST /v1/payments` served by the `create_payment` binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: Method,
    /// As in the template, with `{name}` path parameters.
    pub path: String,
    /// The function's binary (its `BuildProperties.Binary`).
    pub function: String,
    /// The authorizer (its name in the Api's `Auth.Authorizers`): the route's
    /// `Auth.Authorizer`, else the Api's `DefaultAuthorizer`; `None` for
    /// `Authorizer: NONE`.
    pub authorizer: Option<String>,
    /// Whether API Gateway requires an API key (here: the authorizer's
    /// usage key) and applies its usage plan: the route's
    /// `Auth.ApiKeyRequired`, else the Api's.
    pub api_key_required: bool,
}

impl Route {
    /// The path parameters if `path` matches this route.
    pub fn matches(&self, path: &str) -> Option<HashMap<String, String>> {
        let want: Vec<&str> = self.path.trim_matches('/').split('/').collect();
        let got: Vec<&str> = path.trim_matches('/').split('/').collect();
        if want.len() != got.len() {
            return None;
        }
        let mut params = HashMap::new();
        for (w, g) in want.iter().zip(&got) {
            if let Some(name) = w.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
                if g.is_empty() {
                    return None;
                }
                params.insert(name.to_owned(), (*g).to_owned());
            } else if w != g {
                return None;
            }
        }
        Some(params)
    }
}

/// A gateway response: what API Gateway itself answers for a response type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayResponse {
    pub status: Option<u16>,
    pub body: String,
    /// `ResponseParameters.Headers` with static values (`"'1'"` is `1`).
    pub headers: Vec<(String, String)>,
}

/// A Lambda authorizer of the Api.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorizer {
    /// Its function's binary.
    pub function: String,
    /// `Identity.Headers`: without one of them API Gateway answers
    /// `UNAUTHORIZED` and does not call the authorizer.
    pub identity_headers: Vec<String>,
}

/// A token bucket's limits, as API Gateway's throttle takes them: `rate`
/// requests per second in the long run, up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThrottleLimits {
    pub rate: f64,
    pub burst: u32,
}

/// One entry of the stage's `MethodSettings`, for its throttle.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodSetting {
    /// A resource path (`/v1/payments/{id}`; the template writes it
    /// `/~1v1~1payments~1{id}`), or `None` for every resource (`/*`).
    pub resource: Option<String>,
    /// A method, or `None` for every method (`*`).
    pub method: Option<Method>,
    pub rate: Option<f64>,
    pub burst: Option<u32>,
}

impl MethodSetting {
    fn applies(&self, method: &Method, resource: &str) -> bool {
        self.resource.as_deref().is_none_or(|r| r == resource) && self.method.as_ref().is_none_or(|m| m == method)
    }

    /// How specific the setting is: a named resource and method win over
    /// wildcards.
    fn rank(&self) -> u8 {
        u8::from(self.resource.is_some()) * 2 + u8::from(self.method.is_some())
    }
}

#[derive(Debug, Clone)]
pub struct Template {
    pub routes: Vec<Route>,
    /// The Api's Lambda authorizers, by name.
    pub authorizers: HashMap<String, Authorizer>,
    /// `ApiKeySourceType`: `AUTHORIZER` (the authorizer's usage key) or
    /// `HEADER` (API Gateway's default).
    pub api_key_source: String,
    pub gateway_responses: HashMap<String, GatewayResponse>,
    /// The stage's `MethodSettings` that set a throttle.
    pub method_settings: Vec<MethodSetting>,
    /// Each function's `Timeout` (its own, else `Globals.Function.Timeout`),
    /// by binary.
    pub timeouts: HashMap<String, Duration>,
}

/// SAM's default function timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// `/*`, or a resource path with `/` escaped as `~1` (JSON pointer style).
fn setting_resource(raw: &str) -> Option<String> {
    match raw.strip_prefix('/').unwrap_or(raw) {
        "*" => None,
        p => Some(p.replace("~1", "/").replace("~0", "~")),
    }
}

fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.as_mapping()?.get(key)
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `!GetAtt Name.Arn` (or `Fn::GetAtt: [Name, Arn]`) to `Name`.
fn get_att_target(v: &Value) -> Option<String> {
    match v {
        Value::Tagged(t) if t.tag == "GetAtt" => text(&t.value)?.split('.').next().map(str::to_owned),
        Value::Mapping(_) => {
            let att = get(v, "Fn::GetAtt")?;
            match att {
                Value::Sequence(parts) => parts.first().and_then(text),
                other => text(other)?.split('.').next().map(str::to_owned),
            }
        }
        _ => None,
    }
}

impl Template {
    pub fn load(path: &Path) -> Result<Self, TemplateError> {
        let raw = std::fs::read_to_string(path).map_err(|e| TemplateError::Read(path.display().to_string(), e))?;
        Self::parse(&raw)
    }

    pub fn parse(raw: &str) -> Result<Self, TemplateError> {
        let doc: Value = serde_yaml_ng::from_str(raw)?;
        let resources = get(&doc, "Resources")
            .and_then(Value::as_mapping)
            .ok_or_else(|| TemplateError::Shape("no Resources".into()))?;
        let shape = |m: String| TemplateError::Shape(m);

        let mut binaries = HashMap::new();
        // (route, its own Auth.Authorizer and Auth.ApiKeyRequired), settled
        // against the Api's defaults once it is read.
        let mut api_events = Vec::new();
        let mut authorizer_refs = HashMap::new();
        let mut default_authorizer = None;
        let mut api_key_required = false;
        let mut api_key_source = "HEADER".to_owned();
        let mut gateway_responses = HashMap::new();
        let mut method_settings = Vec::new();
        let mut timeouts = HashMap::new();
        let seconds = |v: Option<&Value>| {
            v.and_then(text)
                .and_then(|t| t.parse::<u64>().ok())
                .map(Duration::from_secs)
        };
        let global_timeout = seconds(
            get(&doc, "Globals")
                .and_then(|g| get(g, "Function"))
                .and_then(|f| get(f, "Timeout")),
        )
        .unwrap_or(DEFAULT_TIMEOUT);
        for (name, res) in resources {
            let name = text(name).ok_or_else(|| shape("a resource name is not a string".into()))?;
            let kind = get(res, "Type").and_then(text).unwrap_or_default();
            let props = get(res, "Properties");
            match kind.as_str() {
                "AWS::Serverless::Function" => {
                    let binary = get(res, "Metadata")
                        .and_then(|m| get(m, "BuildProperties"))
                        .and_then(|b| get(b, "Binary"))
                        .and_then(text)
                        .ok_or_else(|| shape(format!("{name} has no Metadata.BuildProperties.Binary")))?;
                    binaries.insert(name.clone(), binary.clone());
                    timeouts.insert(
                        binary.clone(),
                        seconds(props.and_then(|p| get(p, "Timeout"))).unwrap_or(global_timeout),
                    );
                    let events = props.and_then(|p| get(p, "Events")).and_then(Value::as_mapping);
                    for (_, event) in events.into_iter().flatten() {
                        if get(event, "Type").and_then(text).as_deref() != Some("Api") {
                            continue;
                        }
                        let p = get(event, "Properties")
                            .ok_or_else(|| shape(format!("{name}: an Api event has no Properties")))?;
                        let path = get(p, "Path")
                            .and_then(text)
                            .ok_or_else(|| shape(format!("{name}: an Api event has no Path")))?;
                        let method = get(p, "Method")
                            .and_then(text)
                            .ok_or_else(|| shape(format!("{name}: an Api event has no Method")))?;
                        let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
                            .map_err(|_| shape(format!("{name}: bad Method {method}")))?;
                        let auth = get(p, "Auth");
                        let authorizer = auth.and_then(|a| get(a, "Authorizer")).and_then(text);
                        let key_required = auth.and_then(|a| get(a, "ApiKeyRequired")).and_then(Value::as_bool);
                        api_events.push((
                            Route {
                                method,
                                path,
                                function: binary.clone(),
                                authorizer: None,
                                api_key_required: false,
                            },
                            authorizer,
                            key_required,
                        ));
                    }
                }
                "AWS::Serverless::Api" => {
                    let Some(p) = props else { continue };
                    if let Some(source) = get(p, "ApiKeySourceType").and_then(text) {
                        api_key_source = source;
                    }
                    if let Some(auth) = get(p, "Auth") {
                        default_authorizer = get(auth, "DefaultAuthorizer").and_then(text);
                        api_key_required = get(auth, "ApiKeyRequired").and_then(Value::as_bool).unwrap_or(false);
                        for (name, a) in get(auth, "Authorizers")
                            .and_then(Value::as_mapping)
                            .into_iter()
                            .flatten()
                        {
                            let name = text(name).unwrap_or_default();
                            let arn = get(a, "FunctionArn")
                                .ok_or_else(|| shape(format!("authorizer {name} has no FunctionArn")))?;
                            let function = get_att_target(arn).ok_or_else(|| {
                                shape(format!("authorizer {name}: FunctionArn must be !GetAtt Function.Arn"))
                            })?;
                            let headers = get(a, "Identity")
                                .and_then(|i| get(i, "Headers"))
                                .and_then(Value::as_sequence)
                                .map(|h| h.iter().filter_map(text).collect())
                                .unwrap_or_default();
                            authorizer_refs.insert(name, (function, headers));
                        }
                    }
                    for setting in get(p, "MethodSettings")
                        .and_then(Value::as_sequence)
                        .into_iter()
                        .flatten()
                    {
                        let field = |name: &str| get(setting, name).and_then(text);
                        let method = match field("HttpMethod").as_deref() {
                            None | Some("*") => None,
                            Some(m) => Some(
                                Method::from_bytes(m.to_ascii_uppercase().as_bytes())
                                    .map_err(|_| shape(format!("MethodSettings: bad HttpMethod {m}")))?,
                            ),
                        };
                        // A negative limit (API Gateway's -1, "not set") or
                        // NaN leaves that limit to the less specific entry.
                        let rate = field("ThrottlingRateLimit")
                            .map(|r| {
                                r.parse::<f64>()
                                    .map_err(|_| shape(format!("MethodSettings: bad ThrottlingRateLimit {r}")))
                            })
                            .transpose()?;
                        let burst = field("ThrottlingBurstLimit")
                            .map(|b| {
                                b.parse::<i64>()
                                    .map_err(|_| shape(format!("MethodSettings: bad ThrottlingBurstLimit {b}")))
                            })
                            .transpose()?;
                        if rate.is_none() && burst.is_none() {
                            continue;
                        }
                        method_settings.push(MethodSetting {
                            resource: setting_resource(&field("ResourcePath").unwrap_or_else(|| "/*".into())),
                            method,
                            rate: rate.filter(|r| *r >= 0.0),
                            burst: burst.and_then(|b| u32::try_from(b).ok()),
                        });
                    }
                    for (kind, r) in get(p, "GatewayResponses")
                        .and_then(Value::as_mapping)
                        .into_iter()
                        .flatten()
                    {
                        let kind = text(kind).unwrap_or_default();
                        let status = get(r, "StatusCode").and_then(text).and_then(|s| s.parse().ok());
                        let body = get(r, "ResponseTemplates")
                            .and_then(|t| get(t, "application/json"))
                            .and_then(text)
                            .unwrap_or_default();
                        let headers = get(r, "ResponseParameters")
                            .and_then(|p| get(p, "Headers"))
                            .and_then(Value::as_mapping)
                            .into_iter()
                            .flatten()
                            .filter_map(|(name, value)| {
                                let value = text(value)?;
                                let fixed = value.strip_prefix('\'')?.strip_suffix('\'')?;
                                Some((text(name)?, fixed.to_owned()))
                            })
                            .collect();
                        gateway_responses.insert(kind, GatewayResponse { status, body, headers });
                    }
                }
                _ => {}
            }
        }
        let mut authorizers = HashMap::new();
        for (name, (function, identity_headers)) in authorizer_refs {
            let function = binaries
                .get(&function)
                .cloned()
                .ok_or_else(|| shape(format!("the authorizer function {function} is not in the template")))?;
            authorizers.insert(
                name,
                Authorizer {
                    function,
                    identity_headers,
                },
            );
        }
        let mut routes = Vec::new();
        for (mut route, authorizer, key_required) in api_events {
            route.authorizer = match authorizer.as_deref() {
                Some("NONE") => None,
                Some(name) => Some(name.to_owned()),
                None => default_authorizer.clone(),
            };
            if let Some(name) = &route.authorizer {
                if !authorizers.contains_key(name) {
                    return Err(shape(format!(
                        "{} {} names an unknown authorizer {name}",
                        route.method, route.path
                    )));
                }
            }
            route.api_key_required = key_required.unwrap_or(api_key_required);
            routes.push(route);
        }
        routes.sort_by(|a, b| (&a.path, a.method.as_str()).cmp(&(&b.path, b.method.as_str())));
        Ok(Self {
            routes,
            authorizers,
            api_key_source,
            gateway_responses,
            method_settings,
            timeouts,
        })
    }

    /// The authorizer a route runs, if any.
    pub fn authorizer_of(&self, route: &Route) -> Option<&Authorizer> {
        route.authorizer.as_ref().and_then(|name| self.authorizers.get(name))
    }

    /// Whether API Gateway applies a usage plan to `route`, keyed by its
    /// authorizer's `usageIdentifierKey`.
    pub fn usage_plan_applies(&self, route: &Route) -> bool {
        route.api_key_required && self.api_key_source == "AUTHORIZER"
    }

    /// How long Lambda lets `function` (a binary) run.
    pub fn timeout(&self, function: &str) -> Duration {
        self.timeouts.get(function).copied().unwrap_or(DEFAULT_TIMEOUT)
    }

    /// The throttle API Gateway applies to one method (`resource` as in the
    /// template, with `{name}` parameters): each method of the stage has a
    /// token bucket of its own; the most specific `MethodSettings` entry
    /// that sets a limit gives it, the stage-wide `/*` `*` entry the rest.
    /// `None`: not throttled (no setting gives both limits).
    pub fn throttle(&self, method: &Method, resource: &str) -> Option<ThrottleLimits> {
        let mut applicable: Vec<&MethodSetting> = self
            .method_settings
            .iter()
            .filter(|s| s.applies(method, resource))
            .collect();
        applicable.sort_by_key(|s| std::cmp::Reverse(s.rank()));
        let rate = applicable.iter().find_map(|s| s.rate)?;
        let burst = applicable.iter().find_map(|s| s.burst)?;
        Some(ThrottleLimits { rate, burst })
    }

    /// The route for a request, and its path parameters. Literal segments
    /// win over parameters, as in API Gateway.
    pub fn route(&self, method: &Method, path: &str) -> Option<(&Route, HashMap<String, String>)> {
        let mut best: Option<(&Route, HashMap<String, String>)> = None;
        for r in self.routes.iter().filter(|r| r.method == *method) {
            if let Some(params) = r.matches(path) {
                if best.as_ref().is_none_or(|(_, p)| params.len() < p.len()) {
                    best = Some((r, params));
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = r#"
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      Auth:
        DefaultAuthorizer: Keys
        Authorizers:
          Keys:
            FunctionArn: !GetAtt AuthFn.Arn
      GatewayResponses:
        ACCESS_DENIED:
          StatusCode: "401"
          ResponseTemplates:
            application/json: '{"error":{}}'
  AuthFn:
    Type: AWS::Serverless::Function
    Metadata: { BuildProperties: { Binary: authorizer } }
  GetFn:
    Type: AWS::Serverless::Function
    Metadata: { BuildProperties: { Binary: get_thing } }
    Properties:
      Environment: { Variables: { TABLE_NAME: !Ref Table } }
      Events:
        Api: { Type: Api, Properties: { RestApiId: !Ref Api, Path: "/v1/things/{id}", Method: get } }
        Mine: { Type: Api, Properties: { Path: "/v1/things/mine", Method: get, Auth: { Authorizer: NONE } } }
"#;

    #[test]
    fn reads_routes_authorizer_and_responses() {
        let t = Template::parse(T).unwrap();
        assert_eq!(t.authorizers["Keys"].function, "authorizer");
        assert_eq!(t.routes.len(), 2);
        let (r, params) = t.route(&Method::GET, "/v1/things/th_1").unwrap();
        assert_eq!(r.function, "get_thing");
        assert_eq!(r.authorizer.as_deref(), Some("Keys"));
        assert!(!t.usage_plan_applies(r), "no ApiKeyRequired");
        assert_eq!(params["id"], "th_1");
        let (r, _) = t.route(&Method::GET, "/v1/things/mine").unwrap();
        assert_eq!(r.authorizer, None, "a literal segment beats a parameter");
        assert!(t.route(&Method::POST, "/v1/things/th_1").is_none());
        assert!(t.route(&Method::GET, "/v1/things/").is_none());
        assert!(t.route(&Method::GET, "/v1/things/a/b").is_none());
        assert_eq!(t.gateway_responses["ACCESS_DENIED"].status, Some(401));
        assert_eq!(t.throttle(&Method::GET, "/v1/things/{id}"), None, "no MethodSettings");
        assert_eq!(t.timeout("get_thing"), DEFAULT_TIMEOUT, "no Timeout anywhere");
    }

    #[test]
    fn method_settings_give_each_method_its_throttle() {
        let raw = T.replace(
            "      Auth:\n        DefaultAuthorizer",
            r#"      MethodSettings:
        - ResourcePath: "/*"
          HttpMethod: "*"
          ThrottlingBurstLimit: 200
          ThrottlingRateLimit: 100
        - ResourcePath: "/~1v1~1things~1{id}"
          HttpMethod: GET
          ThrottlingRateLimit: 5
        - ResourcePath: "/~1v1~1things~1mine"
          HttpMethod: "*"
          ThrottlingBurstLimit: "0"
        - ResourcePath: "/*"
          HttpMethod: "*"
          MetricsEnabled: true
      Auth:
        DefaultAuthorizer"#,
        );
        let t = Template::parse(&raw).unwrap();
        assert_eq!(t.method_settings.len(), 3, "the metrics-only entry sets no throttle");
        let limits = |rate, burst| Some(ThrottleLimits { rate, burst });
        assert_eq!(t.throttle(&Method::GET, "/v1/things/{id}"), limits(5.0, 200));
        assert_eq!(t.throttle(&Method::DELETE, "/v1/things/{id}"), limits(100.0, 200));
        assert_eq!(t.throttle(&Method::GET, "/v1/things/mine"), limits(100.0, 0));
        assert_eq!(t.throttle(&Method::POST, "/v1/other"), limits(100.0, 200));
    }

    #[test]
    fn the_template_throttles_every_route() {
        let t = Template::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml")).unwrap();
        assert_eq!(
            t.timeout("create_refund"),
            Duration::from_secs(10),
            "Globals.Function.Timeout"
        );
        for r in &t.routes {
            // The stage's limits guard only the account-level throttle; the
            // static script and the dashboard's assets, outside every usage
            // plan, have their own.
            let (rate, burst) = match r.path.as_str() {
                "/pay/paynectra.js" => (1_000.0, 2_000),
                "/dashboard" => (100.0, 200),
                "/dashboard/{asset}" => (200.0, 400),
                "/receipts/{token}" => (200.0, 400),
                _ => (10_000.0, 5_000),
            };
            assert_eq!(
                t.throttle(&r.method, &r.path),
                Some(ThrottleLimits { rate, burst }),
                "{} {}",
                r.method,
                r.path
            );
        }
    }
}
