//! What the modules share: request bodies, and reading a JSON array.

use serde_json::{json, Value};

/// A payment of `amount` cents in usd, captured when it is confirmed.
pub fn usd(amount: i64) -> Value {
    json!({"amount": amount, "currency": "usd"})
}

/// A payment of `amount` cents in usd, held when it is confirmed until it
/// is captured (`capture_method: manual`).
pub fn usd_held(amount: i64) -> Value {
    json!({"amount": amount, "currency": "usd", "capture_method": "manual"})
}

/// Each element of the JSON array `array`, read by `read` (panics if it is
/// not an array).
#[track_caller]
pub fn map_array<T>(array: &Value, read: impl Fn(&Value) -> T) -> Vec<T> {
    array.as_array().unwrap().iter().map(read).collect()
}
