//! Balance transactions: written only inside the transaction of the change
//! that moves the money ([`super::Writes::moving`]), then read and listed.
//! And the balance they add up to (`docs/settlement.md`): the balance
//! writer applies each new transaction to a shard of its day's bucket,
//! exactly once; a fold moves the buckets whose day has come into the
//! stored available amount, which payouts are conditioned on.

use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem, Update};

use super::{
    error::{failed_conditions, transaction_conflict, StoreError},
    item::{from_item, key_of, n, s, to_item, Item, NOT_EXISTS},
    keys,
    transact::{put_item, Writes},
    ReadStats, Store,
};
use crate::domain::{
    balance::DAY, BalanceParts, BalanceTransaction, BalanceTransactionType, CreatedRange, Currency, Event, ListWindow,
    Mode, Page, Tenant, TxnId,
};

const LIST_SHARDS: &str = "list_shards";
/// Set on a balance transaction whose own change moves the available
/// amount (a payout's, [`BalanceTransactionType::settles_itself`]): the
/// balance writer puts it in no bucket, only in the ledger. (The writer
/// marks each transaction applied by an item of its own,
/// [`keys::balance_applied`].)
const APPLIED: &str = "applied";
const AMOUNT: &str = "amount";

/// A number attribute of an entry the writer adds to (0 if never added).
fn number(item: &Item, name: &str) -> i64 {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}
const CAPTURED: &str = "captured";
const REFUNDED: &str = "refunded";

/// How long the balance writer's mark of an applied transaction is kept:
/// a week, well past the stream's 24 hours.
const MARK_SECONDS: i64 = 7 * 86_400;

/// The most balance transactions one application writes (each is an item
/// of its transaction, besides at most one bucket per day they fall on).
pub const MAX_APPLIED_AT_ONCE: usize = 80;

/// The items of [`Store::apply_to_balance`]'s transaction for `txns`: a
/// mark each, and an update per day of buckets, of the ledger and of the
/// volume they touch. DynamoDB takes at most [`MAX_TRANSACTION_ITEMS`].
pub fn balance_items(txns: &[BalanceTransaction]) -> usize {
    use std::collections::BTreeSet;
    let buckets: BTreeSet<i64> = txns
        .iter()
        .filter(|t| !t.kind.settles_itself())
        .map(|t| t.day())
        .collect();
    let ledger: BTreeSet<i64> = txns.iter().map(|t| t.settlement_day()).collect();
    let volume: BTreeSet<i64> = txns
        .iter()
        .filter(|t| t.volume() != (0, 0))
        .map(|t| t.created.div_euclid(DAY))
        .collect();
    txns.len() + buckets.len() + ledger.len() + volume.len()
}

/// The most items one DynamoDB transaction takes.
pub const MAX_TRANSACTION_ITEMS: usize = 100;

/// What an application of balance transactions came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// All of them are in the balance now.
    All,
    /// Nothing was written: those at these positions were applied already
    /// (a redelivered record); the rest can be applied without them.
    AlreadyApplied(Vec<usize>),
}

/// A balance in the balance index: due when one of its buckets becomes
/// available, so that the balance sweep folds it. No TTL: it holds money
/// that cannot be paid out until it is folded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DueBalance {
    pub account_id: crate::domain::AccountId,
    pub mode: Mode,
    pub currency: String,
    pub due: i64,
    #[serde(default = "crate::domain::account::one_list_shard")]
    pub list_shards: u8,
    /// Written anew by every writer of the entry: the sweep removes only
    /// the entry it read.
    pub nonce: String,
}

impl DueBalance {
    pub fn tenant(&self) -> Tenant {
        Tenant::new(self.account_id.clone(), self.mode).with_list_shards(self.list_shards)
    }

    pub fn currency(&self) -> Option<Currency> {
        Currency::from_code(&self.currency)
    }
}

/// Which balance transactions a list returns.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BalanceTransactionFilter {
    /// The `pay_` or `re_` id that moved the money.
    pub source: Option<String>,
    pub kind: Option<BalanceTransactionType>,
    pub currency: Option<Currency>,
    /// Only those whose funds became available in this period (what an
    /// automatic payout settled).
    pub available_within: Option<crate::domain::payout::SettledPeriod>,
    pub created: CreatedRange,
}

