//! The list engine every list endpoint shares: one Query on a list index,
//! newest first, with cursors resolved to sort keys.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};
use serde::de::DeserializeOwned;

use super::{
    error::StoreError,
    item::{from_item, s, Item},
    keys, Store,
};
use crate::domain::{CreatedRange, Cursor, ListWindow, Page, Tenant};

/// What a read cost, for logs, tests and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ReadStats {
    pub get_items: u32,
    pub queries: u32,
    /// Items DynamoDB read (`ScannedCount`), before any filter.
    pub items_read: u32,
    /// Read capacity units consumed, as DynamoDB reports them.
    pub read_capacity: f64,
}

/// Which sort keys of a partition [`Store::query_all`] reads.
pub(super) enum SortKeys {
    All,
    BeginningWith(String),
}

impl Store {
    /// Every item of partition `pk` whose sort key `sort` admits, all pages,
    /// in sort-key order: for reads of a bounded partition (an account's
    /// keys, an event's deliveries), never for lists.
    pub(super) async fn query_all(
        &self,
        pk: String,
        sort: SortKeys,
        consistent: bool,
        what: &'static str,
    ) -> Result<Vec<Item>, StoreError> {
        let q = self
            .client
            .query()
            .table_name(&self.table)
            .expression_attribute_values(":pk", s(pk))
            .consistent_read(consistent);
        let q = match sort {
            SortKeys::All => q.key_condition_expression("pk = :pk"),
            SortKeys::BeginningWith(prefix) => q
                .key_condition_expression("pk = :pk AND begins_with(sk, :sk)")
                .expression_attribute_values(":sk", s(prefix)),
        };
        let mut pages = q.into_paginator().items().send();
        let mut out = Vec::new();
        while let Some(item) = pages.next().await {
            out.push(item.map_err(|e| StoreError::dynamo(what, e))?);
        }
        Ok(out)
    }

