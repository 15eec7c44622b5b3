//! The sweep indexes (holds, webhook retries): bounded pages of due entries
//! from one partition, each entry's removal by its own key (whichever
//! format it was written in), and each sweep's cursor: the last bucket it
//! swept whole, moved forward conditionally so that of two overlapping runs
//! only one moves it.

use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;

use super::{
    error::StoreError,
    item::{from_item, key_of, s, Item},
    keys::{self, SweepIndex},
    Store,
};

/// One partition of a sweep index (a bucket's shard, or a day partition of
/// the format before sharding). Opaque: built by the key builders only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepPartition(String);

impl std::fmt::Display for SweepPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where the next page of a partition starts (DynamoDB's
/// `LastEvaluatedKey`).
#[derive(Debug, Clone, PartialEq)]
pub struct PageStart(Item);

/// A due entry with the item it was read as, so that it is deleted under
/// its own key.
#[derive(Debug, Clone, PartialEq)]
pub struct DueEntry<T> {
    pub entry: T,
    item: Item,
}

impl<T> DueEntry<T> {
    /// The partition key the entry was read under.
    pub fn partition(&self) -> &str {
        self.item
            .get(keys::PK)
            .and_then(|v| v.as_s().ok())
            .map_or("", String::as_str)
    }

    fn key(&self) -> Item {
        [keys::PK, keys::SK]
            .into_iter()
            .filter_map(|k| self.item.get(k).map(|v| (k.to_owned(), v.clone())))
            .collect()
    }
}

/// One page of due entries, and where the next starts (if any).
#[derive(Debug)]
pub struct DuePage<T> {
    pub entries: Vec<DueEntry<T>>,
    pub next: Option<PageStart>,
}

impl Store {
    /// The partitions of bucket `bucket` of a sweep index, one per shard.
    pub fn sweep_partitions(&self, index: SweepIndex, bucket: i64) -> Vec<SweepPartition> {
        index.partitions(bucket).into_iter().map(SweepPartition).collect()
    }

    /// The partitions of the format before sharding that can still hold
    /// entries at `now` (swept until they are empty; see the README).
    pub fn legacy_sweep_partitions(&self, index: SweepIndex, now: i64) -> Vec<SweepPartition> {
        index.legacy_partitions(now).into_iter().map(SweepPartition).collect()
    }

    /// At most `limit` entries of `partition` due by `now`, oldest first,
    /// from `start`: one Query.
    pub async fn due_page<T: DeserializeOwned>(
        &self,
        partition: &SweepPartition,
        now: i64,
        start: Option<PageStart>,
        limit: i32,
    ) -> Result<DuePage<T>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk <= :due")
            .expression_attribute_values(":pk", s(&partition.0))
            .expression_attribute_values(":due", s(SweepIndex::due_by(now)))
            .set_exclusive_start_key(start.map(|p| p.0))
            .limit(limit)
            .send()
            .await
            .map_err(|e| StoreError::dynamo("Query(sweep)", e))?;
        let next = out.last_evaluated_key.filter(|k| !k.is_empty()).map(PageStart);
        let entries = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                Ok(DueEntry {
                    entry: from_item(item.clone())?,
                    item,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(DuePage { entries, next })
    }

    /// Removes a handled entry, under the key it was read with.
    pub async fn delete_due<T>(&self, due: &DueEntry<T>) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(due.key()))
            .send()
            .await
            .map_err(|e| StoreError::dynamo("DeleteItem(sweep entry)", e))?;
        Ok(())
    }

    /// Moves a due entry to the format before sharding (the day partition
    /// of `due_at`), as entries written before it are: for the fallback's
    /// tests and the sweep benchmark; nothing else writes that format.
    #[doc(hidden)]
    pub async fn move_to_legacy_format<T>(
        &self,
        index: SweepIndex,
        due: &DueEntry<T>,
        due_at: i64,
    ) -> Result<(), StoreError> {
        let mut item = due.item.clone();
        item.insert(keys::PK.into(), s(index.legacy_partition(due_at)));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| StoreError::dynamo("PutItem(legacy sweep entry)", e))?;
        self.delete_due(due).await
    }

    /// The last bucket the sweep of `index` swept whole (strongly
    /// consistent; `None` before its first run).
    pub async fn sweep_cursor(&self, index: SweepIndex) -> Result<Option<i64>, StoreError> {
        let item = self.get(&index.state(), "GetItem(sweep state)").await?;
        item.and_then(|i| i.get("swept").and_then(|v| v.as_n().ok()).map(|n| n.parse::<i64>()))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("sweep state: {e}")))
    }

    /// Moves the cursor of `index` from `from` (what this run read, or set
    /// last) to `to`. False if another run moved it meanwhile: this run
    /// then leaves the cursor alone.
    pub async fn advance_sweep_cursor(
        &self,
        index: SweepIndex,
        from: Option<i64>,
        to: i64,
    ) -> Result<bool, StoreError> {
        let req = self.client.put_item().table_name(&self.table).set_item(Some({
            let mut item = key_of(&index.state());
            item.insert("swept".into(), AttributeValue::N(to.to_string()));
            item
        }));
        let req = match from {
            None => req.condition_expression("attribute_not_exists(pk)"),
            Some(from) => req
                .condition_expression("swept = :from")
                .expression_attribute_values(":from", AttributeValue::N(from.to_string())),
        };
        super::error::applied(req.send().await, "PutItem(sweep state)")
    }

    /// Starts the sweeps' cursors (holds, retries, balances, payouts) at `now` on a new table (nothing can be
    /// due before it existed), so their first runs read from now rather
    /// than from the oldest bucket an entry could be in. A cursor that
    /// exists is left alone.
    pub async fn start_sweeps(&self, now: i64) -> Result<(), StoreError> {
        for index in [
            SweepIndex::Holds,
            SweepIndex::Retries,
            SweepIndex::Balances,
            SweepIndex::Payouts,
        ] {
            self.advance_sweep_cursor(index, None, index.bucket(now) - 1).await?;
        }
        Ok(())
    }
}
