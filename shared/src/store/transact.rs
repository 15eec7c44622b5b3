//! Writes: one conditional PutItem, or one TransactWriteItems that carries a
//! change's event and its idempotency completion with it; and the reads by
//! key every resource uses.

use aws_sdk_dynamodb::{
    error::DisplayErrorContext,
    operation::put_item::PutItemError,
    types::{AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update},
};
use serde::de::DeserializeOwned;

use super::{
    error::{applied_or, failed_conditions, transaction_conflict, transaction_throttled, StoreError},
    item::{from_item, key_of, to_item, Item, NOT_EXISTS},
    keys::Keys,
    Completion, Store,
};
use crate::domain::{BalanceTransaction, Event, Tenant};

/// What a change writes besides itself, in the same transaction: its event,
/// and the completion of the request's idempotency record.
#[derive(Debug, Clone, Copy, Default)]
pub struct Writes<'a> {
    pub event: Option<&'a Event>,
    /// A second event of the same change (`refund.failed` beside
    /// `refund.updated`).
    pub also: Option<&'a Event>,
    /// The balance transaction of a movement of money (a capture, a
    /// refund, a refund's failure).
    pub balance: Option<&'a BalanceTransaction>,
    pub completion: Option<&'a Completion>,
}

impl<'a> Writes<'a> {
    pub const NONE: Writes<'static> = Writes {
        event: None,
        also: None,
        balance: None,
        completion: None,
    };

    pub fn new(event: &'a Event, completion: Option<&'a Completion>) -> Self {
        Self {
            event: Some(event),
            also: None,
            balance: None,
            completion,
        }
    }

    /// These writes, and the balance transaction `balance` too.
    pub fn moving(self, balance: Option<&'a BalanceTransaction>) -> Self {
        Self { balance, ..self }
    }

    /// These writes, and `event` too.
    pub fn and(self, event: Option<&'a Event>) -> Self {
        Self { also: event, ..self }
    }

    pub(super) fn any(&self) -> bool {
        self.event.is_some() || self.also.is_some() || self.balance.is_some() || self.completion.is_some()
    }
}

/// An object the store writes as a new item with [`Store::insert`]: its
/// keys, and what the same write checks or changes beside it (that its
/// customer is live, a count). Each resource's store file implements it.
pub trait NewItem: serde::Serialize {
    /// The write's name in errors and logs.
    const OPERATION: &'static str;

    fn keys(&self, tenant: &Tenant) -> Keys;

    /// Checks and changes made in the same transaction; none by default
    /// (a single conditional PutItem, unless the change carries an event or
    /// a completion).
    fn beside(&self, _store: &Store, _tenant: &Tenant) -> Vec<TransactWriteItem> {
        Vec::new()
    }

    /// The error when the `i`th of [`Self::beside`] refuses (counted from
    /// 1: the new item itself is 0, and refuses as already existing).
    fn refused(&self, _i: usize) -> StoreError {
        StoreError::AlreadyExists
    }
}

pub(super) fn put_item(put: Put) -> TransactWriteItem {
    TransactWriteItem::builder().put(put).build()
}

