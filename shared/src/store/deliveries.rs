//! Webhook deliveries: one item per event and endpoint with every attempt,
//! the event's `pending_webhooks` count, and the retry index.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};

use super::{
    error::StoreError,
    events::{pending_count, StoredHead},
    item::{from_item, key_of, s, to_item, Item, NOT_EXISTS},
    keys,
    list::SortKeys,
    transact::{put_item, Writes},
    Store,
};
use crate::domain::{
    delivery::{Breaker, Delivery, DeliveryStatus, DueDelivery, EventRef, RETRY_FOR_SECONDS},
    Event, EventId, Tenant, WebhookEndpoint, WebhookEndpointId,
};

/// A delivery due for a retry, from the retry index.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DueRetry {
    pub account_id: crate::domain::AccountId,
    pub mode: crate::domain::Mode,
    pub event_id: crate::domain::EventId,
    pub endpoint_id: WebhookEndpointId,
    pub at: i64,
    /// The delivery's attempts when this was scheduled (absent on entries
    /// written before it was recorded).
    pub attempts: Option<usize>,
    /// TTL: gone a day after it was due.
    pub expires_at: i64,
}

impl DueRetry {
    pub fn tenant(&self) -> Tenant {
        Tenant::new(self.account_id.clone(), self.mode)
    }

    /// The queue message of this attempt.
    pub fn due_delivery(&self) -> DueDelivery {
        DueDelivery {
            account_id: self.account_id.clone(),
            mode: self.mode,
            event_id: self.event_id.clone(),
            endpoint_id: self.endpoint_id.clone(),
            attempts: self.attempts,
            due: self.at,
        }
    }
}

/// A delivery's next attempt, as a queue message.
pub fn due_delivery(tenant: &Tenant, delivery: &Delivery, at: i64) -> DueDelivery {
    DueDelivery {
        account_id: tenant.account_id.clone(),
        mode: tenant.mode,
        event_id: delivery.event_id.clone(),
        endpoint_id: delivery.endpoint_id.clone(),
        attempts: Some(delivery.attempts.len()),
        due: at,
    }
}

impl Store {
    /// The tenant and event of a stream record's new image: `Ok(None)` if
    /// it is not an event item, an error if it is one that cannot be read
    /// (the record must then be retried, not dropped).
    pub fn event_from_image(
        &self,
        image: serde_dynamo::Item,
    ) -> Result<Option<(Tenant, crate::domain::EventHead)>, StoreError> {
        let image: Item = image.into();
        let attr = |k: &str| image.get(k).and_then(|v| v.as_s().ok()).cloned();
        let (Some(pk), Some(sk)) = (attr(keys::PK_ATTR), attr(keys::SK_ATTR)) else {
            return Ok(None);
        };
        if sk != "event" {
            return Ok(None);
        }
        let (tenant, _) = keys::event_of_pk(&pk)
            .ok_or_else(|| StoreError::Corrupt(format!("an event item with a malformed key: {pk}")))?;
        Ok(Some((tenant, from_item::<StoredHead>(image)?.head())))
    }

    /// The tenant and id of the event item of a stream record's keys (or
    /// image), if its key is an event's: enough to fan the event out again
    /// when its image cannot be read or its fan-out failed.
    pub fn event_ref_of_keys(&self, keys: &serde_dynamo::Item) -> Option<EventRef> {
        let pk = match keys.get(keys::PK_ATTR)? {
            serde_dynamo::AttributeValue::S(pk) => pk,
            _ => return None,
        };
        let (tenant, event_id) = keys::event_of_pk(pk)?;
        Some(EventRef {
            account_id: tenant.account_id,
            mode: tenant.mode,
            event_id,
        })
    }

