//! Refunds: each write one transaction with its payment's refundable
//! balance and its entry in the refund index (the backstop that answers a
//! refund the stream did not).

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};

use super::{
    error::StoreError,
    item::{key_of, n, s, to_item, unchanged, Item, NOT_EXISTS},
    keys,
    transact::{put_item, Writes},
    ReadStats, Store,
};
use crate::domain::{
    refund::NETWORK_ANSWER_OVERDUE_SECONDS, AccountId, CreatedRange, ListWindow, Mode, Page, PaymentId, PaymentStatus,
    Refund, RefundId, RefundStatus, Tenant,
};

/// The attribute of a refund item that keeps the tenant's list shard count
/// when it was written (the stream and the sweep see items, not keys).
const LIST_SHARDS: &str = "list_shards";

/// A pending refund in the refund index: due when its network answer is
/// overdue. It has no TTL: a pending refund holds money, so its entry stays
/// until the refund is answered or cancelled (the transaction that does it
/// deletes the entry), however long the sweep keeps failing at it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DueRefund {
    pub account_id: AccountId,
    pub mode: Mode,
    pub refund_id: RefundId,
    pub due: i64,
    #[serde(default = "crate::domain::account::one_list_shard")]
    pub list_shards: u8,
}

impl DueRefund {
    pub fn tenant(&self) -> Tenant {
        Tenant::new(self.account_id.clone(), self.mode).with_list_shards(self.list_shards)
    }
}

/// When a refund's entry in the refund index is due.
fn due_at(refund: &Refund) -> i64 {
    refund.created + NETWORK_ANSWER_OVERDUE_SECONDS
}

/// Which refunds a list returns.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RefundFilter {
    pub payment: Option<PaymentId>,
    pub status: Option<RefundStatus>,
    pub created: CreatedRange,
}

/// Which way a refund moves its payment's balance.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Balance {
    /// A new refund takes its amount: only from a captured payment with at
    /// least that much refundable.
    Take,
    /// A failed or cancelled one gives it back.
    GiveBack,
}

