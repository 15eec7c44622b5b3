//! Receipts: one item per receipt, written once (its id is its event's, so
//! a redelivered event finds the receipt it already made), listed from the
//! outbox (all of a tenant's, sharded) or by payment.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{
    error::{applied, StoreError},
    item::{key_of, s, to_item, NOT_EXISTS},
    keys, ReadStats, Store,
};
use crate::domain::{CreatedRange, ListWindow, Page, PaymentId, Receipt, ReceiptId, ReceiptStatus, Tenant};

/// What recording a receipt found.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    /// It is new: written now.
    New,
    /// It was recorded before (the event was handled before): as stored.
    Before(Box<Receipt>),
}

impl Store {
    /// Records `receipt` unless its event's receipt exists already.
    pub async fn record_receipt(&self, tenant: &Tenant, receipt: &Receipt) -> Result<Recorded, StoreError> {
        let keys = keys::receipt_item(tenant, &receipt.id, receipt.created, &receipt.payment_id);
        let written = applied(
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(to_item(&keys, receipt)?))
                .condition_expression(NOT_EXISTS)
                .send()
                .await,
            "PutItem(receipt)",
        )?;
        if written {
            return Ok(Recorded::New);
        }
        match self.get_receipt(tenant, &receipt.id).await? {
            Some(before) => Ok(Recorded::Before(Box::new(before))),
            None => Err(StoreError::Corrupt(format!(
                "receipt {} exists and cannot be read",
                receipt.id
            ))),
        }
    }

    /// What became of a live receipt: `sent` (with the mail service's
    /// message id) or `failed` (with why).
    pub async fn set_receipt_outcome(
        &self,
        tenant: &Tenant,
        id: &ReceiptId,
        status: ReceiptStatus,
        message_id: Option<&str>,
        failure: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut set = vec!["#status = :status".to_owned()];
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_of(&keys::receipt(tenant, id))))
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":status", s(status.as_str()));
        let mut remove = Vec::new();
        for (name, placeholder, value) in [
            ("message_id", ":message_id", message_id),
            ("failure_message", ":failure", failure),
        ] {
            match value {
                Some(v) => {
                    update = update.expression_attribute_values(placeholder, AttributeValue::S(v.to_owned()));
                    set.push(format!("{name} = {placeholder}"));
                }
                None => remove.push(name),
            }
        }
        let mut expression = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        let done = applied(
            update.update_expression(expression).send().await,
            "UpdateItem(receipt outcome)",
        )?;
        if done {
            Ok(())
        } else {
            Err(StoreError::Corrupt(format!("receipt {id} is gone")))
        }
    }

    pub async fn get_receipt(&self, tenant: &Tenant, id: &ReceiptId) -> Result<Option<Receipt>, StoreError> {
        self.get_as(&keys::receipt(tenant, id), "GetItem(receipt)").await
    }

    /// One page of the tenant's receipts (the outbox), or one payment's,
    /// newest first.
    pub async fn list_receipts(
        &self,
        tenant: &Tenant,
        payment: Option<&PaymentId>,
        created: &CreatedRange,
        window: &ListWindow<ReceiptId>,
    ) -> Result<(Page<Receipt>, ReadStats), StoreError> {
        let index = keys::receipt_list_index(tenant, payment);
        self.list(tenant, index, None, created, window).await
    }
}