    /// The sort key of a list cursor: one GetItem of the object it names.
    async fn cursor_sort_key<Id: keys::ObjectKey>(
        &self,
        tenant: &Tenant,
        cursor: &Cursor<Id>,
    ) -> Result<String, StoreError> {
        let missing = || StoreError::CursorNotFound {
            param: cursor.param(),
            id: cursor.id().to_string(),
        };
        let item = self
            .get(&cursor.id().keys(tenant), "GetItem(list cursor)")
            .await?
            .ok_or_else(missing)?;
        let created = item
            .get("created")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<i64>().ok())
            .ok_or_else(missing)?;
        let id = item.get("id").and_then(|v| v.as_s().ok()).ok_or_else(missing)?;
        Ok(keys::created_sort_key(created, id))
    }

    /// One page of a list index, newest first: the shared engine of every
    /// list endpoint. `residual` holds equality filters on attributes the
    /// index does not key on.
    ///
    /// A sharded list (several partitions in `index.pks`) is read with one
    /// Query per partition, concurrently, each for as many items as the page
    /// needs (its limit and one more), and merged by sort key: sort keys are
    /// unique (created time, then the id), so the merge is the same total
    /// order one partition would give, `has_more` is exact and every item
    /// is listed once, whichever shard it is in.
    pub(super) async fn list<T: DeserializeOwned, Id: keys::ObjectKey>(
        &self,
        tenant: &Tenant,
        index: keys::ListIndex,
        residual: impl IntoIterator<Item = (&'static str, String)>,
        created: &CreatedRange,
        window: &ListWindow<Id>,
    ) -> Result<(Page<T>, ReadStats), StoreError> {
        self.list_within(tenant, index, residual, None, created, window).await
    }

    /// [`Self::list`], of the items whose number attribute `within.0` is
    /// greater than `within.1` and at most `within.2` (a filter too).
    pub(super) async fn list_within<T: DeserializeOwned, Id: keys::ObjectKey>(
        &self,
        tenant: &Tenant,
        index: keys::ListIndex,
        residual: impl IntoIterator<Item = (&'static str, String)>,
        within: Option<(&'static str, i64, i64)>,
        created: &CreatedRange,
        window: &ListWindow<Id>,
    ) -> Result<(Page<T>, ReadStats), StoreError> {
        let mut stats = ReadStats::default();
        let cursor_sort = match &window.cursor {
            Some(c) => {
                stats.get_items += 1;
                Some(self.cursor_sort_key(tenant, c).await?)
            }
            None => None,
        };
        if created.is_empty() {
            return Ok((
                Page {
                    data: vec![],
                    has_more: false,
                },
                stats,
            ));
        }
        let mut lower = created.gte.map(keys::created_lower);
        let mut upper = created.lte.map(keys::created_upper);
        let ascending = matches!(window.cursor, Some(Cursor::Before(_)));
        match (&window.cursor, &cursor_sort) {
            (Some(Cursor::After(_)), Some(s)) => upper = Some(upper.map_or(s.clone(), |u| u.min(s.clone()))),
            (Some(Cursor::Before(_)), Some(s)) => lower = Some(lower.map_or(s.clone(), |l| l.max(s.clone()))),
            _ => {}
        }
        let read = PartitionRead {
            index: &index,
            lower,
            upper,
            residual: residual.into_iter().collect(),
            within,
            ascending,
            skip: cursor_sort,
            want: window.limit + 1,
        };
        let reads = index.pks.iter().map(|pk| self.read_partition(&read, pk));
        let mut items: Vec<(String, Item)> = Vec::with_capacity(read.want * index.pks.len());
        for partition in futures::future::try_join_all(reads).await? {
            let (found, partition_stats) = partition;
            stats.queries += partition_stats.queries;
            stats.items_read += partition_stats.items_read;
            stats.read_capacity += partition_stats.read_capacity;
            items.extend(found);
        }
        if index.pks.len() > 1 {
            if ascending {
                items.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            } else {
                items.sort_unstable_by(|a, b| b.0.cmp(&a.0));
            }
        }
        let has_more = items.len() > window.limit;
        items.truncate(window.limit);
        if ascending {
            items.reverse();
        }
        let data = items
            .into_iter()
            .map(|(_, item)| from_item(item))
            .collect::<Result<_, _>>()?;
        Ok((Page { data, has_more }, stats))
    }

    /// Up to `read.want` items of one partition of a list index, in the
    /// read's direction, with their sort keys (the cursor's own item left
    /// out): as many Query pages as that takes.
    async fn read_partition(
        &self,
        read: &PartitionRead<'_>,
        pk: &str,
    ) -> Result<(Vec<(String, Item)>, ReadStats), StoreError> {
        let index = read.index;
        let key_condition = match (&read.lower, &read.upper) {
            (Some(_), Some(_)) => "#pk = :pk AND #sk BETWEEN :lower AND :upper",
            (Some(_), None) => "#pk = :pk AND #sk >= :lower",
            (None, Some(_)) => "#pk = :pk AND #sk <= :upper",
            (None, None) => "#pk = :pk",
        };
        let mut stats = ReadStats::default();
        let mut items = Vec::with_capacity(read.want + 1);
        let mut start_key = None;
        loop {
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index.index)
                .key_condition_expression(key_condition)
                .expression_attribute_names("#pk", index.pk_attr)
                .expression_attribute_values(":pk", s(pk))
                .scan_index_forward(read.ascending)
                .limit(i32::try_from(read.want + 1 - items.len()).unwrap_or(i32::MAX))
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .set_exclusive_start_key(start_key.take());
            if read.lower.is_some() || read.upper.is_some() {
                q = q.expression_attribute_names("#sk", index.sk_attr);
            }
            if let Some(l) = &read.lower {
                q = q.expression_attribute_values(":lower", s(l));
            }
            if let Some(u) = &read.upper {
                q = q.expression_attribute_values(":upper", s(u));
            }
            let mut filter: Vec<String> = (0..read.residual.len()).map(|i| format!("#r{i} = :r{i}")).collect();
            for (i, (attr, value)) in read.residual.iter().enumerate() {
                q = q
                    .expression_attribute_names(format!("#r{i}"), *attr)
                    .expression_attribute_values(format!(":r{i}"), s(value));
            }
            if let Some((attr, above, through)) = read.within {
                filter.push("#w > :above AND #w <= :through".into());
                q = q
                    .expression_attribute_names("#w", attr)
                    .expression_attribute_values(":above", AttributeValue::N(above.to_string()))
                    .expression_attribute_values(":through", AttributeValue::N(through.to_string()));
            }
            if !filter.is_empty() {
                q = q.filter_expression(filter.join(" AND "));
            }
            let out = q.send().await.map_err(|e| StoreError::dynamo("Query(list)", e))?;
            stats.queries += 1;
            stats.items_read += u32::try_from(out.scanned_count()).unwrap_or(0);
            stats.read_capacity += out.consumed_capacity().and_then(|c| c.capacity_units()).unwrap_or(0.0);
            for item in out.items.unwrap_or_default() {
                let Some(sort) = item.get(index.sk_attr).and_then(|v| v.as_s().ok()).cloned() else {
                    return Err(StoreError::Corrupt(format!("a list item in {pk} has no sort key")));
                };
                if read.skip.as_ref() == Some(&sort) {
                    continue;
                }
                items.push((sort, item));
            }
            start_key = out.last_evaluated_key;
            if items.len() >= read.want || start_key.is_none() {
                break;
            }
        }
        items.truncate(read.want);
        Ok((items, stats))
    }
}

/// One list page's read of each partition of its index: the sort-key
/// bounds, the filter, the direction, the cursor's sort key to leave out,
/// and how many items the page needs.
struct PartitionRead<'a> {
    index: &'a keys::ListIndex,
    lower: Option<String>,
    upper: Option<String>,
    residual: Vec<(&'static str, String)>,
    within: Option<(&'static str, i64, i64)>,
    ascending: bool,
    skip: Option<String>,
    want: usize,
}