impl Store {
    /// A new balance transaction, as an item of a change's transaction.
    pub(super) fn balance_transaction_put(
        &self,
        tenant: &Tenant,
        txn: &BalanceTransaction,
    ) -> Result<TransactWriteItem, StoreError> {
        let keys = keys::balance_transaction_item(tenant, &txn.id, txn.created, &txn.source, txn.kind.as_str());
        let mut item = to_item(&keys, txn)?;
        // The balance writer reads it from the stream, and rebuilds the
        // tenant from it; a payout's moves the available amount in its own
        // transaction, so the writer only adds it to the ledger.
        item.insert(LIST_SHARDS.into(), n(tenant.list_shards()));
        if txn.kind.settles_itself() {
            item.insert(APPLIED.into(), AttributeValue::Bool(true));
        }
        Ok(put_item(self.put(item, NOT_EXISTS)))
    }

    /// A new balance transaction from the table's stream (a record's new
    /// image), with its tenant: `None` for any other item, or one the
    /// balance writer does not apply (one that is applied already).
    pub fn balance_transaction_of_image(&self, image: serde_dynamo::Item) -> Option<(Tenant, BalanceTransaction)> {
        let mut image: Item = image.into();
        let sk = image.get(keys::SK).and_then(|v| v.as_s().ok())?;
        if sk != keys::BALANCE_TRANSACTION_SK {
            return None;
        }
        // One that moved the available amount itself (a payout's) still
        // counts in the settlement ledger.
        image.remove(APPLIED);
        let pk = image.get(keys::PK)?.as_s().ok()?;
        let (tenant, _): (Tenant, TxnId) = keys::tenant_object_of_pk(pk)?;
        let shards = image
            .remove(LIST_SHARDS)
            .and_then(|v| v.as_n().ok().and_then(|n| n.parse::<u8>().ok()))
            .unwrap_or(1);
        let txn: BalanceTransaction = from_item(image).ok()?;
        Some((tenant.with_list_shards(shards), txn))
    }

    /// Adds `txns` (all of `tenant`, in `currency`; at most
    /// [`MAX_APPLIED_AT_ONCE`]) to shard `shard` of their days' buckets and
    /// marks each applied (a new item, refused if it exists), in one
    /// transaction: each is counted exactly
    /// once however often it is applied. A clash with another writer of the
    /// same shard is [`StoreError::Conflict`] (retry, on another shard).
    pub async fn apply_to_balance(
        &self,
        tenant: &Tenant,
        currency: Currency,
        txns: &[BalanceTransaction],
        shard: u32,
    ) -> Result<Applied, StoreError> {
        // Buckets by the day the funds become available (not for those
        // that moved the available amount themselves); the ledger by their
        // settlement day, for all.
        let mut days: std::collections::BTreeMap<i64, i64> = Default::default();
        let mut ledger: std::collections::BTreeMap<i64, i64> = Default::default();
        // The gross volume by the day the money moved: captured, refunded.
        let mut volume: std::collections::BTreeMap<i64, (i64, i64)> = Default::default();
        for t in txns {
            if !t.kind.settles_itself() {
                *days.entry(t.day()).or_default() += t.net;
            }
            *ledger.entry(t.settlement_day()).or_default() += t.net;
            let (captured, refunded) = t.volume();
            if (captured, refunded) != (0, 0) {
                let day = volume.entry(t.created.div_euclid(DAY)).or_default();
                day.0 += captured;
                day.1 += refunded;
            }
        }
        // Its mark: a new small item beside it, refused if it exists. It
        // lives as long as the stream could deliver the record again (24
        // hours), and more.
        let expires = txns.iter().map(|t| t.created).max().unwrap_or(0) + MARK_SECONDS;
        let mut items = Vec::with_capacity(txns.len() + days.len() + ledger.len() + volume.len());
        for t in txns {
            let mut mark = key_of(&keys::balance_applied(tenant, &t.id));
            mark.insert(crate::store::schema::TTL_ATTRIBUTE.into(), n(expires));
            items.push(put_item(self.put(mark, NOT_EXISTS)));
        }
        for (day, net) in days {
            let update = self
                .update(
                    &keys::balance_bucket(tenant, currency.code(), day, shard),
                    format!("ADD {AMOUNT} :net SET currency = :c, #day = :day"),
                    None,
                    [(":net", n(net)), (":c", s(currency.code())), (":day", n(day))],
                )
                .expression_attribute_names("#day", "day")
                .build()
                .expect("key and expressions are set");
            items.push(TransactWriteItem::builder().update(update).build());
        }
        for (day, net) in ledger {
            let update = self
                .update(
                    &keys::ledger_entry(tenant, currency.code(), day, shard),
                    format!("ADD {AMOUNT} :net"),
                    None,
                    [(":net", n(net))],
                )
                .build()
                .expect("key and expressions are set");
            items.push(TransactWriteItem::builder().update(update).build());
        }
        for (day, (captured, refunded)) in volume {
            let update = self
                .update(
                    &keys::volume_entry(tenant, currency.code(), day, shard),
                    format!("ADD {CAPTURED} :captured, {REFUNDED} :refunded"),
                    None,
                    [(":captured", n(captured)), (":refunded", n(refunded))],
                )
                .build()
                .expect("key and expressions are set");
            items.push(TransactWriteItem::builder().update(update).build());
        }
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .client_request_token(uuid::Uuid::new_v4().to_string())
            .send()
            .await;
        match result {
            Ok(_) => Ok(Applied::All),
            Err(e) => match failed_conditions(&e) {
                Some(failed) if failed.iter().any(|f| *f) => Ok(Applied::AlreadyApplied(
                    failed
                        .iter()
                        .enumerate()
                        .filter(|(i, f)| **f && *i < txns.len())
                        .map(|(i, _)| i)
                        .collect(),
                )),
                _ if transaction_conflict(&e) => Err(StoreError::Conflict),
                _ => Err(StoreError::dynamo("TransactWriteItems(apply to balance)", e)),
            },
        }
    }

