//! Webhook endpoints in the store.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{key_of, keys, s, to_item, ReadStats, Store, StoreError, NOT_EXISTS};
use crate::domain::{CreatedRange, ListWindow, Page, Tenant, WebhookEndpoint, WebhookEndpointId};

impl Store {
    pub async fn insert_webhook_endpoint(&self, tenant: &Tenant, endpoint: &WebhookEndpoint) -> Result<(), StoreError> {
        let keys = keys::webhook_endpoint_item(tenant, &endpoint.id, endpoint.created);
        let item = to_item(&keys, endpoint)?;
        self.insert_new("PutItem(webhook endpoint)", item, tenant, super::Writes::NONE)
            .await
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
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<i64>,
    pub created: i64,
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
    /// The tenant and event of a stream record's new image, if it is an
    /// event item.
    pub fn event_from_image(&self, image: serde_dynamo::Item) -> Option<(Tenant, crate::domain::Event)> {
        let image: Item = image.into();
        let pk = image.get(keys::PK_ATTR)?.as_s().ok()?.clone();
        if image.get(keys::SK_ATTR)?.as_s().ok()? != "event" {
            return None;
        }
        let tenant = keys::tenant_of_event_pk(&pk)?;
        let event = super::from_item(image).ok()?;
        Some((tenant, event))
    }

    /// Creates the deliveries of an event (one per endpoint; a delivery that
    /// exists already, from a redelivered stream record, is left as it is)
    /// and counts them into the event's `pending_webhooks`. Returns the new
    /// ones.
    pub async fn start_deliveries(
        &self,
        tenant: &Tenant,
        event: &crate::domain::Event,
        endpoints: &[WebhookEndpoint],
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut created = Vec::new();
        for endpoint in endpoints {
            let delivery = Delivery {
                event_id: event.id.clone(),
                endpoint_id: endpoint.id.clone(),
                url: endpoint.url.clone(),
                status: DeliveryStatus::Pending,
                attempts: vec![],
                next_attempt_at: None,
                created: crate::now_unix(),
            };
            let put = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(to_item(
                    &keys::delivery(tenant, &event.id, &endpoint.id),
                    &delivery,
                )?))
                .condition_expression(NOT_EXISTS)
                .send()
                .await;
            if super::applied(put, "PutItem(delivery)")? {
                created.push(delivery);
            }
        }
        if !created.is_empty() {
            self.add_pending_webhooks(tenant, &event.id, created.len() as i64)
                .await?;
        }
        Ok(created)
    }

    async fn add_pending_webhooks(
        &self,
        tenant: &Tenant,
        event: &crate::domain::EventId,
        n: i64,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_of(&keys::event(tenant, event))))
            .update_expression("ADD pending_webhooks :n")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":n", AttributeValue::N(n.to_string()))
            .send()
            .await
            .map_err(|e| StoreError::dynamo("UpdateItem(pending webhooks)", e))?;
        Ok(())
    }

    /// Records an attempt: the delivery as it now is, written only if it was
    /// still pending (two deliverers cannot both finish it). A finished
    /// delivery leaves `pending_webhooks`; one to retry is indexed for the
    /// retry function. False if someone else got there first.
    pub async fn record_attempt(&self, tenant: &Tenant, delivery: &Delivery) -> Result<bool, StoreError> {
        let keys = keys::delivery(tenant, &delivery.event_id, &delivery.endpoint_id);
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&keys, delivery)?))
            .condition_expression("#status = :pending")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":pending", s("pending"))
            .send()
            .await;
        if !super::applied(put, "PutItem(delivery attempt)")? {
            return Ok(false);
        }
        match (delivery.status, delivery.next_attempt_at) {
            (DeliveryStatus::Pending, Some(at)) => {
                let entry = DueRetry {
                    account_id: tenant.account_id.clone(),
                    mode: tenant.mode,
                    event_id: delivery.event_id.clone(),
                    endpoint_id: delivery.endpoint_id.clone(),
                    at,
                    expires_at: at + 86_400,
                };
                self.client
                    .put_item()
                    .table_name(&self.table)
                    .set_item(Some(to_item(
                        &keys::retry(tenant, &delivery.event_id, &delivery.endpoint_id, at),
                        &entry,
                    )?))
                    .send()
                    .await
                    .map_err(|e| StoreError::dynamo("PutItem(retry)", e))?;
            }
            (DeliveryStatus::Pending, None) => {}
            _ => self.add_pending_webhooks(tenant, &delivery.event_id, -1).await?,
        }
        Ok(true)
    }

    pub async fn get_delivery(
        &self,
        tenant: &Tenant,
        event: &crate::domain::EventId,
        endpoint: &WebhookEndpointId,
    ) -> Result<Option<Delivery>, StoreError> {
        self.get(&keys::delivery(tenant, event, endpoint), "GetItem(delivery)")
            .await?
            .map(super::from_item)
            .transpose()
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
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":prefix", s(prefix))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::dynamo("Query(deliveries)", e))?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .map(super::from_item)
            .collect()
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
