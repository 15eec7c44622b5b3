//! Payouts: created in one transaction with the conditioned debit of the
//! stored available balance (so no number of concurrent payouts can take
//! more than it holds), changed conditioned on their revision, indexed for
//! the simulated bank's sweep while they move; and the bank account they go
//! to.

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};

use super::{
    error::StoreError,
    item::{key_of, n, s, to_item, unchanged, Item, NOT_EXISTS},
    keys,
    transact::{put_item, Writes},
    ReadStats, Store,
};
use crate::domain::{
    BankAccount, CreatedRange, Currency, ListWindow, Mode, Page, Payout, PayoutId, PayoutStatus, Tenant,
};

const LIST_SHARDS: &str = "list_shards";

/// A payout in the payout index: due at its next move by the bank.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DuePayout {
    pub account_id: crate::domain::AccountId,
    pub mode: Mode,
    pub payout_id: PayoutId,
    pub due: i64,
    #[serde(default = "crate::domain::account::one_list_shard")]
    pub list_shards: u8,
}

impl DuePayout {
    pub fn tenant(&self) -> Tenant {
        Tenant::new(self.account_id.clone(), self.mode).with_list_shards(self.list_shards)
    }
}

/// An account with a daily payout schedule, in the automatic payout index.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AutoPayout {
    pub account_id: crate::domain::AccountId,
    pub mode: Mode,
    #[serde(default = "crate::domain::account::one_list_shard")]
    pub list_shards: u8,
    /// The last UTC day an automatic payout was made (set in its
    /// transaction, conditioned on being earlier: one a day).
    pub paid_day: Option<i64>,
}

impl AutoPayout {
    pub fn tenant(&self) -> Tenant {
        Tenant::new(self.account_id.clone(), self.mode).with_list_shards(self.list_shards)
    }
}

/// Which payouts a list returns.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PayoutFilter {
    pub status: Option<PayoutStatus>,
    pub created: CreatedRange,
}

