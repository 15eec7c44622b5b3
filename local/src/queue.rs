//! The local stack's webhook queues and its stand-in for the SQS event
//! source mapping: the two FIFO queues are created in moto (SQS's API, so
//! message groups, deduplication and the redrive to the dead-letter queue
//! are SQS's behaviour, not ours), and a poller receives batches and runs
//! each as a concurrent invocation of the `attempt_webhooks` handler, as
//! Lambda does on AWS.

use std::{collections::HashSet, sync::Arc, time::Duration};

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use aws_sdk_sqs::{
    error::DisplayErrorContext,
    types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName, QueueAttributeName},
};
use paynectra::service::{queue::DeliveryQueue, App};

/// How many batches are handled at once: the template's `MaximumConcurrency`.
pub const MAX_CONCURRENCY: usize = 100;
/// Receives before a message moves to the dead-letter queue (the
/// template's `maxReceiveCount`).
pub const MAX_RECEIVES: u32 = 5;

/// The queues of one local stack.
#[derive(Clone, Debug)]
pub struct Queues {
    pub client: aws_sdk_sqs::Client,
    pub url: String,
    pub dead_letters_url: String,
}

impl Queues {
    /// The queues as the functions reach them.
    pub fn delivery_queue(&self) -> DeliveryQueue {
        DeliveryQueue::new(
            self.client.clone(),
            Some(self.url.clone()),
            Some(self.dead_letters_url.clone()),
        )
    }
}

/// An SQS client for moto at `endpoint` ([`crate::sdk::config`]: dummy
/// credentials, the SDK configuration the functions use).
pub async fn sqs_client(endpoint: &str) -> aws_sdk_sqs::Client {
    let config = aws_sdk_sqs::config::Builder::from(&crate::sdk::config().await)
        .endpoint_url(endpoint)
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

fn sqs_error<E: std::error::Error + 'static, R: std::fmt::Debug>(
    what: &str,
) -> impl FnOnce(aws_sdk_sqs::error::SdkError<E, R>) -> String + '_ {
    move |e| format!("{what}: {}", DisplayErrorContext(&e))
}

/// Creates (or finds) the stack's two queues, `{prefix}-webhooks.fifo` and
/// `{prefix}-webhooks-dlq.fifo`, configured as the template configures
/// `WebhookDeliveryQueue` and `WebhookDeadLetterQueue`, but for the
/// visibility timeout (`visibility_timeout` seconds: the tests shorten it).
pub async fn create(client: aws_sdk_sqs::Client, prefix: &str, visibility_timeout: u32) -> Result<Queues, String> {
    let fifo = [
        (QueueAttributeName::FifoQueue, "true".to_owned()),
        (QueueAttributeName::DeduplicationScope, "messageGroup".to_owned()),
        (QueueAttributeName::FifoThroughputLimit, "perMessageGroupId".to_owned()),
        (QueueAttributeName::MessageRetentionPeriod, "1209600".to_owned()),
    ];
    let dlq = client
        .create_queue()
        .queue_name(format!("{prefix}-webhooks-dlq.fifo"))
        .set_attributes(Some(fifo.iter().cloned().collect()))
        .send()
        .await
        .map_err(sqs_error("CreateQueue(dead letters)"))?;
    let dead_letters_url = dlq.queue_url().ok_or("CreateQueue: no URL")?.to_owned();
    let arn = client
        .get_queue_attributes()
        .queue_url(&dead_letters_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(sqs_error("GetQueueAttributes"))?
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .ok_or("GetQueueAttributes: no QueueArn")?;
    let redrive = serde_json::json!({"deadLetterTargetArn": arn, "maxReceiveCount": MAX_RECEIVES}).to_string();
    let mut attributes: std::collections::HashMap<_, _> = fifo.into_iter().collect();
    attributes.insert(QueueAttributeName::VisibilityTimeout, visibility_timeout.to_string());
    attributes.insert(QueueAttributeName::RedrivePolicy, redrive);
    let queue = client
        .create_queue()
        .queue_name(format!("{prefix}-webhooks.fifo"))
        .set_attributes(Some(attributes))
        .send()
        .await
        .map_err(sqs_error("CreateQueue(deliveries)"))?;
    Ok(Queues {
        url: queue.queue_url().ok_or("CreateQueue: no URL")?.to_owned(),
        dead_letters_url,
        client,
    })
}

/// The event source mapping: receives batches of up to ten messages and
/// runs each as an invocation of `attempt_webhooks`'s handler, at most
/// [`MAX_CONCURRENCY`] at once; deletes the messages that succeeded and
/// leaves the failures for the visibility timeout (and moto's redrive).
pub fn map(app: &'static App, queues: Queues) -> tokio::task::JoinHandle<()> {
    let permits = Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENCY));
    tokio::spawn(async move {
        loop {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return;
            };
            let received = queues
                .client
                .receive_message()
                .queue_url(&queues.url)
                .max_number_of_messages(10)
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .send()
                .await;
            let messages = match received {
                Ok(out) => out.messages.unwrap_or_default(),
                Err(e) => {
                    tracing::warn!(error = %DisplayErrorContext(&e), "ReceiveMessage failed");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            };
            if messages.is_empty() {
                drop(permit);
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            let queues = queues.clone();
            tokio::spawn(async move {
                invoke(app, &queues, messages).await;
                drop(permit);
            });
        }
    })
}

/// One invocation: the batch as Lambda builds it, the handler, then the
/// deletes Lambda makes for the messages not reported as failed.
async fn invoke(app: &'static App, queues: &Queues, messages: Vec<aws_sdk_sqs::types::Message>) {
    let mut batch = SqsEvent::default();
    for m in &messages {
        let mut record = SqsMessage::default();
        record.message_id = m.message_id.clone();
        record.receipt_handle = m.receipt_handle.clone();
        record.body = m.body.clone();
        record.attributes = m
            .attributes()
            .map(|a| a.iter().map(|(k, v)| (k.as_str().to_owned(), v.clone())).collect())
            .unwrap_or_default();
        record.event_source = Some("aws:sqs".into());
        batch.records.push(record);
    }
    let response = paynectra_functions::deliveries::attempt(app, batch).await;
    let failed: HashSet<String> = response
        .batch_item_failures
        .into_iter()
        .map(|f| f.item_identifier)
        .collect();
    let done: Vec<_> = messages
        .iter()
        .filter(|m| m.message_id.as_ref().is_some_and(|id| !failed.contains(id)))
        .enumerate()
        .filter_map(|(i, m)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(m.receipt_handle.clone()?)
                .build()
                .ok()
        })
        .collect();
    if done.is_empty() {
        return;
    }
    if let Err(e) = queues
        .client
        .delete_message_batch()
        .queue_url(&queues.url)
        .set_entries(Some(done))
        .send()
        .await
    {
        tracing::warn!(error = %DisplayErrorContext(&e), "DeleteMessageBatch failed; the messages come back");
    }
}

/// The bodies of the messages in the dead-letter queue (received with a
/// short visibility timeout, not deleted): what an operator would look at.
pub async fn dead_letters(queues: &Queues) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for _ in 0..10 {
        let got = queues
            .client
            .receive_message()
            .queue_url(&queues.dead_letters_url)
            .max_number_of_messages(10)
            .visibility_timeout(1)
            .send()
            .await
            .map_err(sqs_error("ReceiveMessage(dead letters)"))?;
        let messages = got.messages.unwrap_or_default();
        if messages.is_empty() {
            break;
        }
        out.extend(messages.into_iter().filter_map(|m| m.body));
    }
    Ok(out)
}
