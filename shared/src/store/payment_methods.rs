//! Payment methods: stored once tokenised, attached to and detached from
//! customers.

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

use super::{
    error::{ConditionFailure, StoreError},
    item::{from_item, key_of, s},
    keys,
    transact::{NewItem, Writes},
    ReadStats, Store,
};
use crate::domain::{CreatedRange, CustomerId, ListWindow, Page, PaymentMethod, PaymentMethodId, Tenant};

/// A payment method is in no list index of its own (a customer's list is
/// the attachment's keys).
impl NewItem for PaymentMethod {
    const OPERATION: &'static str = "insert(payment method)";

    fn keys(&self, tenant: &Tenant) -> keys::Keys {
        keys::payment_method(tenant, &self.id)
    }
}

impl Store {
    pub async fn get_payment_method(
        &self,
        tenant: &Tenant,
        id: &PaymentMethodId,
    ) -> Result<Option<PaymentMethod>, StoreError> {
        self.get_as(&keys::payment_method(tenant, id), "GetItem(payment method)")
            .await
    }

    /// Attaches a payment method to a live customer of the tenant, if it is
    /// attached to nobody: one transaction (the customer check and the
    /// update). Fails with [`StoreError::CustomerNotFound`] or
    /// [`StoreError::Conflict`] (missing, or attached already).
    pub async fn attach_payment_method(
        &self,
        tenant: &Tenant,
        pm: &PaymentMethod,
        customer: &CustomerId,
    ) -> Result<(), StoreError> {
        let (gsi2pk, gsi2sk) = keys::attached_payment_method(tenant, customer, pm.created, &pm.id);
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_of(&keys::payment_method(tenant, &pm.id))))
            .update_expression("SET customer = :c, gsi2pk = :gpk, gsi2sk = :gsk")
            .condition_expression(
                "attribute_exists(pk) AND attribute_not_exists(customer) AND (attribute_not_exists(consumed_by) OR consumed_by = :used)",
            )
            // The payment it paid, if any (the caller checked it was this customer's).
            .expression_attribute_values(":used", s(pm.consumed_by.as_ref().map_or("-", |p| p.as_str())))
            .expression_attribute_values(":c", s(customer.as_str()))
            .expression_attribute_values(":gpk", s(gsi2pk))
            .expression_attribute_values(":gsk", s(gsi2sk))
            .build()
            .expect("table, key and expressions are set");
        let items = vec![
            self.live_customer_check(tenant, customer),
            TransactWriteItem::builder().update(update).build(),
        ];
        self.transact("TransactWriteItems(attach)", items, tenant, Writes::NONE, |i| match i {
            0 => StoreError::CustomerNotFound(customer.clone()),
            _ => StoreError::Conflict,
        })
        .await
    }

    /// Detaches a payment method from `customer`. False if it was not
    /// attached to that customer.
    /// Detaches a payment method from `customer` and returns it as it now
    /// is, in one conditional UpdateItem (`ReturnValues = ALL_NEW`): no
    /// read first. None when it is not attached to that customer (or does
    /// not exist): the condition fails the same way.
    pub async fn detach_payment_method(
        &self,
        tenant: &Tenant,
        id: &PaymentMethodId,
        customer: &CustomerId,
    ) -> Result<Option<PaymentMethod>, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_of(&keys::payment_method(tenant, id))))
            .update_expression("REMOVE customer, gsi2pk, gsi2sk")
            .condition_expression("customer = :c")
            .expression_attribute_values(":c", s(customer.as_str()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => out
                .attributes
                .ok_or_else(|| StoreError::Corrupt("UpdateItem(detach) returned no attributes".into()))
                .and_then(from_item)
                .map(Some),
            Err(e) if e.as_service_error().is_some_and(ConditionFailure::is_condition_failure) => Ok(None),
            Err(e) => Err(StoreError::dynamo("UpdateItem(detach)", e)),
        }
    }

    pub async fn list_customer_payment_methods(
        &self,
        tenant: &Tenant,
        customer: &CustomerId,
        window: &ListWindow<PaymentMethodId>,
    ) -> Result<(Page<PaymentMethod>, ReadStats), StoreError> {
        let index = keys::customer_payment_methods_index(tenant, customer);
        self.list(tenant, index, None, &CreatedRange::default(), window).await
    }
}