    /// Creates the deliveries of an event, one per endpoint, each in one
    /// transaction with its count in the event's `pending_webhooks` and a
    /// retry-index entry due at once: whatever happens to the first attempt
    /// (a crash, a timeout), the retry function will make it. A delivery
    /// that exists already (a redelivered stream record) is left alone.
    /// Returns the new ones.
    pub async fn start_deliveries(
        &self,
        tenant: &Tenant,
        event: &crate::domain::EventHead,
        endpoints: &[WebhookEndpoint],
        now: i64,
    ) -> Result<Vec<Delivery>, StoreError> {
        // One transaction per endpoint, all at once (an event has at most
        // 16 matching endpoints).
        let started = endpoints.iter().map(|endpoint| async move {
            let delivery = Delivery {
                event_id: event.id.clone(),
                endpoint_id: endpoint.id.clone(),
                url: endpoint.url.clone(),
                status: DeliveryStatus::Pending,
                attempts: vec![],
                next_attempt_at: Some(now),
                created: now,
                event_created: event.created,
                expires_at: event.expires_at,
            };
            let items = vec![
                put_item(self.put(
                    to_item(&keys::delivery(tenant, &event.id, &endpoint.id), &delivery)?,
                    NOT_EXISTS,
                )),
                self.pending_update(tenant, &event.id, 1, event.expires_at),
                self.retry_put(tenant, &delivery, now)?,
            ];
            let op = "TransactWriteItems(start delivery)";
            let started = self
                .transact_applied(op, items, tenant, Writes::NONE, || StoreError::AlreadyExists)
                .await?;
            Ok::<_, StoreError>(started.then_some(delivery))
        });
        let mut created = Vec::new();
        for result in futures::future::join_all(started).await {
            created.extend(result?);
        }
        Ok(created)
    }

