//! Scheduled (every minute): retries the webhook deliveries that are due.

use paynectra::service::{deliveries::retry_due, App};

pub async fn handler(app: &App, now: i64) -> Result<serde_json::Value, lambda_runtime::Error> {
    let attempted = retry_due(app, app.deliverer()?, now).await?;
    tracing::info!(attempted, "webhook retries done");
    Ok(serde_json::json!({ "attempted": attempted }))
}
