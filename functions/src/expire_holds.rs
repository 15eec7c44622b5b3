//! Scheduled (EventBridge, every 15 minutes): cancels manual-capture holds
//! older than 7 days (`paynectra::service::payments::expire_holds`).

use paynectra::service::{payments, App};

/// Returns `{"due", "cancelled"}`.
pub async fn handler(app: &App, now: i64) -> Result<serde_json::Value, lambda_runtime::Error> {
    let sweep = payments::expire_holds(app, now).await?;
    Ok(serde_json::to_value(sweep)?)
}
