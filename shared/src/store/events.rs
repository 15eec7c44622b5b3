//! Events: written in the transaction of the change they record; read by
//! id and listed within their 30 days.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{KeysAndAttributes, TransactWriteItem};

use super::{
    error::StoreError,
    item::{key_of, to_item, Item, NOT_EXISTS},
    keys,
    transact::put_item,
    ReadStats, Store,
};
use crate::domain::{CreatedRange, Event, EventId, EventTypeFilter, ListWindow, Page, Tenant};

/// The count an event's `pending` item holds (0 without one).
pub(super) fn pending_count(item: &Item) -> i64 {
    item.get("pending_webhooks")
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// BatchGetItem's own limit of keys per call.
const BATCH_GET_MAX: usize = 100;

/// Rounds of BatchGetItem's unprocessed keys before giving up.
const BATCH_GET_ROUNDS: u32 = 5;

impl Store {
    pub(super) fn event_put(&self, tenant: &Tenant, event: &Event) -> Result<TransactWriteItem, StoreError> {
        let keys = keys::event_item(tenant, &event.id, event.created, event.kind);
        Ok(put_item(self.put(to_item(&keys, event)?, NOT_EXISTS)))
    }

    /// An event, however old (for retries of its deliveries), with its
    /// `pending_webhooks`: its item and its count's, read at once.
    pub async fn get_event_any_age(&self, tenant: &Tenant, id: &EventId) -> Result<Option<Event>, StoreError> {
        let (event, pending) = futures::future::join(
            self.get_as::<Event>(&keys::event(tenant, id), "GetItem(event)"),
            self.get(&keys::event_pending(tenant, id), "GetItem(event pending count)"),
        )
        .await;
        let mut event = event?;
        if let Some(e) = &mut event {
            e.pending_webhooks = pending?.as_ref().map_or(0, pending_count);
        }
        Ok(event)
    }

    /// The `pending_webhooks` of each of `ids` that has a count (strongly
    /// consistent; BatchGetItem, a call per hundred), for a page of a list.
    /// Keyed by event id.
    async fn pending_counts(&self, tenant: &Tenant, ids: &[EventId]) -> Result<HashMap<String, i64>, StoreError> {
        let mut counts = HashMap::new();
        for chunk in ids.chunks(BATCH_GET_MAX) {
            let keys = chunk
                .iter()
                .map(|id| key_of(&keys::event_pending(tenant, id)))
                .collect();
            let mut request = KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(true)
                .build()
                .expect("keys are set");
            for round in 0.. {
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(|e| StoreError::dynamo("BatchGetItem(event pending counts)", e))?;
                for item in out
                    .responses
                    .unwrap_or_default()
                    .remove(&self.table)
                    .unwrap_or_default()
                {
                    if let Some((_, event)) = item
                        .get(keys::PK)
                        .and_then(|v| v.as_s().ok())
                        .and_then(|pk| keys::event_of_pk(pk))
                    {
                        counts.insert(event.to_string(), pending_count(&item));
                    }
                }
                match out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)) {
                    Some(rest) if !rest.keys.is_empty() => {
                        if round + 1 == BATCH_GET_ROUNDS {
                            return Err(StoreError::Throttled {
                                operation: "BatchGetItem(event pending counts)",
                                message: format!("{} keys still unprocessed", rest.keys.len()),
                            });
                        }
                        // DynamoDB returns keys unprocessed when it throttles:
                        // back off before asking again.
                        tokio::time::sleep(std::time::Duration::from_millis(25 << round)).await;
                        request = rest;
                    }
                    _ => break,
                }
            }
        }
        Ok(counts)
    }

    /// An event, unless past its 30 days at `now` (gone even before TTL
    /// deletes it).
    pub async fn get_event(&self, tenant: &Tenant, id: &EventId, now: i64) -> Result<Option<Event>, StoreError> {
        let event = self.get_event_any_age(tenant, id).await?;
        Ok(event.filter(|e| e.expires_at > now))
    }

    /// One page of the tenant's events (of one type or group) still
    /// retained at `now`, newest first. One Query (plus one GetItem for a
    /// cursor).
    pub async fn list_events(
        &self,
        tenant: &Tenant,
        filter: Option<EventTypeFilter>,
        created: &CreatedRange,
        window: &ListWindow<EventId>,
        now: i64,
    ) -> Result<(Page<Event>, ReadStats), StoreError> {
        let index = keys::event_list_index(tenant, filter);
        let retained = CreatedRange {
            gte: Some(
                created
                    .gte
                    .unwrap_or(0)
                    .max(now - crate::domain::event::RETENTION_SECONDS),
            ),
            ..*created
        };
        let (mut page, mut stats) = self.list::<Event, _>(tenant, index, None, &retained, window).await?;
        if !page.data.is_empty() {
            let ids: Vec<EventId> = page.data.iter().map(|e| e.id.clone()).collect();
            let counts = self.pending_counts(tenant, &ids).await?;
            stats.get_items += 1;
            for e in &mut page.data {
                e.pending_webhooks = counts.get(e.id.as_str()).copied().unwrap_or(0);
            }
        }
        Ok((page, stats))
    }
}
