//! Payments: creation (checked against its customer), transitions
//! conditioned on the status read, lists, and the hold index's entries
//! (written when a hold starts, deleted when it ends).

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};

use super::{
    error::StoreError,
    item::{key_of, s, to_item},
    keys,
    transact::{put_item, NewItem, Writes},
    ReadStats, Store,
};
use crate::domain::{ListWindow, Mode, Page, Payment, PaymentFilter, PaymentId, PaymentStatus, Tenant};

/// A payment's item keys: its own and its list indexes (all, its
/// customer's, its status's).
fn payment_keys(tenant: &Tenant, payment: &Payment) -> keys::Keys {
    keys::payment_item(
        tenant,
        &payment.id,
        payment.created,
        payment.customer_id.as_ref(),
        payment.status.as_str(),
    )
}

/// A new payment that names a customer is written only while the customer
/// exists and is not deleted: the check and the write are one transaction.
impl NewItem for Payment {
    const OPERATION: &'static str = "insert(payment)";

    fn keys(&self, tenant: &Tenant) -> keys::Keys {
        payment_keys(tenant, self)
    }

    fn beside(&self, store: &Store, tenant: &Tenant) -> Vec<TransactWriteItem> {
        self.customer_id
            .iter()
            .map(|c| store.live_customer_check(tenant, c))
            .collect()
    }

    fn refused(&self, _: usize) -> StoreError {
        StoreError::CustomerNotFound(self.customer_id.clone().expect("only a payment's customer is checked"))
    }
}

impl Store {
    pub async fn get_payment(&self, tenant: &Tenant, id: &PaymentId) -> Result<Option<Payment>, StoreError> {
        self.get_as(&keys::payment(tenant, id), "GetItem(payment)").await
    }

    /// One page of the tenant's payments matching `filter`, newest first.
    ///
    /// Cost: one GetItem to resolve a cursor, then one Query on the
    /// narrowest index reading `limit + 2` items at most (the extra two tell
    /// `has_more` and skip the cursor itself). Only customer and status
    /// together add a filter, and may take more than one Query.
    pub async fn list_payments(
        &self,
        tenant: &Tenant,
        filter: &PaymentFilter,
        window: &ListWindow<PaymentId>,
    ) -> Result<(Page<Payment>, ReadStats), StoreError> {
        let (index, residual_status) = keys::payment_list_index(tenant, filter);
        let residual = residual_status.map(|s| ("status", s.as_str().to_owned()));
        self.list(tenant, index, residual, &filter.created, window).await
    }

    /// Writes a payment's transition from `before` to `after`, conditioned
    /// on the stored status still being `before`'s: of two racing
    /// transitions only one can win (the other gets
    /// [`StoreError::Conflict`]). A new hold is indexed for the scheduled
    /// expiry in the same transaction.
    pub async fn transition_payment(
        &self,
        tenant: &Tenant,
        before: &Payment,
        after: &Payment,
        writes: Writes<'_>,
    ) -> Result<(), StoreError> {
        let keys = payment_keys(tenant, after);
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&keys, after)?))
            .condition_expression("#status = :before")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":before", s(before.status.as_str()))
            .build()
            .expect("table, item and condition are set");
        let mut items = vec![put_item(put)];
        if let (PaymentStatus::RequiresCapture, Some(capture_before)) = (after.status, after.capture_before) {
            if before.status != PaymentStatus::RequiresCapture {
                let hold = DueHold {
                    account_id: tenant.account_id.clone(),
                    mode: tenant.mode,
                    payment_id: after.id.clone(),
                    capture_before,
                    expires_at: capture_before + 86_400,
                    list_shards: tenant.list_shards(),
                };
                let item = to_item(&keys::hold(tenant, &after.id, capture_before), &hold)?;
                let put = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(item))
                    .build()
                    .expect("table and item are set");
                items.push(put_item(put));
            }
        }
        // A hold that ends (captured, cancelled, expired) leaves the hold
        // index in the same transaction: the sweep never reads it. An entry
        // of the format before sharding is not here; the sweep deletes it.
        if let (PaymentStatus::RequiresCapture, Some(capture_before)) = (before.status, before.capture_before) {
            if after.status != PaymentStatus::RequiresCapture {
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_of(&keys::hold(tenant, &after.id, capture_before))))
                    .build()
                    .expect("table and key are set");
                items.push(TransactWriteItem::builder().delete(delete).build());
            }
        }
        // A confirmation marks its payment method used by this payment (the
        // first one only): one attached to nobody serves no other payment,
        // and neither does one detached after it paid.
        let confirmed = match &after.payment_method {
            Some(pm)
                if matches!(before.status, PaymentStatus::Pending | PaymentStatus::Failed)
                    && matches!(
                        after.status,
                        PaymentStatus::Succeeded | PaymentStatus::RequiresCapture | PaymentStatus::Failed
                    ) =>
            {
                Some(pm)
            }
            _ => None,
        };
        if let Some(pm) = confirmed {
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key_of(&keys::payment_method(tenant, pm))))
                .update_expression("SET consumed_by = if_not_exists(consumed_by, :payment)")
                .condition_expression(
                    "attribute_exists(pk) AND (attribute_exists(customer) OR attribute_not_exists(consumed_by) OR consumed_by = :payment)",
                )
                .expression_attribute_values(":payment", s(after.id.as_str()))
                .build()
                .expect("table, key and expressions are set");
            items.push(TransactWriteItem::builder().update(update).build());
        }
        let consumed_at = confirmed.map(|_| items.len() - 1);
        self.transact("TransactWriteItems(payment transition)", items, tenant, writes, |i| {
            if Some(i) == consumed_at {
                StoreError::PaymentMethodConsumed
            } else {
                StoreError::Conflict
            }
        })
        .await
    }
}