impl Store {
    /// Sets the tenant's bank account (`paynectra-admin`): one PutItem of
    /// its masked form.
    pub async fn set_bank_account(&self, tenant: &Tenant, bank: &BankAccount) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&keys::bank_account(tenant), bank)?))
            .send()
            .await
            .map_err(|e| StoreError::dynamo("PutItem(bank account)", e))?;
        Ok(())
    }

    /// Sets the tenant's settlement terms (`paynectra-admin`).
    pub async fn set_settlement(&self, tenant: &Tenant, terms: &crate::domain::Settlement) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&keys::settlement(tenant), terms)?))
            .send()
            .await
            .map_err(|e| StoreError::dynamo("PutItem(settlement)", e))?;
        Ok(())
    }

    /// The tenant's settlement terms, if set (one GetItem, not strongly
    /// consistent: they change rarely, and the functions cache them).
    pub async fn settlement(&self, tenant: &Tenant) -> Result<Option<crate::domain::Settlement>, StoreError> {
        self.get_read(&keys::settlement(tenant), "GetItem(settlement)", false)
            .await?
            .map(super::item::from_item)
            .transpose()
    }

    /// Puts the tenant in the automatic payout index (`daily`), or takes it
    /// out (`false`): `paynectra-admin accounts settlement`.
    pub async fn set_automatic_payouts(&self, tenant: &Tenant, daily: bool) -> Result<(), StoreError> {
        let keys = keys::autopay(tenant);
        if daily {
            let entry = AutoPayout {
                account_id: tenant.account_id.clone(),
                mode: tenant.mode,
                list_shards: tenant.list_shards(),
                paid_day: None,
            };
            // Kept if there (its paid day stays), with the account's list
            // shard count of now: the run reads the ledger and the balance
            // with it.
            let result = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(to_item(&keys, &entry)?))
                .condition_expression(NOT_EXISTS)
                .send()
                .await;
            if !super::error::applied(result, "PutItem(automatic payouts)")? {
                self.grow_automatic_payout(tenant).await?;
            }
        } else {
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key_of(&keys)))
                .send()
                .await
                .map_err(|e| StoreError::dynamo("DeleteItem(automatic payouts)", e))?;
        }
        Ok(())
    }

    /// Moves the automatic payout entry of `tenant` (if it has one) to its
    /// list shard count, if that is more: an account's lists (and so its
    /// ledger and balance partitions) only ever grow.
    pub async fn grow_automatic_payout(&self, tenant: &Tenant) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_of(&keys::autopay(tenant))))
            .update_expression("SET list_shards = :shards")
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(list_shards) OR list_shards < :shards)",
            )
            .expression_attribute_values(":shards", n(tenant.list_shards()))
            .send()
            .await;
        super::error::applied(result, "UpdateItem(automatic payouts)").map(drop)
    }

    /// Every account of shard `shard` of the automatic payout index (one
    /// Query per page).
    pub async fn automatic_payouts(&self, shard: u32) -> Result<Vec<AutoPayout>, StoreError> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(keys::autopay_partition(shard)))
            .into_paginator()
            .items()
            .send();
        let mut all = Vec::new();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| StoreError::dynamo("Query(automatic payouts)", e))?;
            all.push(super::item::from_item(item)?);
        }
        Ok(all)
    }

    /// The tenant's bank account, if one is set.
    pub async fn bank_account(&self, tenant: &Tenant) -> Result<Option<BankAccount>, StoreError> {
        self.get_as(&keys::bank_account(tenant), "GetItem(bank account)").await
    }

    /// The transaction item that moves `delta` on the stored available
    /// amount of `currency`; a debit is conditioned on the amount covering
    /// it unless `settled` (an automatic payout's: the ledger proved the
    /// period's net was there at its end, and refunds since may have taken
    /// the available amount below it, as Stripe lets them).
    fn available_change(&self, tenant: &Tenant, currency: Currency, delta: i64, settled: bool) -> TransactWriteItem {
        let mut u = aws_sdk_dynamodb::types::Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_of(&keys::balance_available(tenant, currency.code()))))
            .update_expression("ADD amount :delta SET currency = :c")
            .expression_attribute_values(":delta", n(delta))
            .expression_attribute_values(":c", s(currency.code()));
        if delta < 0 && !settled {
            u = u
                .condition_expression("amount >= :needed")
                .expression_attribute_values(":needed", n(-delta));
        }
        TransactWriteItem::builder()
            .update(u.build().expect("table, key and expressions are set"))
            .build()
    }

    fn payout_as_item(&self, tenant: &Tenant, payout: &Payout) -> Result<Item, StoreError> {
        let keys = keys::payout_item(tenant, &payout.id, payout.created, payout.status.as_str());
        let mut item = to_item(&keys, payout)?;
        item.insert(LIST_SHARDS.into(), n(tenant.list_shards()));
        Ok(item)
    }

    /// The payout index entry of `payout`'s next move, if it has one.
    fn payout_due_put(&self, tenant: &Tenant, payout: &Payout) -> Result<Option<TransactWriteItem>, StoreError> {
        let Some(due) = payout.next_due() else {
            return Ok(None);
        };
        let entry = DuePayout {
            account_id: tenant.account_id.clone(),
            mode: tenant.mode,
            payout_id: payout.id.clone(),
            due,
            list_shards: tenant.list_shards(),
        };
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&keys::payout_due(tenant, &payout.id, due), &entry)?))
            .build()
            .expect("table and item are set");
        Ok(Some(put_item(put)))
    }

    /// Records a new (pending) payout and takes its amount off the stored
    /// available balance, in one transaction conditioned on that covering
    /// it: [`StoreError::BalanceInsufficient`] if it does not,
    /// [`StoreError::Conflict`] if another payout (or a fold) held the
    /// balance at that moment (retry).
    ///
    /// An automatic payout (`paid_day`: the last settlement day it settles)
    /// also moves the tenant's automatic payout entry to that day,
    /// conditioned on it being earlier: [`StoreError::Missing`] if that
    /// payout was made already (or the schedule was taken away). Its debit
    /// is not conditioned on the available amount covering it (the ledger
    /// proved the period's net; refunds since may have taken it below).
    pub async fn insert_payout(
        &self,
        tenant: &Tenant,
        payout: &Payout,
        writes: Writes<'_>,
        paid_day: Option<i64>,
    ) -> Result<(), StoreError> {
        let mut items = vec![
            put_item(self.put(self.payout_as_item(tenant, payout)?, NOT_EXISTS)),
            self.available_change(tenant, payout.currency, -payout.amount.get(), paid_day.is_some()),
        ];
        items.extend(self.payout_due_put(tenant, payout)?);
        let marker = paid_day.map(|day| {
            let update = aws_sdk_dynamodb::types::Update::builder()
                .table_name(&self.table)
                .set_key(Some(key_of(&keys::autopay(tenant))))
                .update_expression("SET paid_day = :day")
                .condition_expression("attribute_exists(pk) AND (attribute_not_exists(paid_day) OR paid_day < :day)")
                .expression_attribute_values(":day", n(day))
                .build()
                .expect("table, key and expressions are set");
            TransactWriteItem::builder().update(update).build()
        });
        let marker_at = marker.as_ref().map(|_| items.len());
        items.extend(marker);
        self.transact("TransactWriteItems(payout)", items, tenant, writes, |i| match i {
            0 => StoreError::AlreadyExists,
            1 => StoreError::BalanceInsufficient,
            i if Some(i) == marker_at => StoreError::Missing,
            _ => StoreError::AlreadyExists,
        })
        .await
    }

    /// Writes a payout's change from `before` to `after`, conditioned on its
    /// revision: of two racing changes (a cancel and the bank), exactly one
    /// lands, the other gets [`StoreError::Conflict`]. A failed or cancelled
    /// payout gives its amount back to the available balance in the same
    /// transaction; its index entry moves to its next move (or goes).
    pub async fn replace_payout(
        &self,
        tenant: &Tenant,
        before: &Payout,
        after: &Payout,
        writes: Writes<'_>,
    ) -> Result<(), StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(self.payout_as_item(tenant, after)?))
            .condition_expression(format!(
                "attribute_exists(pk) AND {}",
                unchanged("revision", ":revision", before.revision == 0)
            ))
            .expression_attribute_values(":revision", AttributeValue::N(before.revision.to_string()))
            .build()
            .expect("table, item and condition are set");
        let mut items = vec![put_item(put)];
        if before.gives_back(after) {
            items.push(self.available_change(tenant, after.currency, after.amount.get(), false));
        }
        if before.next_due() != after.next_due() {
            if let Some(due) = before.next_due() {
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_of(&keys::payout_due(tenant, &before.id, due))))
                    .build()
                    .expect("table and key are set");
                items.push(TransactWriteItem::builder().delete(delete).build());
            }
            items.extend(self.payout_due_put(tenant, after)?);
        }
        self.transact(
            "TransactWriteItems(payout change)",
            items,
            tenant,
            writes,
            |i| match i {
                0 => StoreError::Conflict,
                _ => StoreError::AlreadyExists,
            },
        )
        .await
    }

    pub async fn get_payout(&self, tenant: &Tenant, id: &PayoutId) -> Result<Option<Payout>, StoreError> {
        self.get_as(&keys::payout(tenant, id), "GetItem(payout)").await
    }

    /// One page of the tenant's payouts, newest first: one Query (all, or
    /// one status's), plus one GetItem for a cursor.
    pub async fn list_payouts(
        &self,
        tenant: &Tenant,
        filter: &PayoutFilter,
        window: &ListWindow<PayoutId>,
    ) -> Result<(Page<Payout>, ReadStats), StoreError> {
        let index = keys::payout_list_index(tenant, filter.status);
        self.list(tenant, index, std::iter::empty(), &filter.created, window)
            .await
    }
}
