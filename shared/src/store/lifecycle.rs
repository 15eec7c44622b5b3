//! Payment methods, payment transitions and the hold index.

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem, Update};

use super::{from_item, key_of, keys, put_item, s, to_item, ReadStats, Store, StoreError, Writes};
use crate::domain::{
    CreatedRange, CustomerId, ListWindow, Mode, Page, Payment, PaymentId, PaymentMethod, PaymentMethodId,
    PaymentStatus, Tenant,
};

/// A manual-capture hold waiting in the hold index.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DueHold {
    pub account_id: crate::domain::AccountId,
    pub mode: Mode,
    pub payment_id: PaymentId,
    pub capture_before: i64,
    /// TTL: the index entry disappears a day after the hold expired.
    pub expires_at: i64,
}

impl DueHold {
    pub fn tenant(&self) -> Tenant {
        Tenant {
            account_id: self.account_id.clone(),
            mode: self.mode,
        }
    }
}

impl Store {
    pub async fn insert_payment_method(
        &self,
        tenant: &Tenant,
        pm: &PaymentMethod,
        writes: Writes<'_>,
    ) -> Result<(), StoreError> {
        let item = to_item(&keys::payment_method(tenant, &pm.id), pm)?;
        self.insert_new("PutItem(payment method)", item, tenant, writes).await
    }

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
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key_of(&keys::customer(tenant, customer))))
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(deleted)")
            .build()
            .expect("table, key and condition are set");
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_of(&keys::payment_method(tenant, &pm.id))))
            .update_expression("SET customer = :c, gsi2pk = :gpk, gsi2sk = :gsk")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(customer)")
            .expression_attribute_values(":c", s(customer.as_str()))
            .expression_attribute_values(":gpk", s(gsi2pk))
            .expression_attribute_values(":gsk", s(gsi2sk))
            .build()
            .expect("table, key and expressions are set");
        let items = vec![
            TransactWriteItem::builder().condition_check(check).build(),
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
            Err(e)
                if e.as_service_error()
                    .is_some_and(super::ConditionFailure::is_condition_failure) =>
            {
                Ok(None)
            }
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
        let cursor_keys = window.cursor.as_ref().map(|c| keys::payment_method(tenant, c.id()));
        self.list(index, None, &CreatedRange::default(), window, cursor_keys)
            .await
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
        let keys = keys::payment_item(
            tenant,
            &after.id,
            after.created,
            after.customer_id.as_ref(),
            after.status.as_str(),
        );
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
        self.transact("TransactWriteItems(payment transition)", items, tenant, writes, |_| {
            StoreError::Conflict
        })
        .await
    }

    /// Holds whose time ran out by `now`, from the hold index: one Query
    /// per day of the last `HOLD_SECONDS` plus a day. Entries whose payment
    /// was captured or cancelled meanwhile are returned too (the caller
    /// re-reads each payment); they vanish by TTL.
    pub async fn due_holds(&self, now: i64) -> Result<Vec<DueHold>, StoreError> {
        let today = now.div_euclid(86_400);
        let days = crate::domain::payment::HOLD_SECONDS / 86_400 + 1;
        let mut out = Vec::new();
        for day in (today - days)..=today {
            let mut pages = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk <= :now")
                .expression_attribute_values(":pk", s(keys::hold_day(day)))
                .expression_attribute_values(":now", AttributeValue::S(format!("{now:012}#~")))
                .into_paginator()
                .items()
                .send();
            while let Some(item) = pages.next().await {
                out.push(from_item(item.map_err(|e| StoreError::dynamo("Query(holds)", e))?)?);
            }
        }
        Ok(out)
    }
}
