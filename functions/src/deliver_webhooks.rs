//! Triggered by the table's stream (event source mapping, filtered to new
//! event items): delivers each new event to its tenant's matching webhook
//! endpoints. Failed records are reported one by one (partial batch
//! failure), so only they are retried by the mapping, and then go to the
//! dead-letter queue.

use aws_lambda_events::{
    dynamodb::Event as StreamEvent,
    streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse},
};
use paynectra::service::{deliveries::deliver_event, App};

pub async fn handler(app: &App, batch: StreamEvent) -> DynamoDbEventResponse {
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
