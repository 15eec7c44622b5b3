//! Customers: versioned replaces, tombstones, lists by email.

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem};

use super::{
    error::{applied_or, StoreError},
    item::{key_of, to_item},
    keys,
    transact::{put_item, NewItem, Writes},
    ReadStats, Store,
};
use crate::domain::{CreatedRange, Customer, CustomerId, Event, ListWindow, Page, Tenant};

/// A customer's item keys: its own, the list index and, with an email, the
/// email index.
impl NewItem for Customer {
    const OPERATION: &'static str = "insert(customer)";

    fn keys(&self, tenant: &Tenant) -> keys::Keys {
        keys::customer_item(tenant, &self.id, self.created, self.email.as_ref().map(|e| e.as_str()))
    }
}

impl Store {
    /// Replaces a customer with its updated version, conditioned on nobody
    /// having changed it since it was read (`version`) and on it not being
    /// deleted. The list keys are rebuilt (the email may have changed).
    pub async fn replace_customer(
        &self,
        tenant: &Tenant,
        customer: &Customer,
        writes: Writes<'_>,
    ) -> Result<(), StoreError> {
        let keys = customer.keys(tenant);
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&keys, customer)?))
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(deleted) AND version = :read")
            .expression_attribute_values(
                ":read",
                AttributeValue::N(customer.version.saturating_sub(1).to_string()),
            )
            .build()
            .expect("table, item and condition are set");
        if writes.any() {
            return self
                .transact(
                    "TransactWriteItems(customer update)",
                    vec![put_item(put)],
                    tenant,
                    writes,
                    |_| StoreError::Conflict,
                )
                .await;
        }
        applied_or(
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(put.item))
                .condition_expression("attribute_exists(pk) AND attribute_not_exists(deleted) AND version = :read")
                .set_expression_attribute_values(put.expression_attribute_values)
                .send()
                .await,
            "PutItem(customer update)",
            StoreError::Conflict,
        )
    }

    /// Deletes a customer: it becomes a tombstone (`deleted`), leaves every
    /// list index, and no new payment can name it. Returns false if there
    /// was no live customer to delete.
    pub async fn delete_customer(
        &self,
        tenant: &Tenant,
        id: &CustomerId,
        event: Option<&Event>,
    ) -> Result<bool, StoreError> {
        // Out of the list and the email index.
        let tombstone = self.tombstone(&keys::customer(tenant, id), "gsi1pk, gsi1sk, gsi3pk, gsi3sk");
        let writes = Writes {
            event,
            also: None,
            balance: None,
            completion: None,
        };
        self.transact_applied(
            "TransactWriteItems(delete customer)",
            vec![tombstone],
            tenant,
            writes,
            || StoreError::Conflict,
        )
        .await
    }

    /// One page of the tenant's live customers (with one email, if given,
    /// compared case-insensitively), newest first. One Query (plus one
    /// GetItem for a cursor).
    pub async fn list_customers(
        &self,
        tenant: &Tenant,
        email: Option<&str>,
        created: &CreatedRange,
        window: &ListWindow<CustomerId>,
    ) -> Result<(Page<Customer>, ReadStats), StoreError> {
        let index = keys::customer_list_index(tenant, email);
        self.list(tenant, index, None, created, window).await
    }

    /// A transaction's check that the customer exists and is not deleted
    /// (for a write that names it: a payment, an attachment).
    pub(super) fn live_customer_check(&self, tenant: &Tenant, id: &CustomerId) -> TransactWriteItem {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key_of(&keys::customer(tenant, id))))
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(deleted)")
            .build()
            .expect("table, key and condition are set");
        TransactWriteItem::builder().condition_check(check).build()
    }

    pub async fn get_customer(&self, tenant: &Tenant, id: &CustomerId) -> Result<Option<Customer>, StoreError> {
        self.get_as(&keys::customer(tenant, id), "GetItem(customer)").await
    }
}
