//! Webhook endpoints in the store.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};

use super::{key_of, keys, put_item, s, to_item, ReadStats, Store, StoreError, Writes, NOT_EXISTS};
use crate::domain::{CreatedRange, ListWindow, Page, Tenant, WebhookEndpoint, WebhookEndpointId};

impl Store {
    pub async fn insert_webhook_endpoint(
        &self,
        tenant: &Tenant,
        endpoint: &WebhookEndpoint,
        writes: Writes<'_>,
    ) -> Result<(), StoreError> {
        let keys = keys::webhook_endpoint_item(tenant, &endpoint.id, endpoint.created);
        let item = to_item(&keys, endpoint)?;
        self.insert_new("PutItem(webhook endpoint)", item, tenant, writes).await
    }

    pub async fn list_webhook_endpoints(
        &self,
        tenant: &Tenant,
        window: &ListWindow<WebhookEndpointId>,
    ) -> Result<(Page<WebhookEndpoint>, ReadStats), StoreError> {
        let index = keys::webhook_endpoint_list_index(tenant);
        let cursor_keys = window.cursor.as_ref().map(|c| keys::webhook_endpoint(tenant, c.id()));
        self.list(index, None, &CreatedRange::default(), window, cursor_keys)
            .await
    }

    /// Every live endpoint of the tenant (for delivery): pages of 100.
    pub async fn all_webhook_endpoints(&self, tenant: &Tenant) -> Result<Vec<WebhookEndpoint>, StoreError> {
        let mut out = Vec::new();
        let mut window = ListWindow::new(Some(100), None, None).expect("100 is a valid limit");
        loop {
            let (page, _) = self.list_webhook_endpoints(tenant, &window).await?;
            let last = page.data.last().map(|e| e.id.clone());
            out.extend(page.data);
            match (page.has_more, last) {
                (true, Some(id)) => window = ListWindow::new(Some(100), Some(id), None).expect("valid"),
                _ => return Ok(out),
            }
        }
    }

    /// Deletes an endpoint: a tombstone that leaves the list (and so stops
    /// deliveries). False if there was none.
    pub async fn delete_webhook_endpoint(&self, tenant: &Tenant, id: &WebhookEndpointId) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_of(&keys::webhook_endpoint(tenant, id))))
            .update_expression("SET deleted = :true REMOVE gsi1pk, gsi1sk")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(deleted)")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .send()
            .await;
        super::applied(result, "UpdateItem(delete webhook endpoint)")
    }
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Succeeded,
    Failed,
}

/// One POST of an event to an endpoint.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attempt {
    pub at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// An event's delivery to one endpoint, with every attempt.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Delivery {
    pub event_id: crate::domain::EventId,
    pub endpoint_id: WebhookEndpointId,
    pub url: String,
    pub status: DeliveryStatus,
    // Always stored (the attempt condition reads its size).
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<i64>,
    pub created: i64,
    /// The event's creation time (the retry window runs from it).
    #[serde(default)]
    pub event_created: i64,
    /// TTL: deliveries go with their event, after 30 days.
    #[serde(default)]
    pub expires_at: i64,
}

/// A delivery due for a retry, from the retry index.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DueRetry {
    pub account_id: crate::domain::AccountId,
    pub mode: crate::domain::Mode,
    pub event_id: crate::domain::EventId,
    pub endpoint_id: WebhookEndpointId,
    pub at: i64,
    /// TTL: gone a day after it was due.
    pub expires_at: i64,
}

impl DueRetry {
    pub fn tenant(&self) -> Tenant {
        Tenant {
            account_id: self.account_id.clone(),
            mode: self.mode,
        }
    }
}

type Item = std::collections::HashMap<String, AttributeValue>;

