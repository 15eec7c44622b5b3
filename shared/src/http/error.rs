//! The one error shape: `{"error": {"type", "code", "message", "param"}}`.

use http::StatusCode;
use serde::Serialize;

use crate::domain::ValidationError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    /// Bad input, a missing object, a bad API key (400, 401, 404, 409, 413, 415).
    InvalidRequestError,
    /// An `Idempotency-Key` reused for another request, or still in flight.
    IdempotencyError,
    /// The card network declined (402).
    CardError,
    /// Too many requests (429): API Gateway's throttle, or DynamoDB's.
    RateLimitError,
    /// Our fault (500). The message is opaque; the cause is in the logs.
    ApiError,
}

/// An error as the API shows it. `code` and `param` are always present in
/// the body (null when they do not apply), so clients can rely on the shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: ErrorType,
    pub code: Option<String>,
    pub message: String,
    pub param: Option<String>,
    /// Card errors only: why the issuer declined.
    pub decline_code: Option<String>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    #[serde(rename = "type")]
    kind: ErrorType,
    code: Option<&'a str>,
    message: &'a str,
    param: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    decline_code: Option<&'a str>,
}

/// The message of every 401. The authorizer's denials are answered by API
/// Gateway (see `GatewayResponses` in `template.yaml`) with this same body.
pub const INVALID_API_KEY_MESSAGE: &str = "Invalid API key provided. Authenticate with 'Authorization: Bearer sk_test_...' (or HTTP Basic with the key as the user name and an empty password).";

/// The message of every 429. API Gateway's throttle answers with this same
/// body (the `THROTTLED` gateway response in `template.yaml`).
pub const RATE_LIMIT_MESSAGE: &str = "Too many requests hit the API too quickly. Retry with exponential backoff.";

pub const INTERNAL_ERROR_MESSAGE: &str = "An unexpected error occurred on our side. Retry later; if it persists, contact support with the Request-Id of this response.";

impl ApiError {
    pub fn new(
        status: StatusCode,
        kind: ErrorType,
        code: Option<&str>,
        message: impl Into<String>,
        param: Option<&str>,
    ) -> Self {
        Self {
            status,
            kind,
            code: code.map(str::to_owned),
            message: message.into(),
            param: param.map(str::to_owned),
            decline_code: None,
        }
    }

    /// 402: the card network declined.
    pub fn card_declined(code: &str, decline_code: &str, message: &str) -> Self {
        Self {
            decline_code: Some(decline_code.to_owned()),
            ..Self::new(
                StatusCode::PAYMENT_REQUIRED,
                ErrorType::CardError,
                Some(code),
                message,
                Some("payment_method"),
            )
        }
    }

    pub fn invalid(code: &str, message: impl Into<String>, param: Option<&str>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorType::InvalidRequestError,
            Some(code),
            message,
            param,
        )
    }

    /// 404 for a test helper called with a live key: in live mode the route
    /// does not exist.
    pub fn test_mode_only() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorType::InvalidRequestError,
            Some("resource_missing"),
            "Test helpers exist in test mode only: call them with a test key (sk_test_...).",
            None,
        )
    }

    /// 404 for an object that does not exist in the caller's account and
    /// mode, whether it exists elsewhere or not.
    pub fn not_found(kind: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorType::InvalidRequestError,
            Some("resource_missing"),
            format!("No such {kind}: '{id}'"),
            Some("id"),
        )
    }

    /// The same error about another parameter.
    pub fn with_param(mut self, param: &str) -> Self {
        self.param = Some(param.to_owned());
        self
    }

    /// 409: a concurrent request got there first; retrying is safe.
    pub fn conflict(code: &str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            ErrorType::InvalidRequestError,
            Some(code),
            message,
            None,
        )
    }

    /// A list's store error: a cursor naming nothing of the tenant is the
    /// caller's 400, anything else is ours.
    pub fn from_list_error(e: crate::store::StoreError, kind: &str) -> Self {
        match e {
            crate::store::StoreError::CursorNotFound { param, id } => {
                Self::invalid("resource_missing", format!("No such {kind}: '{id}'"), Some(param))
            }
            e => e.into(),
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorType::InvalidRequestError,
            Some("api_key_invalid"),
            INVALID_API_KEY_MESSAGE,
            None,
        )
    }

    /// 429: too many requests; nothing was done, retry with backoff.
    pub fn rate_limited() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorType::RateLimitError,
            Some("rate_limit"),
            RATE_LIMIT_MESSAGE,
            None,
        )
    }

    /// A 500. Log the cause before calling this; the body says nothing of it.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorType::ApiError,
            None,
            INTERNAL_ERROR_MESSAGE,
            None,
        )
    }

    pub fn body(&self) -> String {
        serde_json::to_string(&Body {
            error: Inner {
                kind: self.kind,
                code: self.code.as_deref(),
                message: &self.message,
                param: self.param.as_deref(),
                decline_code: self.decline_code.as_deref(),
            },
        })
        .expect("an error body always serialises")
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        Self::invalid(e.code, e.message, Some(&e.param))
    }
}