    /// An Update of one item, as the builder a transaction item is made of.
    fn update<'v>(
        &self,
        keys: &keys::Keys,
        expression: String,
        condition: Option<String>,
        values: impl IntoIterator<Item = (&'v str, AttributeValue)>,
    ) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
        let mut u = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_of(keys)))
            .update_expression(expression)
            .set_condition_expression(condition);
        for (k, v) in values {
            u = u.expression_attribute_values(k, v);
        }
        u
    }

    /// Makes sure the balance index holds an entry for `tenant`'s
    /// `currency` due at `due` (one PutItem; the same key for every writer
    /// of that due time).
    pub async fn ensure_balance_due(&self, tenant: &Tenant, currency: Currency, due: i64) -> Result<(), StoreError> {
        let entry = DueBalance {
            account_id: tenant.account_id.clone(),
            mode: tenant.mode,
            currency: currency.code().to_owned(),
            due,
            list_shards: tenant.list_shards(),
            nonce: uuid::Uuid::new_v4().simple().to_string(),
        };
        let item = to_item(&keys::balance_due(tenant, currency.code(), due), &entry)?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| StoreError::dynamo("PutItem(balance due)", e))?;
        Ok(())
    }

    /// Removes a balance's entry from the balance index, unless a writer
    /// wrote it again since it was read (then it stays, for the next run).
    pub async fn remove_balance_due(&self, due: &super::DueEntry<DueBalance>) -> Result<(), StoreError> {
        let tenant = due.entry.tenant();
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_of(&keys::balance_due(
                &tenant,
                &due.entry.currency,
                due.entry.due,
            ))))
            .condition_expression("nonce = :nonce")
            .expression_attribute_values(":nonce", s(&due.entry.nonce))
            .send()
            .await;
        super::error::applied(result, "DeleteItem(balance due)").map(drop)
    }

    /// The stored parts of `tenant`'s balance (one currency's, or all):
    /// one Query of its balance partition (strongly consistent for a fold).
    pub async fn balance_parts(
        &self,
        tenant: &Tenant,
        currency: Option<Currency>,
        consistent: bool,
    ) -> Result<(BalanceParts, Vec<Item>), StoreError> {
        let (partitions, prefix) = keys::balance_partitions(tenant, currency.map(|c| c.code()));
        let reads = partitions
            .iter()
            .map(|pk| self.query_partition(pk, &prefix, consistent));
        let mut parts = BalanceParts::default();
        let mut buckets = Vec::new();
        for items in futures::future::try_join_all(reads).await? {
            for item in items {
                let num = |name: &str| {
                    item.get(name)
                        .and_then(|v| v.as_n().ok())
                        .and_then(|v| v.parse::<i64>().ok())
                };
                let Some(currency) = item
                    .get("currency")
                    .and_then(|v| v.as_s().ok())
                    .and_then(|c| Currency::from_code(c))
                else {
                    return Err(StoreError::Corrupt("a balance item without a currency".into()));
                };
                let amount = num(AMOUNT).unwrap_or(0);
                match num("day") {
                    Some(day) => {
                        parts.buckets.push((currency, day, amount));
                        buckets.push(item);
                    }
                    None => parts.available.push((currency, amount)),
                }
            }
        }
        Ok((parts, buckets))
    }

    /// Every item of one balance partition under `prefix` (all: empty).
    async fn query_partition(&self, pk: &str, prefix: &str, consistent: bool) -> Result<Vec<Item>, StoreError> {
        let mut all = Vec::new();
        let mut start = None;
        loop {
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                .expression_attribute_values(":pk", s(pk))
                .consistent_read(consistent)
                .set_exclusive_start_key(start);
            q = if prefix.is_empty() {
                q.key_condition_expression("pk = :pk")
            } else {
                q.key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                    .expression_attribute_values(":prefix", s(prefix))
            };
            let out = q.send().await.map_err(|e| StoreError::dynamo("Query(balance)", e))?;
            all.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key.filter(|k| !k.is_empty()) {
                Some(next) => start = Some(next),
                None => return Ok(all),
            }
        }
    }

    /// Moves `currency`'s buckets whose day has come (at `now`) into its
    /// stored available amount: one transaction deleting each (conditioned
    /// on the amount read) and adding their sum, with the event `event`
    /// makes of the balance after it (`balance.available`; none if the
    /// buckets net to zero). Returns the amount moved (`None`: nothing was
    /// due). A writer that added to a bucket
    /// meanwhile, or a payout, is [`StoreError::Conflict`] (read again).
    pub async fn fold_balance(
        &self,
        tenant: &Tenant,
        currency: Currency,
        now: i64,
        event: impl FnOnce(&crate::domain::Balance) -> Event,
    ) -> Result<Option<i64>, StoreError> {
        let (parts, items) = self.balance_parts(tenant, Some(currency), true).await?;
        let due: Vec<usize> = (0..parts.buckets.len())
            .filter(|&i| parts.buckets[i].1 * DAY <= now)
            .take(MAX_APPLIED_AT_ONCE)
            .collect();
        if due.is_empty() {
            return Ok(None);
        }
        // The balance after the fold, for its event.
        let mut after = BalanceParts {
            available: parts.available.clone(),
            buckets: Vec::new(),
        };
        for (i, b) in parts.buckets.iter().enumerate() {
            if !due.contains(&i) {
                after.buckets.push(*b);
            }
        }
        let due: Vec<(&Item, i64)> = due.iter().map(|&i| (&items[i], parts.buckets[i].2)).collect();
        let moved: i64 = due.iter().map(|(_, a)| a).sum();
        let mut deletes = Vec::with_capacity(due.len() + 1);
        for (item, amount) in &due {
            let key = [keys::PK, keys::SK]
                .into_iter()
                .filter_map(|k| item.get(k).map(|v| (k.to_owned(), v.clone())))
                .collect();
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key))
                .condition_expression(format!("{AMOUNT} = :seen"))
                .expression_attribute_values(":seen", n(amount))
                .build()
                .expect("table, key and condition are set");
            deletes.push(TransactWriteItem::builder().delete(delete).build());
        }
        let add = self
            .update(
                &keys::balance_available(tenant, currency.code()),
                format!("ADD {AMOUNT} :moved SET currency = :c"),
                None,
                [(":moved", n(moved)), (":c", s(currency.code()))],
            )
            .build()
            .expect("key and expressions are set");
        deletes.push(TransactWriteItem::builder().update(add).build());
        after.available.push((currency, moved));
        let event = (moved != 0).then(|| event(&after.at(tenant.mode, now)));
        let writes = Writes {
            event: event.as_ref(),
            ..Writes::NONE
        };
        self.transact("TransactWriteItems(fold balance)", deletes, tenant, writes, |_| {
            StoreError::Conflict
        })
        .await?;
        Ok(Some(moved))
    }

    /// The net of `tenant`'s `currency` funds of settlement days `after`
    /// (exclusive; `None`: from the first) through `through`, from its
    /// ledger: one Query per ledger partition (strongly consistent), of as
    /// many entries as days times shards.
    pub async fn ledger_total(
        &self,
        tenant: &Tenant,
        currency: Currency,
        after: Option<i64>,
        through: i64,
    ) -> Result<i64, StoreError> {
        let first = after.map_or(0, |d| d + 1);
        let entries = self
            .day_entries(
                keys::ledger_partitions(tenant),
                currency,
                first,
                through,
                true,
                "Query(ledger)",
            )
            .await?;
        Ok(entries.iter().map(|(_, item)| number(item, AMOUNT)).sum())
    }

    /// `tenant`'s gross volume in `currency` for each UTC day `from`
    /// through `through` that has any: (day, captured, refunded), oldest
    /// first, from its volume entries (one Query per partition, days x 8
    /// entries; not strongly consistent: a chart).
    pub async fn volume(
        &self,
        tenant: &Tenant,
        currency: Currency,
        from: i64,
        through: i64,
    ) -> Result<Vec<(i64, i64, i64)>, StoreError> {
        let entries = self
            .day_entries(
                keys::volume_partitions(tenant),
                currency,
                from,
                through,
                false,
                "Query(volume)",
            )
            .await?;
        let mut days: std::collections::BTreeMap<i64, (i64, i64)> = Default::default();
        for (day, item) in entries {
            let entry = days.entry(day).or_default();
            entry.0 += number(&item, CAPTURED);
            entry.1 += number(&item, REFUNDED);
        }
        Ok(days.into_iter().map(|(d, (c, r))| (d, c, r)).collect())
    }

    /// Every per-day entry of `currency` (the ledger's, the volume's: sort
    /// key `{currency}#{day}#{shard}`) of days `first` through `through`, in
    /// each partition of `pks`, with its day: one Query per partition.
    async fn day_entries(
        &self,
        pks: Vec<String>,
        currency: Currency,
        first: i64,
        through: i64,
        consistent: bool,
        op: &'static str,
    ) -> Result<Vec<(i64, Item)>, StoreError> {
        let c = currency.code();
        let lower = keys::ledger_sort_key(c, first, "");
        let upper = keys::ledger_sort_key(c, through, "~");
        let mut out = Vec::new();
        for pk in pks {
            let mut pages = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :lower AND :upper")
                .expression_attribute_values(":pk", s(&pk))
                .expression_attribute_values(":lower", s(&lower))
                .expression_attribute_values(":upper", s(&upper))
                .consistent_read(consistent)
                .into_paginator()
                .items()
                .send();
            while let Some(item) = pages.next().await {
                let item = item.map_err(|e| StoreError::dynamo(op, e))?;
                let day = item
                    .get(keys::SK)
                    .and_then(|v| v.as_s().ok())
                    .and_then(|sk| sk.split('#').nth(1))
                    .and_then(|d| d.parse::<i64>().ok())
                    .ok_or_else(|| StoreError::Corrupt(format!("a day entry in {pk} has no day")))?;
                out.push((day, item));
            }
        }
        Ok(out)
    }

    pub async fn get_balance_transaction(
        &self,
        tenant: &Tenant,
        id: &TxnId,
    ) -> Result<Option<BalanceTransaction>, StoreError> {
        self.get_as(&keys::balance_transaction(tenant, id), "GetItem(balance transaction)")
            .await
    }

    /// One page of the tenant's balance transactions matching `filter`,
    /// newest first: one Query on the narrowest index (per shard of a
    /// sharded list), plus one GetItem for a cursor; a currency (and a type
    /// with a source) filters that list, and may take more than one Query.
    pub async fn list_balance_transactions(
        &self,
        tenant: &Tenant,
        filter: &BalanceTransactionFilter,
        window: &ListWindow<TxnId>,
    ) -> Result<(Page<BalanceTransaction>, ReadStats), StoreError> {
        let (index, residual) = keys::balance_transaction_list_index(tenant, filter.source.as_deref(), filter.kind);
        // The currency is no list's key: it filters the narrowest list.
        let residual = residual
            .map(|k| ("type", k.as_str().to_owned()))
            .into_iter()
            .chain(filter.currency.map(|c| ("currency", c.code().to_owned())));
        let within = filter.available_within.map(|p| ("available_on", p.after, p.through));
        self.list_within(tenant, index, residual, within, &filter.created, window)
            .await
    }
}
