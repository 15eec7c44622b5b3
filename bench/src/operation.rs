//! The DynamoDB operation a request names (`x-amz-target:
//! DynamoDB_20120810.GetItem` → `GetItem`), for both recording proxies.

/// The operation in `headers`' `x-amz-target`, or `?`.
pub fn operation(headers: &http::HeaderMap) -> String {
    headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.rsplit('.').next())
        .unwrap_or("?")
        .to_owned()
}
