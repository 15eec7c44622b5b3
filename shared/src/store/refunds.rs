//! Refunds: each one transaction with its payment's refundable balance.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

use super::{
    error::StoreError,
    item::{key_of, s, to_item, NOT_EXISTS},
    keys,
    transact::{put_item, Writes},
    ReadStats, Store,
};
use crate::domain::{CreatedRange, ListWindow, Page, PaymentId, PaymentStatus, Refund, RefundId, Tenant};

impl Store {
    /// Records `refund` and takes its amount off the payment's refundable
    /// balance, in one transaction conditioned on the payment still being
    /// captured and still having at least that much refundable. Concurrent
    /// refunds can never take more than the payment has: the loser gets
    /// [`StoreError::RefundConflict`] and should re-read the payment.
    pub async fn insert_refund(&self, tenant: &Tenant, refund: &Refund, writes: Writes<'_>) -> Result<(), StoreError> {
        let keys = keys::refund_item(tenant, &refund.id, refund.created, &refund.payment_id);
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_of(&keys::payment(tenant, &refund.payment_id))))
            .update_expression(
                "SET amount_refunded = amount_refunded + :amount, amount_refundable = amount_refundable - :amount",
            )
            .condition_expression("attribute_exists(pk) AND #status = :succeeded AND amount_refundable >= :amount")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":amount", AttributeValue::N(refund.amount.to_string()))
            .expression_attribute_values(":succeeded", s(PaymentStatus::Succeeded.as_str()))
            .build()
            .expect("table, key and expressions are set");
        let items = vec![
            put_item(self.put(to_item(&keys, refund)?, NOT_EXISTS)),
            TransactWriteItem::builder().update(update).build(),
        ];
        self.transact("TransactWriteItems(refund)", items, tenant, writes, |i| match i {
            0 => StoreError::AlreadyExists,
            _ => StoreError::RefundConflict,
        })
        .await
    }

    pub async fn get_refund(&self, tenant: &Tenant, id: &RefundId) -> Result<Option<Refund>, StoreError> {
        self.get_as(&keys::refund(tenant, id), "GetItem(refund)").await
    }

    /// One page of the tenant's refunds (of one payment, if given), newest
    /// first. One Query (plus one GetItem for a cursor).
    pub async fn list_refunds(
        &self,
        tenant: &Tenant,
        payment: Option<&PaymentId>,
        created: &CreatedRange,
        window: &ListWindow<RefundId>,
    ) -> Result<(Page<Refund>, ReadStats), StoreError> {
        let index = keys::refund_list_index(tenant, payment);
        self.list(tenant, index, None, created, window).await
    }
}
