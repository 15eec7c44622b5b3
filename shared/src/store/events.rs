//! Events: written in the transaction of the change they record; read by
//! id and listed within their 30 days.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, TransactWriteItem};

use super::{
    error::StoreError,
    item::{from_item, key_of, to_item, Item, NOT_EXISTS},
    keys,
    transact::put_item,
    ReadStats, Store,
};
use crate::domain::{
    CreatedRange, Event, EventHead, EventId, EventRequest, EventType, EventTypeFilter, ListWindow, Mode, Page,
    PaymentId, Tenant,
};

/// The count an event's `pending` item holds (0 without one).
pub(super) fn pending_count(item: &Item) -> i64 {
    item.get("pending_webhooks")
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// An event's head as stored: the item its three list indexes project and
/// the stream carries, everything but the object. Events written before
/// the body had an item of its own hold the object here too.
#[serde_with::skip_serializing_none]
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct StoredHead {
    id: EventId,
    mode: Mode,
    #[serde(rename = "type")]
    kind: EventType,
    created: i64,
    request: EventRequest,
    expires_at: i64,
    object_json: Option<String>,
    previous_attributes_json: Option<String>,
}

impl StoredHead {
    pub(super) fn head(&self) -> EventHead {
        EventHead {
            id: self.id.clone(),
            kind: self.kind,
            created: self.created,
            expires_at: self.expires_at,
        }
    }

    /// The event, from its head, its body's item (if it has one) and its
    /// pending count. `None` for a head whose body is gone: TTL deletes an
    /// expired event's items one by one, in no set order, so the head can
    /// outlive its body by a while, and the event is gone either way (its
    /// head and body are written in one transaction, so a live event always
    /// has both).
    pub(super) fn event(self, body: Option<StoredBody>, pending_webhooks: i64) -> Option<Event> {
        let (object_json, previous_attributes_json) = match (body, self.object_json) {
            (Some(b), _) => (b.object_json, b.previous_attributes_json),
            (None, Some(legacy)) => (legacy, self.previous_attributes_json),
            (None, None) => {
                tracing::warn!(event_id = %self.id, expires_at = self.expires_at, "an event's head without its body: gone");
                return None;
            }
        };
        Some(Event {
            id: self.id,
            mode: self.mode,
            kind: self.kind,
            created: self.created,
            object_json,
            previous_attributes_json,
            request: self.request,
            expires_at: self.expires_at,
            pending_webhooks,
            payment: None,
        })
    }
}

/// An event's body as stored: the object and its previous attributes.
#[serde_with::skip_serializing_none]
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct StoredBody {
    object_json: String,
    previous_attributes_json: Option<String>,
    /// TTL, the event's.
    expires_at: i64,
}

/// BatchGetItem's own limit of keys per call.
const BATCH_GET_MAX: usize = 100;

/// Rounds of BatchGetItem's unprocessed keys before giving up.
const BATCH_GET_ROUNDS: u32 = 5;

/// What a list page reads beside each event's head: its body and count.
#[derive(Default)]
struct Extras {
    body: Option<StoredBody>,
    pending: i64,
}

impl Store {
    /// An event's items, each `attribute_not_exists(pk)`: its head, with
    /// the list keys, its body, with none (`keys::event_body`), and for an
    /// event about a payment a copy of the head in that payment's timeline
    /// (`keys::event_timeline`).
    pub(super) fn event_put(&self, tenant: &Tenant, event: &Event) -> Result<Vec<TransactWriteItem>, StoreError> {
        let head = StoredHead {
            id: event.id.clone(),
            mode: event.mode,
            kind: event.kind,
            created: event.created,
            request: event.request.clone(),
            expires_at: event.expires_at,
            object_json: None,
            previous_attributes_json: None,
        };
        let body = StoredBody {
            object_json: event.object_json.clone(),
            previous_attributes_json: event.previous_attributes_json.clone(),
            expires_at: event.expires_at,
        };
        let keys = keys::event_item(tenant, &event.id, event.created, event.kind);
        let mut items = vec![
            put_item(self.put(to_item(&keys, &head)?, NOT_EXISTS)),
            put_item(self.put(to_item(&keys::event_body(tenant, &event.id), &body)?, NOT_EXISTS)),
        ];
        if let Some(payment) = &event.payment {
            let timeline = keys::event_timeline(tenant, &event.id, event.created, payment);
            let mut item = to_item(&timeline, &head)?;
            // What a timeline filtered by group (`payment.*`) matches on.
            item.insert("group".into(), AttributeValue::S(event.kind.group().into()));
            items.push(put_item(self.put(item, NOT_EXISTS)));
        }
        Ok(items)
    }

    /// An event, however old (for retries of its deliveries), with its
    /// `pending_webhooks`: its head, body and count, read at once.
    pub async fn get_event_any_age(&self, tenant: &Tenant, id: &EventId) -> Result<Option<Event>, StoreError> {
        let (head, body, pending) = futures::future::join3(
            self.get_as::<StoredHead>(&keys::event(tenant, id), "GetItem(event)"),
            self.get_as::<StoredBody>(&keys::event_body(tenant, id), "GetItem(event body)"),
            self.get(&keys::event_pending(tenant, id), "GetItem(event pending count)"),
        )
        .await;
        match head? {
            Some(head) => Ok(head.event(body?, pending?.as_ref().map_or(0, pending_count))),
            None => Ok(None),
        }
    }

    /// The body and `pending_webhooks` of each of `ids` (strongly
    /// consistent; BatchGetItem, a call per fifty events), for a page of a
    /// list. Keyed by event id.
    async fn event_extras(&self, tenant: &Tenant, ids: &[EventId]) -> Result<HashMap<String, Extras>, StoreError> {
        let mut extras: HashMap<String, Extras> = HashMap::new();
        for chunk in ids.chunks(BATCH_GET_MAX / 2) {
            let keys = chunk
                .iter()
                .flat_map(|id| [keys::event_body(tenant, id), keys::event_pending(tenant, id)])
                .map(|k| key_of(&k))
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
                    .map_err(|e| StoreError::dynamo("BatchGetItem(event bodies and pending counts)", e))?;
                for item in out
                    .responses
                    .unwrap_or_default()
                    .remove(&self.table)
                    .unwrap_or_default()
                {
                    let Some((_, event)) = item
                        .get(keys::PK)
                        .and_then(|v| v.as_s().ok())
                        .and_then(|pk| keys::event_of_pk(pk))
                    else {
                        continue;
                    };
                    let body_sk = keys::event_body(tenant, &event).sk;
                    let entry = extras.entry(event.to_string()).or_default();
                    if item.get(keys::SK).and_then(|v| v.as_s().ok()) == Some(&body_sk) {
                        entry.body = Some(from_item(item)?);
                    } else {
                        entry.pending = pending_count(&item);
                    }
                }
                match out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)) {
                    Some(rest) if !rest.keys.is_empty() => {
                        if round + 1 == BATCH_GET_ROUNDS {
                            return Err(StoreError::Throttled {
                                operation: "BatchGetItem(event bodies and pending counts)",
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
        Ok(extras)
    }

    /// An event, unless past its 30 days at `now` (gone even before TTL
    /// deletes it).
    pub async fn get_event(&self, tenant: &Tenant, id: &EventId, now: i64) -> Result<Option<Event>, StoreError> {
        let event = self.get_event_any_age(tenant, id).await?;
        Ok(event.filter(|e| e.expires_at > now))
    }

    /// One page of the tenant's events (of one type or group, or about one
    /// payment: its timeline) still retained at `now`, newest first. One Query per list shard (plus one
    /// GetItem for a cursor), then one BatchGetItem of the page's bodies and
    /// pending counts.
    pub async fn list_events(
        &self,
        tenant: &Tenant,
        filter: Option<EventTypeFilter>,
        payment: Option<&PaymentId>,
        created: &CreatedRange,
        window: &ListWindow<EventId>,
        now: i64,
    ) -> Result<(Page<Event>, ReadStats), StoreError> {
        // A timeline is one small partition: its type filter is a filter
        // on the entries' `type` (or `group`) attribute, not another index.
        let (index, residual) = match payment {
            Some(p) => (
                keys::payment_timeline_index(tenant, p),
                filter.map(|f| match f {
                    EventTypeFilter::Exact(t) => ("type", t.as_str().to_owned()),
                    EventTypeFilter::Group(g) => ("group", g.to_owned()),
                }),
            ),
            None => (keys::event_list_index(tenant, filter), None),
        };
        let retained = CreatedRange {
            gte: Some(
                created
                    .gte
                    .unwrap_or(0)
                    .max(now - crate::domain::event::RETENTION_SECONDS),
            ),
            ..*created
        };
        let (heads, mut stats) = self
            .list::<StoredHead, _>(tenant, index, residual, &retained, window)
            .await?;
        let mut extras = HashMap::new();
        if !heads.data.is_empty() {
            let ids: Vec<EventId> = heads.data.iter().map(|e| e.id.clone()).collect();
            extras = self.event_extras(tenant, &ids).await?;
            stats.get_items += u32::try_from(ids.len().div_ceil(BATCH_GET_MAX / 2)).unwrap_or(u32::MAX);
        }
        // Listed events are within their retention, so each has its body
        // (TTL deletes nothing before `expires_at`).
        let data = heads
            .data
            .into_iter()
            .filter_map(|head| {
                let Extras { body, pending } = extras.remove(head.id.as_str()).unwrap_or_default();
                head.event(body, pending)
            })
            .collect();
        Ok((
            Page {
                data,
                has_more: heads.has_more,
            },
            stats,
        ))
    }
}
