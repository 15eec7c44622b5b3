//! Webhook delivery: the stream handler that delivers new events and the
//! scheduled one that retries; each function's binary
//! (`src/bin/<function>.rs`) is one line over it.

use aws_lambda_events::{
    dynamodb::Event as StreamEvent,
    streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse},
};
use paynectra::service::{
    deliveries::{deliver_event, retry_due},
    App,
};

/// Triggered by the table's stream (event source mapping, filtered to new
/// event items): delivers each new event to its tenant's matching webhook
/// endpoints. Failed records are reported one by one (partial batch
/// failure), so only they are retried by the mapping, and then go to the
/// dead-letter queue.
pub async fn deliver(app: &App, batch: StreamEvent) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    let Ok(deliverer) = app.deliverer() else {
        // No HTTP client (logged): every record is retried.
        for record in &batch.records {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number.clone();
            response.batch_item_failures.push(failure);
        }
        return response;
    };
    for record in batch.records {
        if record.event_name != "INSERT" {
            continue;
        }
        let failed = |response: &mut DynamoDbEventResponse| {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number.clone();
            response.batch_item_failures.push(failure);
        };
        let (tenant, event) = match app.store.event_from_image(record.change.new_image.clone()) {
            Ok(Some(found)) => found,
            Ok(None) => continue,
            Err(e) => {
                // An event that cannot be read is retried, then dead-lettered: never dropped.
                tracing::error!(error = %e, "unreadable event record");
                failed(&mut response);
                continue;
            }
        };
        if let Err(e) = deliver_event(app, deliverer, &tenant, &event, app.clock.now()).await {
            tracing::error!(event_id = %event.id, error = %e, "delivery failed; the record will be retried");
            failed(&mut response);
        }
    }
    response
}

/// Scheduled (every minute): retries the webhook deliveries that are due.
pub async fn retry(app: &App, now: i64) -> Result<serde_json::Value, lambda_runtime::Error> {
    let attempted = retry_due(app, app.deliverer()?, now).await?;
    tracing::info!(attempted, "webhook retries done");
    Ok(serde_json::json!({ "attempted": attempted }))
}