impl Store {
    /// The transaction item that moves `refund`'s amount on its payment's
    /// `amount_refunded` and `amount_refundable` (stored, not derived:
    /// DynamoDB conditions cannot do arithmetic).
    fn payment_balance(&self, tenant: &Tenant, refund: &Refund, way: Balance) -> TransactWriteItem {
        let (update, condition) = match way {
            Balance::Take => (
                "SET amount_refunded = amount_refunded + :amount, amount_refundable = amount_refundable - :amount",
                "attribute_exists(pk) AND #status = :succeeded AND amount_refundable >= :amount",
            ),
            Balance::GiveBack => (
                "SET amount_refunded = amount_refunded - :amount, amount_refundable = amount_refundable + :amount",
                "attribute_exists(pk) AND amount_refunded >= :amount",
            ),
        };
        let mut builder = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_of(&keys::payment(tenant, &refund.payment_id))))
            .update_expression(update)
            .condition_expression(condition)
            .expression_attribute_values(":amount", AttributeValue::N(refund.amount.to_string()));
        if way == Balance::Take {
            builder = builder
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":succeeded", s(PaymentStatus::Succeeded.as_str()));
        }
        let update = builder.build().expect("table, key and expressions are set");
        TransactWriteItem::builder().update(update).build()
    }

    /// A refund's item: its keys (its status's list included) and the
    /// tenant's list shard count.
    fn refund_as_item(&self, tenant: &Tenant, refund: &Refund) -> Result<Item, StoreError> {
        let keys = keys::refund_item(
            tenant,
            &refund.id,
            refund.created,
            &refund.payment_id,
            refund.status.as_str(),
        );
        let mut item = to_item(&keys, refund)?;
        item.insert(LIST_SHARDS.into(), n(tenant.list_shards()));
        Ok(item)
    }

    /// Records a new (pending) `refund`, takes its amount off the payment's
    /// refundable balance and indexes it for the backstop sweep, in one
    /// transaction conditioned on the payment still being captured and still
    /// having at least that much refundable. Concurrent refunds can never
    /// take more than the payment has: the loser gets
    /// [`StoreError::RefundConflict`] and should re-read the payment.
    pub async fn insert_refund(&self, tenant: &Tenant, refund: &Refund, writes: Writes<'_>) -> Result<(), StoreError> {
        let mut items = vec![
            put_item(self.put(self.refund_as_item(tenant, refund)?, NOT_EXISTS)),
            self.payment_balance(tenant, refund, Balance::Take),
        ];
        if refund.status == RefundStatus::Pending {
            let due = DueRefund {
                account_id: tenant.account_id.clone(),
                mode: tenant.mode,
                refund_id: refund.id.clone(),
                due: due_at(refund),
                list_shards: tenant.list_shards(),
            };
            let entry = to_item(&keys::refund_due(tenant, &refund.id, due.due), &due)?;
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(entry))
                .build()
                .expect("table and item are set");
            items.push(put_item(put));
        }
        self.transact("TransactWriteItems(refund)", items, tenant, writes, |i| match i {
            0 => StoreError::AlreadyExists,
            _ => StoreError::RefundConflict,
        })
        .await
    }

    /// Writes a refund's change from `before` to `after` (its status, its
    /// metadata), conditioned on nobody having changed it since `before`
    /// was read (its revision): of two racing changes, such as a cancel and
    /// the network's answer, exactly one lands and the other gets
    /// [`StoreError::Conflict`]. A refund that failed or was cancelled gives
    /// its amount back to the payment in the same transaction; one that
    /// leaves `pending` leaves the refund index too.
    pub async fn replace_refund(
        &self,
        tenant: &Tenant,
        before: &Refund,
        after: &Refund,
        writes: Writes<'_>,
    ) -> Result<(), StoreError> {
        let revision = before.revision.to_string();
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(self.refund_as_item(tenant, after)?))
            .condition_expression(format!(
                "attribute_exists(pk) AND {}",
                unchanged("revision", ":revision", before.revision == 0)
            ))
            .expression_attribute_values(":revision", AttributeValue::N(revision))
            .build()
            .expect("table, item and condition are set");
        let mut items = vec![put_item(put)];
        let gives_back = before.gives_back(after);
        if gives_back {
            items.push(self.payment_balance(tenant, after, Balance::GiveBack));
        }
        if before.status == RefundStatus::Pending && after.status != RefundStatus::Pending {
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key_of(&keys::refund_due(tenant, &after.id, due_at(after)))))
                .build()
                .expect("table and key are set");
            items.push(TransactWriteItem::builder().delete(delete).build());
        }
        self.transact(
            "TransactWriteItems(refund change)",
            items,
            tenant,
            writes,
            |i| match i {
                0 => StoreError::Conflict,
                // The payment's balance does not hold the refund: never written
                // so by this code (the refund took it in its own transaction).
                1 if gives_back => StoreError::Corrupt(format!(
                    "payment {} does not hold refund {}'s amount",
                    after.payment_id, after.id
                )),
                // One of the change's new events (fresh ids: not seen).
                _ => StoreError::AlreadyExists,
            },
        )
        .await
    }

    pub async fn get_refund(&self, tenant: &Tenant, id: &RefundId) -> Result<Option<Refund>, StoreError> {
        self.get_as(&keys::refund(tenant, id), "GetItem(refund)").await
    }

    /// Puts every refund written before refunds had states (all of them
    /// `succeeded`, with no status list key) on its status list, shard 0
    /// (read at any shard count), so `GET /v1/refunds?status=` finds it.
    /// A Scan of the whole table: the admin tool's `refunds index-statuses`
    /// only, run once after deploying, never a request path. Each update is
    /// conditioned on the item still having no status key, so a run racing
    /// a change of the refund, or a second run, changes nothing. Returns
    /// how many it indexed.
    pub async fn index_refund_statuses(&self) -> Result<usize, StoreError> {
        let mut pages = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression(format!("{} = :sk AND attribute_not_exists({})", keys::SK, keys::GSI3PK))
            .expression_attribute_values(":sk", s(keys::REFUND_SK))
            .into_paginator()
            .items()
            .send();
        let mut indexed = 0;
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| StoreError::dynamo("Scan(refunds without a status key)", e))?;
            let pk = item
                .get(keys::PK)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            let Some((tenant, _)) = keys::tenant_object_of_pk::<RefundId>(&pk) else {
                return Err(StoreError::Corrupt(format!("a refund item with a malformed key: {pk}")));
            };
            let refund: Refund = super::item::from_item(item)?;
            let keys = keys::refund_item(
                &tenant,
                &refund.id,
                refund.created,
                &refund.payment_id,
                refund.status.as_str(),
            );
            let (gsi3pk, gsi3sk) = keys.gsi3.clone().expect("a refund has a status list key");
            let result = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key_of(&keys)))
                .update_expression(format!("SET {} = :pk, {} = :sk", keys::GSI3PK, keys::GSI3SK))
                .condition_expression(format!(
                    "attribute_exists(pk) AND attribute_not_exists({})",
                    keys::GSI3PK
                ))
                .expression_attribute_values(":pk", s(gsi3pk))
                .expression_attribute_values(":sk", s(gsi3sk))
                .send()
                .await;
            // Not applied: changed (and so indexed) since the Scan read it.
            if super::error::applied(result, "UpdateItem(refund status key)")? {
                indexed += 1;
            }
        }
        Ok(indexed)
    }

    /// The tenant (with the list shard count its item was written with) and
    /// the id of a refund item, from the table's stream; `None` for any
    /// other item.
    pub fn refund_of_image(&self, image: serde_dynamo::Item) -> Option<(Tenant, RefundId)> {
        let image: Item = image.into();
        if image.get(keys::SK).and_then(|v| v.as_s().ok()).map(String::as_str) != Some(keys::REFUND_SK) {
            return None;
        }
        let pk = image.get(keys::PK)?.as_s().ok()?;
        let (tenant, id) = keys::tenant_object_of_pk(pk)?;
        let shards = image
            .get(LIST_SHARDS)
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<u8>().ok())
            .unwrap_or(1);
        Some((tenant.with_list_shards(shards), id))
    }

    /// One page of the tenant's refunds matching `filter`, newest first.
    /// One Query on the narrowest index (per shard of a sharded list), plus
    /// one GetItem for a cursor; one payment's refunds in one status filter
    /// that payment's list.
    pub async fn list_refunds(
        &self,
        tenant: &Tenant,
        filter: &RefundFilter,
        window: &ListWindow<RefundId>,
    ) -> Result<(Page<Refund>, ReadStats), StoreError> {
        let (index, residual) = keys::refund_list_index(tenant, filter.payment.as_ref(), filter.status);
        let residual = residual.map(|s| ("status", s.as_str().to_owned()));
        self.list(tenant, index, residual, &filter.created, window).await
    }
}
