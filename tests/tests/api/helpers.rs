//! Request bodies the modules share.

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
