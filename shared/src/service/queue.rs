//! Webhook delivery's queues (SQS FIFO): the delivery queue, one message
//! per due attempt, in lanes (message groups) per endpoint; and its
//! dead-letter queue, which also takes the stream records the consumer
//! could not handle. Both are reached with the SDK configuration every
//! client shares (`AWS_ENDPOINT_URL_SQS` points it at moto locally).

use aws_sdk_sqs::{error::DisplayErrorContext, types::SendMessageBatchRequestEntry};

use crate::domain::delivery::{DueDelivery, EventRef, QueueMessage};

/// The environment variable with the delivery queue's URL.
pub const WEBHOOK_QUEUE_URL: &str = "WEBHOOK_QUEUE_URL";
/// The environment variable with the dead-letter queue's URL.
pub const WEBHOOK_DEAD_LETTER_QUEUE_URL: &str = "WEBHOOK_DEAD_LETTER_QUEUE_URL";

/// SendMessageBatch takes up to ten messages.
const BATCH: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("configuration: {0}")]
    Config(&'static str),
    #[error("SQS {operation} failed: {message}")]
    Sqs { operation: &'static str, message: String },
}

/// The two queues and the client that reaches them. Cheap to clone.
#[derive(Clone, Debug)]
pub struct DeliveryQueue {
    client: aws_sdk_sqs::Client,
    url: Option<String>,
    dead_letters: Option<String>,
}

impl DeliveryQueue {
    pub fn new(client: aws_sdk_sqs::Client, url: Option<String>, dead_letters: Option<String>) -> Self {
        Self {
            client,
            url,
            dead_letters,
        }
    }

    /// The queues the function's environment names (either may be
    /// absent: a function uses the ones its role may send to), or `None`.
    pub fn from_env(config: &aws_config::SdkConfig) -> Option<Self> {
        let named = |var| std::env::var(var).ok().filter(|v| !v.is_empty());
        let (url, dead_letters) = (named(WEBHOOK_QUEUE_URL), named(WEBHOOK_DEAD_LETTER_QUEUE_URL));
        (url.is_some() || dead_letters.is_some())
            .then(|| Self::new(aws_sdk_sqs::Client::new(config), url, dead_letters))
    }

    pub fn client(&self) -> &aws_sdk_sqs::Client {
        &self.client
    }

    /// Sends one message per due attempt (SendMessageBatch, ten at a
    /// time, all at once); returns which were sent, in order. A message
    /// not sent is still in the retry index, so the sweep sends it later.
    pub async fn enqueue(&self, due: &[DueDelivery]) -> Result<Vec<bool>, QueueError> {
        let url = self
            .url
            .as_deref()
            .ok_or(QueueError::Config("WEBHOOK_QUEUE_URL is not set"))?;
        let batches = due.chunks(BATCH).map(|chunk| async move {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    entry(
                        i,
                        &QueueMessage::Delivery(d.clone()),
                        d.message_group(),
                        d.deduplication_id(),
                    )
                })
                .collect();
            self.send(url, chunk.len(), entries).await
        });
        let mut sent = Vec::with_capacity(due.len());
        for batch in futures::future::join_all(batches).await {
            sent.extend(batch?);
        }
        Ok(sent)
    }

    /// Sends a stream record that could not be handled straight to the
    /// dead-letter queue, as an event to fan out again (an operator moves
    /// it back to the delivery queue when the cause is fixed).
    pub async fn dead_letter(&self, event: &EventRef) -> Result<(), QueueError> {
        let url = self
            .dead_letters
            .as_deref()
            .ok_or(QueueError::Config("WEBHOOK_DEAD_LETTER_QUEUE_URL is not set"))?;
        let message = QueueMessage::Event(event.clone());
        // Its own group (an event's fan-out is independent of any other),
        // deduplicated on the event.
        let group = format!("event#{}", event.event_id);
        let dedup = format!("event#{}#{}", event.account_id, event.event_id);
        let sent = self.send(url, 1, vec![entry(0, &message, group, dedup)]).await?;
        if sent == [true] {
            Ok(())
        } else {
            Err(QueueError::Sqs {
                operation: "SendMessageBatch(dead letter)",
                message: "the message was refused".into(),
            })
        }
    }

    async fn send(
        &self,
        url: &str,
        n: usize,
        entries: Vec<SendMessageBatchRequestEntry>,
    ) -> Result<Vec<bool>, QueueError> {
        let out = self
            .client
            .send_message_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| QueueError::Sqs {
                operation: "SendMessageBatch",
                message: DisplayErrorContext(&e).to_string(),
            })?;
        for failed in out.failed() {
            tracing::warn!(
                code = failed.code(),
                message = failed.message(),
                "a message was not enqueued"
            );
        }
        let mut sent = vec![false; n];
        for ok in out.successful() {
            if let Some(slot) = ok.id().parse::<usize>().ok().and_then(|i| sent.get_mut(i)) {
                *slot = true;
            }
        }
        Ok(sent)
    }
}

fn entry(i: usize, message: &QueueMessage, group: String, dedup: String) -> SendMessageBatchRequestEntry {
    SendMessageBatchRequestEntry::builder()
        .id(i.to_string())
        .message_body(serde_json::to_string(message).expect("queue messages serialise"))
        .message_group_id(group)
        .message_deduplication_id(dedup)
        .build()
        .expect("id and body are set")
}
