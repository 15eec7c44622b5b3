//! Scheduled: retries the webhook deliveries that are due.

use paynectra::{
    delivery::{retry_due, Deliverer},
    App,
};

pub async fn handler(app: &App, deliverer: &Deliverer, now: i64) -> Result<serde_json::Value, lambda_runtime::Error> {
    let attempted = retry_due(app, deliverer, now).await?;
    tracing::info!(attempted, "webhook retries done");
    Ok(serde_json::json!({ "attempted": attempted }))
}
