//! JSON request bodies into wire DTOs, with errors that name the parameter.

use http::{header::CONTENT_TYPE, StatusCode};
use lambda_http::{Body, Request};
use serde::de::DeserializeOwned;

use super::{ApiError, ErrorType};

/// A command a JSON request body parses into through its wire DTO
/// (`CapturePayment` from `CapturePaymentRequest`): each `wire` module names
/// the DTO of its commands, so a handler reads `let capture: CapturePayment =
/// body(&req)?`.
pub trait FromBody: TryFrom<Self::Wire> {
    type Wire: DeserializeOwned;
}

/// The request's JSON body as the command `T`: [`parse_json`] into its wire
/// DTO, then the DTO's `TryFrom` into the domain.
pub fn body<T>(req: &Request) -> Result<T, ApiError>
where
    T: FromBody,
    ApiError: From<T::Error>,
{
    Ok(T::try_from(parse_json::<T::Wire>(req)?)?)
}

/// Parses the request's JSON body into `T`.
///
/// - The body must be `Content-Type: application/json` (415 otherwise); an
///   empty body is `{}`.
/// - Syntax errors, trailing data and invalid UTF-8: 400 `invalid_json`.
/// - A parameter `T` does not know: 400 `parameter_unknown`, naming it.
/// - A value of the wrong type: 400 `parameter_invalid`, naming it.
pub fn parse_json<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let bytes: &[u8] = match req.body() {
        Body::Empty => b"",
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => b"",
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return parse_bytes(b"{}");
    }
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorType::InvalidRequestError,
            Some("content_type_invalid"),
            format!(
                "Request bodies must be JSON, sent with 'Content-Type: application/json' (got '{}').",
                if content_type.is_empty() { "none" } else { content_type }
            ),
            None,
        ));
    }
    parse_bytes(bytes)
}

/// Stripe's bracket notation for a path of object keys: `address[country]`.
fn bracket_path<'a>(segments: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for (i, seg) in segments.into_iter().enumerate() {
        if i == 0 {
            out.push_str(seg);
        } else {
            out.push('[');
            out.push_str(seg);
            out.push(']');
        }
    }
    out
}

fn ignored_path(path: &serde_ignored::Path<'_>, out: &mut Vec<String>) {
    use serde_ignored::Path;
    match path {
        Path::Root => {}
        Path::Seq { parent, index } => {
            ignored_path(parent, out);
            out.push(index.to_string());
        }
        Path::Map { parent, key } => {
            ignored_path(parent, out);
            out.push(key.clone());
        }
        Path::Some { parent } | Path::NewtypeStruct { parent } | Path::NewtypeVariant { parent } => {
            ignored_path(parent, out)
        }
    }
}

/// serde_json appends " at line L column C" to data errors; the parameter
/// name says more to a merchant than a column does.
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_owned()
}

pub fn parse_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut unknown: Option<String> = None;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result = {
        let mut on_unknown = |path: serde_ignored::Path<'_>| {
            if unknown.is_none() {
                let mut segs = Vec::new();
                ignored_path(&path, &mut segs);
                unknown = Some(bracket_path(segs.iter().map(String::as_str)));
            }
        };
        let ignoring = serde_ignored::Deserializer::new(&mut de, &mut on_unknown);
        serde_path_to_error::deserialize::<_, T>(ignoring)
    };
    let value = match result {
        Ok(v) => v,
        Err(err) => {
            let path = bracket_path(err.path().iter().filter_map(|s| match s {
                serde_path_to_error::Segment::Map { key } => Some(key.as_str()),
                _ => None,
            }));
            let inner = err.into_inner();
            if !inner.is_data() {
                return Err(invalid_json(&inner));
            }
            if let Some(name) = unknown {
                return Err(unknown_param(&name));
            }
            let param = (!path.is_empty()).then_some(path);
            let message = match &param {
                Some(p) => format!("Invalid {p}: {}.", without_position(&inner)),
                None => format!("Invalid request body: {}.", without_position(&inner)),
            };
            return Err(ApiError::invalid("parameter_invalid", message, param.as_deref()));
        }
    };
    de.end().map_err(|e| invalid_json(&e))?;
    if let Some(name) = unknown {
        return Err(unknown_param(&name));
    }
    Ok(value)
}

fn invalid_json(e: &serde_json::Error) -> ApiError {
    ApiError::invalid(
        "invalid_json",
        format!("The request body is not valid JSON: {e}."),
        None,
    )
}

fn unknown_param(name: &str) -> ApiError {
    ApiError::invalid(
        "parameter_unknown",
        format!("Received unknown parameter: {name}"),
        Some(name),
    )
}

/// A JSON integer that fits in an `i64`. Strings, fractions and anything
/// else are refused with "expected an integer".
///
/// A number written with a zero fraction or an exponent (`4999.0`, `5e3`)
/// is an integer too, as JSON Schema (and so our OpenAPI document) defines
/// it, and as clients that compute amounts in floating point send them.
/// serde_json reads those as an `f64`: they are taken only when the value
/// is integral and below 2^52 in magnitude. There a double's spacing is at
/// most 0.5, so a parse that is off by a unit in the last place cannot turn
/// one integer into another; anything larger must be written as an integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonInt(pub i64);