impl Store {
    /// Makes a live item a tombstone (`deleted`) that leaves the indexes
    /// whose keys `index_keys` names (`"gsi1pk, gsi1sk"`), so it drops out
    /// of every list and every condition that asks for a live item refuses
    /// it. As a transaction item, refused if there was no live item.
    pub(super) fn tombstone(&self, keys: &Keys, index_keys: &str) -> TransactWriteItem {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_of(keys)))
            .update_expression(format!("SET deleted = :true REMOVE {index_keys}"))
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(deleted)")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .build()
            .expect("table, key and expressions are set");
        TransactWriteItem::builder().update(update).build()
    }

    pub(super) fn put(&self, item: Item, condition: &str) -> Put {
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .build()
            .expect("table, item and condition are set")
    }

    /// One TransactWriteItems. `failure` names the error for the first item
    /// whose condition failed; a completion of an idempotency record, if
    /// any, is the last item, and its failure is
    /// [`StoreError::IdempotencyLost`]. A clash with a concurrent transaction
    /// on the same items is [`StoreError::Conflict`] (safe to retry).
    pub(super) async fn transact(
        &self,
        operation: &'static str,
        mut items: Vec<TransactWriteItem>,
        tenant: &Tenant,
        writes: Writes<'_>,
        failure: impl Fn(usize) -> StoreError,
    ) -> Result<(), StoreError> {
        for e in writes.event.into_iter().chain(writes.also) {
            items.extend(self.event_put(tenant, e)?);
        }
        if let Some(b) = writes.balance {
            items.push(self.balance_transaction_put(tenant, b)?);
        }
        let business = items.len();
        if let Some(c) = writes.completion {
            items.push(self.completion_item(tenant, c));
        }
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            // The SDK retries a transaction whose response was lost with the
            // same token, so a commit is not retried into a false failure.
            .client_request_token(uuid::Uuid::new_v4().to_string())
            .send()
            .await
            .map_err(|e| match failed_conditions(&e) {
                Some(failed) if failed.iter().any(|f| *f) => {
                    let first = failed.iter().position(|f| *f).unwrap_or(0);
                    if first >= business {
                        StoreError::IdempotencyLost
                    } else {
                        failure(first)
                    }
                }
                _ if transaction_conflict(&e) => StoreError::Conflict,
                _ if transaction_throttled(&e) => StoreError::Throttled {
                    operation,
                    message: DisplayErrorContext(&e).to_string(),
                },
                _ => StoreError::dynamo(operation, e),
            })?;
        Ok(())
    }

    /// [`Self::transact`] for a change that may find nothing to do: `false`
    /// when it was refused with `refused`'s error (a condition that did not
    /// hold), any other error as it is.
    pub(super) async fn transact_applied(
        &self,
        operation: &'static str,
        items: Vec<TransactWriteItem>,
        tenant: &Tenant,
        writes: Writes<'_>,
        refused: fn() -> StoreError,
    ) -> Result<bool, StoreError> {
        let refusal = std::mem::discriminant(&refused());
        match self.transact(operation, items, tenant, writes, |_| refused()).await {
            Ok(()) => Ok(true),
            Err(e) if std::mem::discriminant(&e) == refusal => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Stores a new object, with what [`NewItem::beside`] checks and changes
    /// beside it, in one write. An existing item is
    /// [`StoreError::AlreadyExists`]; a refusal beside it is the object's
    /// [`NewItem::refused`].
    pub async fn insert<T: NewItem>(&self, tenant: &Tenant, new: &T, writes: Writes<'_>) -> Result<(), StoreError> {
        let item = to_item(&new.keys(tenant), new)?;
        let beside = new.beside(self, tenant);
        if beside.is_empty() {
            return self.insert_new(T::OPERATION, item, tenant, writes).await;
        }
        let items = std::iter::once(put_item(self.put(item, NOT_EXISTS)))
            .chain(beside)
            .collect();
        self.transact(T::OPERATION, items, tenant, writes, |i| match i {
            0 => StoreError::AlreadyExists,
            i => new.refused(i),
        })
        .await
    }

    /// Writes a new item (`attribute_not_exists(pk)`): a single PutItem, or
    /// a transaction when the change carries an event or an idempotency
    /// completion. An existing item is [`StoreError::AlreadyExists`].
    async fn insert_new(
        &self,
        operation: &'static str,
        item: Item,
        tenant: &Tenant,
        writes: Writes<'_>,
    ) -> Result<(), StoreError> {
        if writes.any() {
            let items = vec![put_item(self.put(item, NOT_EXISTS))];
            return self
                .transact(operation, items, tenant, writes, |_| StoreError::AlreadyExists)
                .await;
        }
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item.clone()))
            .condition_expression(NOT_EXISTS)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        // The SDK retries an attempt that timed out, and that attempt's
        // write may have landed: the retry then finds the item it wrote
        // itself. A fresh id's item equal to ours is ours, not a clash.
        if let Err(e) = &result {
            let found = e.as_service_error().and_then(|se| match se {
                PutItemError::ConditionalCheckFailedException(c) => c.item(),
                _ => None,
            });
            if found.is_some_and(|old| *old == item) {
                tracing::warn!(operation, "a retried put found its own earlier write: applied");
                return Ok(());
            }
        }
        applied_or(result, operation, StoreError::AlreadyExists)
    }

    /// GetItem (strongly consistent), mapped to `T`.
    pub(super) async fn get_as<T: DeserializeOwned>(
        &self,
        keys: &Keys,
        operation: &'static str,
    ) -> Result<Option<T>, StoreError> {
        self.get(keys, operation).await?.map(from_item).transpose()
    }

    /// One strongly consistent GetItem.
    pub(super) async fn get(&self, keys: &Keys, operation: &'static str) -> Result<Option<Item>, StoreError> {
        self.get_read(keys, operation, true).await
    }

    /// One GetItem, strongly consistent or not (half the read units, and a
    /// replica may answer).
    pub(super) async fn get_read(
        &self,
        keys: &Keys,
        operation: &'static str,
        consistent: bool,
    ) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_of(keys)))
            .consistent_read(consistent)
            .send()
            .await
            .map_err(|e| StoreError::dynamo(operation, e))?;
        Ok(out.item)
    }
}
