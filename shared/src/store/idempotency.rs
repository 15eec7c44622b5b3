//! Idempotency records: claimed with one conditional write, completed in
//! the same transaction as the endpoint's own write where it has one.

use aws_sdk_dynamodb::{
    operation::put_item::PutItemError,
    types::{AttributeValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update},
};

use super::{
    error::applied_or,
    item::{from_item, key_of, s, to_item},
    keys, Store, StoreError,
};
use crate::domain::Tenant;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdempotencyState {
    InFlight,
    Completed,
}

/// What we keep of a request made with an `Idempotency-Key`.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IdempotencyRecord {
    /// SHA-256 (hex) of the client's key.
    pub key_hash: String,
    /// SHA-256 (hex) of the method, path and canonical body.
    pub fingerprint: String,
    /// `POST /v1/payments`, for messages.
    pub endpoint: String,
    pub state: IdempotencyState,
    /// Which claim owns the record: only its owner may complete it.
    pub token: String,
    pub created: i64,
    /// DynamoDB's TTL deletes the record after this; until then it is
    /// treated as expired past this time anyway.
    pub expires_at: i64,
    /// An in-flight claim older than this was abandoned (its function died)
    /// and may be claimed again.
    pub lock_expires_at: i64,
    pub status_code: Option<u16>,
    pub body: Option<String>,
}

/// The response to record against a claimed key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    pub key_hash: String,
    pub token: String,
    pub status_code: u16,
    pub body: String,
}

impl Store {
    /// Claims a key: one PutItem that succeeds only if no live record holds
    /// the key (none, expired, or an abandoned in-flight claim). If another
    /// record holds it, that record is returned (from the failed write
    /// itself, so a replay costs no extra read).
    pub async fn claim_idempotency_key(
        &self,
        tenant: &Tenant,
        record: &IdempotencyRecord,
        now: i64,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let keys = keys::idempotency(tenant, &record.key_hash);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&keys, record)?))
            .condition_expression(
                "attribute_not_exists(pk) OR expires_at < :now OR (#state = :in_flight AND lock_expires_at < :now)",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .expression_attribute_values(":in_flight", s("in_flight"))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(None),
            Err(e) => match e.as_service_error() {
                Some(se) if se.is_conditional_check_failed_exception() => {
                    let returned = match se {
                        PutItemError::ConditionalCheckFailedException(c) => c.item().cloned(),
                        _ => None,
                    };
                    let held = match returned {
                        Some(item) => item,
                        None => self
                            .get(&keys, "GetItem(idempotency)")
                            .await?
                            .ok_or(StoreError::IdempotencyLost)?,
                    };
                    Ok(Some(from_item(held)?))
                }
                _ => Err(StoreError::dynamo("PutItem(idempotency claim)", e)),
            },
        }
    }

    /// Gives a claimed key up (its request answered "retry"): the claim's
    /// lock is expired at once, so the next request with the key runs.
    pub async fn release_idempotency_key(
        &self,
        tenant: &Tenant,
        key_hash: &str,
        token: &str,
    ) -> Result<(), StoreError> {
        applied_or(
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key_of(&keys::idempotency(tenant, key_hash))))
                .update_expression("SET lock_expires_at = :zero")
                .condition_expression("#state = :in_flight AND #token = :token")
                .expression_attribute_names("#state", "state")
                .expression_attribute_names("#token", "token")
                .expression_attribute_values(":zero", AttributeValue::N("0".into()))
                .expression_attribute_values(":in_flight", s("in_flight"))
                .expression_attribute_values(":token", s(token))
                .send()
                .await,
            "UpdateItem(idempotency release)",
            StoreError::IdempotencyLost,
        )
    }

    fn completion_update(&self, tenant: &Tenant, c: &Completion) -> Update {
        Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_of(&keys::idempotency(tenant, &c.key_hash))))
            .update_expression("SET #state = :completed, status_code = :status, body = :body")
            .condition_expression("#state = :in_flight AND #token = :token")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#token", "token")
            .expression_attribute_values(":completed", s("completed"))
            .expression_attribute_values(":in_flight", s("in_flight"))
            .expression_attribute_values(":token", s(&c.token))
            .expression_attribute_values(":status", AttributeValue::N(c.status_code.to_string()))
            .expression_attribute_values(":body", s(&c.body))
            .build()
            .expect("table, key and expressions are set")
    }

    /// The completion as one item of the endpoint's own transaction.
    pub(super) fn completion_item(&self, tenant: &Tenant, c: &Completion) -> TransactWriteItem {
        TransactWriteItem::builder()
            .update(self.completion_update(tenant, c))
            .build()
    }

    /// Records a response on its own (for endpoints' error responses, which
    /// write nothing else).
    pub async fn complete_idempotency_key(&self, tenant: &Tenant, c: &Completion) -> Result<(), StoreError> {
        let u = self.completion_update(tenant, c);
        applied_or(
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(u.key))
                .update_expression(u.update_expression)
                .set_condition_expression(u.condition_expression)
                .set_expression_attribute_names(u.expression_attribute_names)
                .set_expression_attribute_values(u.expression_attribute_values)
                .send()
                .await,
            "UpdateItem(idempotency completion)",
            StoreError::IdempotencyLost,
        )
    }
}