/// 2^52: integral doubles below it are taken as integers.
const FLOAT_INT_LIMIT: f64 = 4_503_599_627_370_496.0;

impl<'de> serde::Deserialize<'de> for JsonInt {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = JsonInt;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<JsonInt, E> {
                Ok(JsonInt(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<JsonInt, E> {
                i64::try_from(v)
                    .map(JsonInt)
                    .map_err(|_| E::custom(format!("{v} is too large")))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<JsonInt, E> {
                if v.fract() != 0.0 || !v.is_finite() {
                    return Err(E::invalid_type(serde::de::Unexpected::Float(v), &self));
                }
                if v.abs() >= FLOAT_INT_LIMIT {
                    return Err(E::custom(format!("{v} is too large")));
                }
                Ok(JsonInt(v as i64))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)] // read only through Debug
    struct Inner {
        country: Option<String>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)] // read only through Debug
    struct Dto {
        amount: Option<JsonInt>,
        address: Option<Inner>,
        metadata: Option<BTreeMap<String, String>>,
    }

    fn err(body: &str) -> ApiError {
        parse_bytes::<Dto>(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn good_bodies_parse() {
        let d: Dto = parse_bytes(br#"{"amount": 100, "address": {"country": "US"}, "metadata": {"a": "b"}}"#).unwrap();
        assert_eq!(d.amount, Some(JsonInt(100)));
        let d: Dto = parse_bytes(b"{}").unwrap();
        assert!(d.amount.is_none());
        let d: Dto = parse_bytes(br#"{"amount": null}"#).unwrap();
        assert!(d.amount.is_none());
    }

    #[test]
    fn whole_numbers_with_a_fraction_or_exponent_are_integers() {
        // JSON Schema's `integer` is any number with a zero fractional part.
        for (body, want) in [
            (r#"{"amount": 16123.0}"#, 16123),
            (r#"{"amount": 5e3}"#, 5000),
            (r#"{"amount": -2.0}"#, -2),
            (r#"{"amount": 0.0}"#, 0),
            (r#"{"amount": 4503599627370495e0}"#, 4_503_599_627_370_495),
        ] {
            let d: Dto = parse_bytes(body.as_bytes()).unwrap();
            assert_eq!(d.amount, Some(JsonInt(want)), "{body}");
        }
    }

    #[test]
    fn unknown_parameters_are_named() {
        let e = err(r#"{"amount": 1, "amout": 2}"#);
        assert_eq!(e.code.as_deref(), Some("parameter_unknown"));
        assert_eq!(e.param.as_deref(), Some("amout"));
        assert_eq!(e.message, "Received unknown parameter: amout");
        let e = err(r#"{"address": {"county": "x"}}"#);
        assert_eq!(e.param.as_deref(), Some("address[county]"));
    }

    #[test]
    fn type_errors_name_the_parameter() {
        let e = err(r#"{"amount": "100"}"#);
        assert_eq!(e.param.as_deref(), Some("amount"));
        assert_eq!(
            e.message,
            "Invalid amount: invalid type: string \"100\", expected an integer."
        );
        let e = err(r#"{"amount": 49.99}"#);
        assert_eq!(e.param.as_deref(), Some("amount"));
        let e = err(r#"{"amount": 18446744073709551615}"#);
        assert!(e.message.contains("too large"), "{}", e.message);
        let e = err(r#"{"amount": 1e30}"#);
        assert_eq!(e.param.as_deref(), Some("amount"));
        assert!(e.message.contains("too large"), "{}", e.message);
        let e = err(r#"{"amount": 4503599627370496.0}"#);
        assert!(e.message.contains("too large"), "{}", e.message);
        let e = err(r#"{"amount": 4999.5}"#);
        assert_eq!(
            e.message,
            "Invalid amount: invalid type: floating point `4999.5`, expected an integer."
        );
        let e = err(r#"{"metadata": {"k": 5}}"#);
        assert_eq!(e.param.as_deref(), Some("metadata[k]"));
        let e = err(r#"{"address": "x"}"#);
        assert_eq!(e.param.as_deref(), Some("address"));
        let e = err(r#"[1, 2]"#);
        assert!(e.param.is_none());
        assert_eq!(e.code.as_deref(), Some("parameter_invalid"));
    }

    #[test]
    fn syntax_errors_are_invalid_json() {
        for body in ["{", "{\"amount\": }", "{} {}", "nul", "{\"a\":1,}"] {
            assert_eq!(err(body).code.as_deref(), Some("invalid_json"), "{body}");
        }
        assert_eq!(
            parse_bytes::<Dto>(b"{\"amount\": \"\xff\"}")
                .unwrap_err()
                .code
                .as_deref(),
            Some("invalid_json")
        );
        let deep = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
        assert_eq!(err(&deep).status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn duplicate_fields_are_refused() {
        let e = err(r#"{"amount": 1, "amount": 2}"#);
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
    }
}