    /// Moves an event's `pending_webhooks` count by `n`: its own small item,
    /// gone with the event (`expires_at`).
    fn pending_update(&self, tenant: &Tenant, event: &EventId, n: i64, expires_at: i64) -> TransactWriteItem {
        TransactWriteItem::builder()
            .update(
                Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_of(&keys::event_pending(tenant, event))))
                    .update_expression("ADD pending_webhooks :n SET expires_at = :expires")
                    .expression_attribute_values(":n", AttributeValue::N(n.to_string()))
                    .expression_attribute_values(":expires", AttributeValue::N(expires_at.to_string()))
                    .build()
                    .expect("table, key and expression are set"),
            )
            .build()
    }

    fn retry_put(&self, tenant: &Tenant, delivery: &Delivery, at: i64) -> Result<TransactWriteItem, StoreError> {
        let entry = DueRetry {
            account_id: tenant.account_id.clone(),
            mode: tenant.mode,
            event_id: delivery.event_id.clone(),
            endpoint_id: delivery.endpoint_id.clone(),
            at,
            attempts: Some(delivery.attempts.len()),
            // Kept through the whole retry window and a day more.
            expires_at: delivery.event_created + RETRY_FOR_SECONDS + 86_400,
        };
        let item = to_item(
            &keys::retry(tenant, &delivery.event_id, &delivery.endpoint_id, at),
            &entry,
        )?;
        Ok(put_item(
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .build()
                .expect("table and item are set"),
        ))
    }

    /// Records an attempt, in one transaction: the delivery as it now is
    /// (only if it was still pending with `attempts_before` attempts, so two
    /// deliverers cannot both record, nor overwrite each other's history),
    /// and either its next retry-index entry or its leaving
    /// `pending_webhooks`. False if someone else got there first.
    pub async fn record_attempt(
        &self,
        tenant: &Tenant,
        delivery: &Delivery,
        attempts_before: usize,
    ) -> Result<bool, StoreError> {
        let keys = keys::delivery(tenant, &delivery.event_id, &delivery.endpoint_id);
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&keys, delivery)?))
            .condition_expression("#status = :pending AND size(attempts) = :n")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":n", AttributeValue::N(attempts_before.to_string()))
            .build()
            .expect("table, item and condition are set");
        let follow_up = match (delivery.status, delivery.next_attempt_at) {
            (DeliveryStatus::Pending, Some(at)) => self.retry_put(tenant, delivery, at)?,
            _ => self.pending_update(tenant, &delivery.event_id, -1, delivery.expires_at),
        };
        let items = vec![put_item(put), follow_up];
        self.transact_applied(
            "TransactWriteItems(delivery attempt)",
            items,
            tenant,
            Writes::NONE,
            || StoreError::Conflict,
        )
        .await
    }

    /// An endpoint's circuit breaker (closed if it has none).
    pub async fn breaker(&self, tenant: &Tenant, endpoint: &WebhookEndpointId) -> Result<Breaker, StoreError> {
        Ok(self
            .get_as(&keys::breaker(tenant, endpoint), "GetItem(breaker)")
            .await?
            .unwrap_or_default())
    }

    /// Writes an endpoint's breaker if it is still at the version `next`
    /// was computed from (`next.version - 1`); false if another worker
    /// wrote it first.
    pub async fn put_breaker(
        &self,
        tenant: &Tenant,
        endpoint: &WebhookEndpointId,
        next: &Breaker,
    ) -> Result<bool, StoreError> {
        let item = to_item(&keys::breaker(tenant, endpoint), next)?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR #version = :v")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":v", AttributeValue::N(next.version.saturating_sub(1).to_string()))
            .send()
            .await;
        super::error::applied(result, "PutItem(breaker)")
    }

    pub async fn get_delivery(
        &self,
        tenant: &Tenant,
        event: &crate::domain::EventId,
        endpoint: &WebhookEndpointId,
    ) -> Result<Option<Delivery>, StoreError> {
        self.get_as(&keys::delivery(tenant, event, endpoint), "GetItem(delivery)")
            .await
    }

    /// An event's deliveries (one Query on the event's partition).
    pub async fn deliveries(
        &self,
        tenant: &Tenant,
        event: &crate::domain::EventId,
    ) -> Result<Vec<Delivery>, StoreError> {
        let (pk, prefix) = keys::deliveries_prefix(tenant, event);
        self.query_all(pk, SortKeys::BeginningWith(prefix.into()), true, "Query(deliveries)")
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    /// An event (unless past its 30 days at `now`) with its deliveries, in one
    /// strongly consistent Query of the event's partition: the event item
    /// (`sk = event`) and its deliveries (`sk = delivery#...`) share it, so
    /// GET /v1/events/{id} costs one round trip, not a GetItem and a Query.
    pub async fn event_with_deliveries(
        &self,
        tenant: &Tenant,
        event: &EventId,
        now: i64,
    ) -> Result<Option<(Event, Vec<Delivery>)>, StoreError> {
        let (pk, prefix) = keys::deliveries_prefix(tenant, event);
        let event_sk = keys::event(tenant, event).sk;
        let items = self
            .query_all(pk, SortKeys::All, true, "Query(event and deliveries)")
            .await?;
        let pending_sk = keys::event_pending(tenant, event).sk;
        let body_sk = keys::event_body(tenant, event).sk;
        let mut head: Option<StoredHead> = None;
        let mut body = None;
        let mut pending = 0;
        let mut deliveries = Vec::new();
        for item in items {
            match item.get(keys::SK).and_then(|v| v.as_s().ok()) {
                Some(sk) if *sk == event_sk => head = Some(from_item(item)?),
                Some(sk) if *sk == body_sk => body = Some(from_item(item)?),
                Some(sk) if *sk == pending_sk => pending = pending_count(&item),
                Some(sk) if sk.starts_with(prefix) => deliveries.push(from_item(item)?),
                _ => {}
            }
        }
        let Some(event) = head.and_then(|h| h.event(body, pending)) else {
            return Ok(None);
        };
        // Past its 30 days, an event is gone even before TTL deletes it.
        Ok(Some((event, deliveries)).filter(|(e, _)| e.expires_at > now))
    }
}