impl Store {
    /// The tenant and event of a stream record's new image: `Ok(None)` if
    /// it is not an event item, an error if it is one that cannot be read
    /// (the record must then be retried, not dropped).
    pub fn event_from_image(
        &self,
        image: serde_dynamo::Item,
    ) -> Result<Option<(Tenant, crate::domain::Event)>, StoreError> {
        let image: Item = image.into();
        let attr = |k: &str| image.get(k).and_then(|v| v.as_s().ok()).cloned();
        let (Some(pk), Some(sk)) = (attr(keys::PK_ATTR), attr(keys::SK_ATTR)) else {
            return Ok(None);
        };
        if sk != "event" {
            return Ok(None);
        }
        let tenant = keys::tenant_of_event_pk(&pk)
            .ok_or_else(|| StoreError::Corrupt(format!("an event item with a malformed key: {pk}")))?;
        Ok(Some((tenant, super::from_item(image)?)))
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
        event: &crate::domain::Event,
        endpoints: &[WebhookEndpoint],
        now: i64,
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut created = Vec::new();
        for endpoint in endpoints {
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
                self.pending_update(tenant, &event.id, 1),
                self.retry_put(tenant, &delivery, now)?,
            ];
            match self
                .transact(
                    "TransactWriteItems(start delivery)",
                    items,
                    tenant,
                    Writes::NONE,
                    |_| StoreError::AlreadyExists,
                )
                .await
            {
                Ok(()) => created.push(delivery),
                Err(StoreError::AlreadyExists) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(created)
    }

    fn pending_update(&self, tenant: &Tenant, event: &crate::domain::EventId, n: i64) -> TransactWriteItem {
        TransactWriteItem::builder()
            .update(
                Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_of(&keys::event(tenant, event))))
                    .update_expression("ADD pending_webhooks :n")
                    .expression_attribute_values(":n", AttributeValue::N(n.to_string()))
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
            // Kept through the whole retry window and a day more.
            expires_at: delivery.event_created + crate::delivery::RETRY_FOR_SECONDS + 86_400,
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
            _ => self.pending_update(tenant, &delivery.event_id, -1),
        };
        match self
            .transact(
                "TransactWriteItems(delivery attempt)",
                vec![put_item(put), follow_up],
                tenant,
                Writes::NONE,
                |_| StoreError::Conflict,
            )
            .await
        {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Removes a handled retry-index entry.
    pub async fn delete_retry(&self, due: &DueRetry) -> Result<(), StoreError> {
        let keys = keys::retry(&due.tenant(), &due.event_id, &due.endpoint_id, due.at);
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_of(&keys)))
            .send()
            .await
            .map_err(|e| StoreError::dynamo("DeleteItem(retry)", e))?;
        Ok(())
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

    pub async fn get_webhook_endpoint(
        &self,
        tenant: &Tenant,
        id: &WebhookEndpointId,
    ) -> Result<Option<WebhookEndpoint>, StoreError> {
        let item = self
            .get(&keys::webhook_endpoint(tenant, id), "GetItem(webhook endpoint)")
            .await?;
        match item {
            Some(i) if !i.contains_key("deleted") => Ok(Some(super::from_item(i)?)),
            _ => Ok(None),
        }
    }

    /// An event's deliveries (one Query on the event's partition).
    pub async fn deliveries(
        &self,
        tenant: &Tenant,
        event: &crate::domain::EventId,
    ) -> Result<Vec<Delivery>, StoreError> {
        let (pk, prefix) = keys::deliveries_prefix(tenant, event);
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":prefix", s(prefix))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        let mut out = Vec::new();
        while let Some(item) = pages.next().await {
            out.push(super::from_item(
                item.map_err(|e| StoreError::dynamo("Query(deliveries)", e))?,
            )?);
        }
        Ok(out)
    }

    /// An event (unless past its 30 days) with its deliveries, in one
    /// strongly consistent Query of the event's partition: the event item
    /// (`sk = event`) and its deliveries (`sk = delivery#...`) share it, so
    /// GET /v1/events/{id} costs one round trip, not a GetItem and a Query.
    pub async fn event_with_deliveries(
        &self,
        tenant: &Tenant,
        event: &crate::domain::EventId,
    ) -> Result<Option<(crate::domain::Event, Vec<Delivery>)>, StoreError> {
        let (pk, prefix) = keys::deliveries_prefix(tenant, event);
        let event_sk = keys::event(tenant, event).sk;
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(pk))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        let mut found = None;
        let mut deliveries = Vec::new();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| StoreError::dynamo("Query(event and deliveries)", e))?;
            match item.get(keys::SK).and_then(|v| v.as_s().ok()) {
                Some(sk) if *sk == event_sk => found = Some(super::from_item::<crate::domain::Event>(item)?),
                Some(sk) if sk.starts_with(prefix) => deliveries.push(super::from_item(item)?),
                _ => {}
            }
        }
        // Past its 30 days, an event is gone even before TTL deletes it.
        Ok(found
            .filter(|e| e.expires_at > crate::now_unix())
            .map(|e| (e, deliveries)))
    }

    /// Retries due by `now`: one Query per day of the last four.
    pub async fn due_retries(&self, now: i64) -> Result<Vec<DueRetry>, StoreError> {
        let today = now.div_euclid(86_400);
        let mut out = Vec::new();
        for day in (today - 4)..=today {
            let mut pages = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk <= :now")
                .expression_attribute_values(":pk", s(keys::retry_day(day)))
                .expression_attribute_values(":now", s(format!("{now:012}#~")))
                .into_paginator()
                .items()
                .send();
            while let Some(item) = pages.next().await {
                out.push(super::from_item(
                    item.map_err(|e| StoreError::dynamo("Query(retries)", e))?,
                )?);
            }
        }
        Ok(out)
    }
}