impl Store {
    /// Writes what an update may change on a payment (description,
    /// metadata, receipt email) from `before` to `after`: one UpdateItem of
    /// those attributes only, conditioned on each still being as read (a
    /// racing update gets [`StoreError::Conflict`]). Whatever else moves at
    /// the same time (a refund's amounts, a transition) is not touched.
    pub async fn update_payment_details(
        &self,
        tenant: &Tenant,
        before: &Payment,
        after: &Payment,
        writes: Writes<'_>,
    ) -> Result<(), StoreError> {
        // Empty metadata is not stored (as `to_item` leaves it out).
        let value = |m: &crate::domain::Metadata| -> Result<Option<AttributeValue>, StoreError> {
            if m.is_empty() {
                return Ok(None);
            }
            serde_dynamo::to_attribute_value(m)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(format!("metadata: {e}")))
        };
        let fields: [(&str, Option<AttributeValue>, Option<AttributeValue>); 3] = [
            (
                "description",
                before.description.as_deref().map(s),
                after.description.as_deref().map(s),
            ),
            (
                "receipt_email",
                before.receipt_email.as_ref().map(|e| s(e.as_str())),
                after.receipt_email.as_ref().map(|e| s(e.as_str())),
            ),
            ("metadata", value(&before.metadata)?, value(&after.metadata)?),
        ];
        let mut builder = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_of(&keys::payment(tenant, &after.id))));
        let (mut set, mut remove, mut condition) = (Vec::new(), Vec::new(), vec!["attribute_exists(pk)".to_owned()]);
        for (i, (name, old, new)) in fields.into_iter().enumerate() {
            builder = builder.expression_attribute_names(format!("#f{i}"), name);
            match old {
                Some(v) => {
                    condition.push(format!("#f{i} = :old{i}"));
                    builder = builder.expression_attribute_values(format!(":old{i}"), v);
                }
                None => condition.push(format!("attribute_not_exists(#f{i})")),
            }
            match new {
                Some(v) => {
                    set.push(format!("#f{i} = :new{i}"));
                    builder = builder.expression_attribute_values(format!(":new{i}"), v);
                }
                None => remove.push(format!("#f{i}")),
            }
        }
        let mut update = String::new();
        if !set.is_empty() {
            update.push_str(&format!("SET {}", set.join(", ")));
        }
        if !remove.is_empty() {
            update.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        let update = builder
            .update_expression(update.trim())
            .condition_expression(condition.join(" AND "))
            .build()
            .expect("table, key and expressions are set");
        self.transact(
            "TransactWriteItems(payment update)",
            vec![TransactWriteItem::builder().update(update).build()],
            tenant,
            writes,
            |_| StoreError::Conflict,
        )
        .await
    }

    /// True if `due` is under the key a hold's end deletes (the current
    /// format): the transition that cancelled it removed it already.
    pub fn is_current_hold_entry(&self, due: &super::DueEntry<DueHold>) -> bool {
        let h = &due.entry;
        due.partition() == keys::hold(&h.tenant(), &h.payment_id, h.capture_before).pk
    }
}

/// A manual-capture hold waiting in the hold index.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DueHold {
    pub account_id: crate::domain::AccountId,
    pub mode: Mode,
    pub payment_id: PaymentId,
    pub capture_before: i64,
    /// TTL: the index entry disappears a day after the hold expired.
    pub expires_at: i64,
    /// The tenant's list shard count when the hold began, so the sweep's
    /// cancellation spreads its list writes as the API's would (a count
    /// grown since is safe too: shard 0 up to any smaller count is read).
    #[serde(default = "crate::domain::account::one_list_shard")]
    pub list_shards: u8,
}

impl DueHold {
    pub fn tenant(&self) -> Tenant {
        Tenant::new(self.account_id.clone(), self.mode).with_list_shards(self.list_shards)
    }
}