/// Store failures that are not the caller's fault become an opaque 500, with
/// the cause logged on the request's span.
impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match e {
            StoreError::IdempotencyLost => Self::new(
                StatusCode::CONFLICT,
                ErrorType::IdempotencyError,
                Some("idempotency_key_in_use"),
                "Another request with this Idempotency-Key is in progress; retry shortly.",
                None,
            ),
            StoreError::Conflict | StoreError::RefundConflict => Self::conflict(
                "lock_timeout",
                "The object was changed concurrently by another request; nothing was written, retry this request.",
            ),
            // DynamoDB throttled us past the SDK's retries: the caller's
            // backoff is the remedy, as for API Gateway's own throttle.
            e @ StoreError::Throttled { .. } => {
                tracing::warn!(error = %e, "store operation throttled");
                Self::rate_limited()
            }
            e => {
                tracing::error!(error = %e, "store operation failed");
                Self::internal()
            }
        }
    }
}

/// `Option` from a store read into the object or its 404.
pub trait OrNotFound<T> {
    /// The object, or [`ApiError::not_found`] for the `kind` named `id`.
    fn or_not_found(self, kind: &str, id: &str) -> Result<T, ApiError>;
}

impl<T> OrNotFound<T> for Option<T> {
    fn or_not_found(self, kind: &str, id: &str) -> Result<T, ApiError> {
        self.ok_or_else(|| ApiError::not_found(kind, id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_always_has_all_four_fields() {
        let v: serde_json::Value = serde_json::from_str(&ApiError::internal().body()).unwrap();
        let e = &v["error"];
        assert_eq!(e["type"], "api_error");
        assert!(e["code"].is_null() && e["param"].is_null());
        assert_eq!(e["message"], INTERNAL_ERROR_MESSAGE);
        let v: serde_json::Value = serde_json::from_str(&ApiError::not_found("payment", "pay_1").body()).unwrap();
        assert_eq!(v["error"]["code"], "resource_missing");
        assert_eq!(v["error"]["message"], "No such payment: 'pay_1'");
        assert_eq!(v["error"]["param"], "id");
    }

    #[test]
    fn store_errors_map_to_statuses() {
        use crate::store::StoreError;
        let throttled = ApiError::from(StoreError::Throttled {
            operation: "GetItem(payment)",
            message: "ProvisionedThroughputExceededException".into(),
        });
        assert_eq!(throttled, ApiError::rate_limited());
        assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
        let v: serde_json::Value = serde_json::from_str(&throttled.body()).unwrap();
        assert_eq!(v["error"]["type"], "rate_limit_error");
        assert_eq!(v["error"]["code"], "rate_limit");
        assert_eq!(v["error"]["message"], RATE_LIMIT_MESSAGE);
        assert!(v["error"]["param"].is_null());

        let conflict = ApiError::from(StoreError::Conflict);
        assert_eq!(conflict.status, StatusCode::CONFLICT);
        assert_eq!(conflict.code.as_deref(), Some("lock_timeout"));

        let down = ApiError::from(StoreError::Dynamo {
            operation: "GetItem(payment)",
            message: "dispatch failure: connection refused".into(),
        });
        assert_eq!(down, ApiError::internal());
    }
}
