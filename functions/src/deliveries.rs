//! Webhook delivery: the stream handler that records new events'
//! deliveries and enqueues them, the queue handler that attempts them, and
//! the scheduled one that enqueues the retries that are due; each
//! function's binary (`src/bin/<function>.rs`) is one line over it.

use std::collections::{BTreeMap, HashMap, HashSet};

use aws_lambda_events::{
    dynamodb::Event as StreamEvent,
    sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage},
    streams::DynamoDbEventResponse,
};
use paynectra::{
    domain::{delivery::QueueMessage, Tenant, WebhookEndpoint},
    service::{
        deliveries::{dead_letter, deliver_event_to, enqueue_due, handle_message, Deliverer},
        sweeps::SweepBudget,
        App,
    },
    store::StoreError,
};

/// Triggered by the table's stream (event source mapping, filtered to new
/// event items): records each new event's deliveries and hands them to the
/// delivery queue; no HTTP here. The batch's records are handled at once,
/// and each tenant's endpoints are read once for the whole batch (one Query
/// of its endpoint list, however many of its events the batch holds: a
/// busy merchant's list partition is read per batch, not per event).
/// A record that cannot be handled (after the SDK's retries) is sent to
/// the dead-letter queue as the event to fan out again, and acknowledged,
/// so it never holds up the shard; only if that send fails too is it
/// reported as failed (the mapping retries it, then its OnFailure queue
/// keeps the sequence range).
pub async fn deliver(app: &App, batch: StreamEvent) -> DynamoDbEventResponse {
    let records: Vec<_> = batch
        .records
        .iter()
        .filter(|r| r.event_name == "INSERT")
        .map(|record| (record, app.store.event_from_image(record.change.new_image.clone())))
        .collect();
    let tenants: HashSet<&Tenant> = records
        .iter()
        .filter_map(|(_, parsed)| parsed.as_ref().ok()?.as_ref().map(|(t, _)| t))
        .collect();
    let endpoints: HashMap<&Tenant, Result<Vec<WebhookEndpoint>, StoreError>> = futures::future::join_all(
        tenants
            .into_iter()
            .map(|t| async move { (t, app.store.all_webhook_endpoints(t).await) }),
    )
    .await
    .into_iter()
    .collect();
    let handled = records.iter().map(|(record, parsed)| {
        let endpoints = &endpoints;
        async move {
            let failed = match parsed {
                Ok(None) => return None,
                Ok(Some((tenant, event))) => {
                    let delivered = match &endpoints[tenant] {
                        Ok(all) => deliver_event_to(app, tenant, event, all, app.clock.now())
                            .await
                            .map_err(|e| e.to_string()),
                        Err(e) => Err(format!("reading the tenant's endpoints: {e}")),
                    };
                    match delivered {
                        Ok(_) => return None,
                        Err(e) => {
                            tracing::error!(event_id = %event.id, error = %e, "fan-out failed");
                            e
                        }
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "unreadable event record");
                    e.to_string()
                }
            };
            let sent = match app.store.event_ref_of_keys(&record.change.keys) {
                Some(event) => dead_letter(app, &event).await.map_err(|e| e.to_string()),
                None => Err(format!("no event key in the record ({failed})")),
            };
            match sent {
                Ok(()) => None,
                Err(e) => {
                    tracing::error!(error = %e, "record not dead-lettered; the stream will retry it");
                    Some(record.change.sequence_number.clone())
                }
            }
        }
    });
    crate::stream_failures(futures::future::join_all(handled).await.into_iter().flatten())
}

/// Triggered by the delivery queue (SQS FIFO event source mapping, up to
/// ten messages): the batch's message groups (an endpoint's lanes) are
/// handled at once, each group's messages one after another, so an endpoint
/// never has more attempts under way than it has lanes. A message that
/// could not be handled (unreadable, a store error) is reported as failed:
/// it comes back after the visibility timeout, and after five receives the
/// dead-letter queue keeps it.
pub async fn attempt(app: &App, batch: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    let Ok(deliverer) = app.deliverer() else {
        // No HTTP client (logged): every message is retried.
        for message in &batch.records {
            response.batch_item_failures.push(failure(message));
        }
        return response;
    };
    let mut groups: BTreeMap<&str, Vec<&SqsMessage>> = BTreeMap::new();
    for message in &batch.records {
        let group = message.attributes.get("MessageGroupId").map_or("", String::as_str);
        groups.entry(group).or_default().push(message);
    }
    let lanes = groups.into_values().map(|messages| async move {
        let mut failed = Vec::new();
        for message in messages {
            if !handled(app, deliverer, message).await {
                failed.push(failure(message));
            }
        }
        failed
    });
    for failed in futures::future::join_all(lanes).await {
        response.batch_item_failures.extend(failed);
    }
    response
}

async fn handled(app: &App, deliverer: &Deliverer, message: &SqsMessage) -> bool {
    let body = message.body.as_deref().unwrap_or_default();
    let parsed: QueueMessage = match serde_json::from_str(body) {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(message_id = message.message_id.as_deref(), error = %e, "unreadable queue message");
            return false;
        }
    };
    match handle_message(app, deliverer, &parsed, app.clock.now()).await {
        Ok(outcome) => {
            tracing::debug!(?outcome, "queue message handled");
            true
        }
        Err(e) => {
            tracing::warn!(message_id = message.message_id.as_deref(), error = %e, "queue message failed; it will be retried");
            false
        }
    }
}

fn failure(message: &SqsMessage) -> BatchItemFailure {
    let mut failure = BatchItemFailure::default();
    failure.item_identifier = message.message_id.clone().unwrap_or_default();
    failure
}

/// Scheduled (every minute): enqueues the webhook retries that are due,
/// for at most [`RETRY_SWEEP_BUDGET`] (what is left waits for the next
/// run). Returns `{"enqueued", ...}` (the run's counts).
pub async fn retry(app: &App, now: i64) -> Result<serde_json::Value, lambda_runtime::Error> {
    let sweep = enqueue_due(app, now, SweepBudget::within(RETRY_SWEEP_BUDGET)).await?;
    tracing::info!(
        enqueued = sweep.enqueued,
        complete = sweep.run.complete,
        "webhook retries enqueued"
    );
    Ok(serde_json::to_value(sweep)?)
}

/// The retry sweep's time budget: under its one-minute schedule (one run at
/// a time: reserved concurrency 1), well under its 300 s timeout.
pub const RETRY_SWEEP_BUDGET: std::time::Duration = std::time::Duration::from_secs(50);
