//! Events: written in the transaction of the change they record; read by
//! id and listed within their 30 days.

use aws_sdk_dynamodb::types::TransactWriteItem;

use super::{
    error::StoreError,
    item::{to_item, NOT_EXISTS},
    keys,
    transact::put_item,
    ReadStats, Store,
};
use crate::domain::{CreatedRange, Event, EventId, EventTypeFilter, ListWindow, Page, Tenant};

impl Store {
    pub(super) fn event_put(&self, tenant: &Tenant, event: &Event) -> Result<TransactWriteItem, StoreError> {
        let keys = keys::event_item(tenant, &event.id, event.created, event.kind);
        Ok(put_item(self.put(to_item(&keys, event)?, NOT_EXISTS)))
    }

    /// An event, however old (for retries of its deliveries).
    pub async fn get_event_any_age(&self, tenant: &Tenant, id: &EventId) -> Result<Option<Event>, StoreError> {
        self.get_as(&keys::event(tenant, id), "GetItem(event)").await
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
        self.list(tenant, index, None, &retained, window).await
    }
}
