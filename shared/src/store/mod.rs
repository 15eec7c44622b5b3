//! DynamoDB access: one table, single-table design. Items are mapped to and
//! from domain types here and nowhere else; key formats live in [`keys`].

mod client;
mod idempotency;
mod keys;
mod lifecycle;
pub mod schema;
mod webhooks;

use std::collections::HashMap;

use aws_sdk_dynamodb::{
    error::{DisplayErrorContext, ProvideErrorMetadata, SdkError},
    operation::transact_write_items::TransactWriteItemsError,
    types::{AttributeValue, ConditionCheck, Put, ReturnConsumedCapacity, TransactWriteItem, Update},
    Client,
};
use serde::{de::DeserializeOwned, Serialize};

pub use client::{dynamodb_client, sdk_config};
pub use idempotency::{Completion, IdempotencyRecord, IdempotencyState};
pub use lifecycle::DueHold;
pub use webhooks::{Attempt, Delivery, DeliveryStatus, DueRetry};

use crate::domain::{
    Account, AccountId, ApiKey, ApiKeyId, CreatedRange, Cursor, Customer, CustomerId, Event, EventId, EventTypeFilter,
    KeyHash, KeyKind, KeyStatus, ListWindow, Mode, Page, Payment, PaymentFilter, PaymentId, PaymentStatus, Refund,
    RefundId, Tenant,
};
use keys::Keys;

type Item = HashMap<String, AttributeValue>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no such customer: {0}")]
    CustomerNotFound(CustomerId),
    #[error("no such account: {0}")]
    AccountNotFound(AccountId),
    #[error("no active API key {0}")]
    KeyNotFound(ApiKeyId),
    /// A list cursor that names no object of the tenant.
    #[error("no such object for {param}: {id}")]
    CursorNotFound { param: &'static str, id: String },
    /// A refund lost a race: the payment changed (another refund took the
    /// balance, or its status moved) between the read and the write.
    #[error("the payment changed while the refund was being written")]
    RefundConflict,
    /// The idempotency claim this request held was taken over (it outlived
    /// its lock), so its result was not recorded and nothing was written.
    #[error("the idempotency key's claim was lost")]
    IdempotencyLost,
    /// A conditional replace lost to a concurrent write.
    #[error("the object changed while it was being written")]
    Conflict,
    #[error("an item with this id already exists")]
    AlreadyExists,
    #[error("the stored item could not be read: {0}")]
    Corrupt(String),
    #[error("configuration: {0}")]
    Config(String),
    /// DynamoDB throttled the request (even after the SDK's retries):
    /// nothing was written, and the caller should back off (a 429).
    #[error("DynamoDB {operation} was throttled: {message}")]
    Throttled { operation: &'static str, message: String },
    /// DynamoDB itself failed (unreachable, timed out, ...): a 500.
    #[error("DynamoDB {operation} failed: {message}")]
    Dynamo { operation: &'static str, message: String },
}

/// What [`Store::warm_up`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarmUp {
    /// DynamoDB answered the read (`found`: whether an item came back; none
    /// should).
    Warmed { found: bool },
    /// DynamoDB answered with an error (say, a role without GetItem).
    Failed,
    /// No answer within the bound.
    TimedOut,
}

/// DynamoDB's error codes for "too many requests": a table or index over its
/// capacity, the account's request limit, or on-demand throttling.
const THROTTLING_CODES: [&str; 3] = [
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
];

/// The cancellation reasons of a transaction cancelled by throttling.
const THROTTLED_CANCELLATIONS: [&str; 2] = ["ThrottlingError", "ProvisionedThroughputExceeded"];

impl StoreError {
    /// The error of a failed DynamoDB call: [`StoreError::Throttled`] if
    /// DynamoDB answered with a throttling code, else [`StoreError::Dynamo`].
    fn dynamo<E, R>(operation: &'static str, err: SdkError<E, R>) -> Self
    where
        E: std::error::Error + ProvideErrorMetadata + 'static,
        R: std::fmt::Debug,
    {
        let message = DisplayErrorContext(&err).to_string();
        if err.code().is_some_and(|c| THROTTLING_CODES.contains(&c)) {
            StoreError::Throttled { operation, message }
        } else {
            StoreError::Dynamo { operation, message }
        }
    }
}

/// What a change writes besides itself, in the same transaction: its event,
/// and the completion of the request's idempotency record.
#[derive(Debug, Clone, Copy, Default)]
pub struct Writes<'a> {
    pub event: Option<&'a Event>,
    pub completion: Option<&'a Completion>,
}

impl<'a> Writes<'a> {
    pub const NONE: Writes<'static> = Writes {
        event: None,
        completion: None,
    };

    pub fn new(event: &'a Event, completion: Option<&'a Completion>) -> Self {
        Self {
            event: Some(event),
            completion,
        }
    }

    fn any(&self) -> bool {
        self.event.is_some() || self.completion.is_some()
    }
}

/// What a read cost, for logs, tests and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ReadStats {
    pub get_items: u32,
    pub queries: u32,
    /// Items DynamoDB read (`ScannedCount`), before any filter.
    pub items_read: u32,
    /// Read capacity units consumed, as DynamoDB reports them.
    pub read_capacity: f64,
}

/// The table and the client to reach it. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    table: String,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// Serialises `data` and adds its keys.
fn to_item<T: Serialize>(keys: &Keys, data: &T) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    item.insert(keys::PK.into(), s(&keys.pk));
    item.insert(keys::SK.into(), s(&keys.sk));
    for (names, value) in [
        ((keys::GSI1PK, keys::GSI1SK), &keys.gsi1),
        ((keys::GSI2PK, keys::GSI2SK), &keys.gsi2),
        ((keys::GSI3PK, keys::GSI3SK), &keys.gsi3),
    ] {
        if let Some((pk, sk)) = value {
            item.insert(names.0.into(), s(pk));
            item.insert(names.1.into(), s(sk));
        }
    }
    Ok(item)
}

fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn key_of(keys: &Keys) -> Item {
    HashMap::from([(keys::PK.into(), s(&keys.pk)), (keys::SK.into(), s(&keys.sk))])
}

/// An API key as stored: the hash, never the secret.
#[derive(serde::Serialize, serde::Deserialize)]
struct ApiKeyRecord {
    id: ApiKeyId,
    account_id: AccountId,
    mode: Mode,
    #[serde(default = "secret_kind")]
    kind: KeyKind,
    hash: String,
    redacted: String,
    status: KeyStatus,
    created: i64,
}

fn secret_kind() -> KeyKind {
    KeyKind::Secret
}

impl From<&ApiKey> for ApiKeyRecord {
    fn from(k: &ApiKey) -> Self {
        Self {
            id: k.id.clone(),
            account_id: k.account_id.clone(),
            mode: k.mode,
            kind: k.kind,
            hash: k.hash.to_hex(),
            redacted: k.redacted.clone(),
            status: k.status,
            created: k.created,
        }
    }
}

impl TryFrom<ApiKeyRecord> for ApiKey {
    type Error = StoreError;

    fn try_from(r: ApiKeyRecord) -> Result<Self, StoreError> {
        Ok(Self {
            hash: KeyHash::from_hex(&r.hash)
                .ok_or_else(|| StoreError::Corrupt(format!("key {} has a bad hash", r.id)))?,
            id: r.id,
            account_id: r.account_id,
            mode: r.mode,
            kind: r.kind,
            redacted: r.redacted,
            status: r.status,
            created: r.created,
        })
    }
}

/// The result of a conditional write: `true` if it applied, `false` if its
/// condition did not hold.
fn applied<O, E>(result: Result<O, SdkError<E, HttpResponse>>, operation: &'static str) -> Result<bool, StoreError>
where
    E: std::error::Error + ConditionFailure + ProvideErrorMetadata + 'static,
{
    match result {
        Ok(_) => Ok(true),
        Err(e) if e.as_service_error().is_some_and(ConditionFailure::is_condition_failure) => Ok(false),
        Err(e) => Err(StoreError::dynamo(operation, e)),
    }
}

/// Errors that can say "the condition did not hold".
trait ConditionFailure {
    fn is_condition_failure(&self) -> bool;
}

impl ConditionFailure for aws_sdk_dynamodb::operation::update_item::UpdateItemError {
    fn is_condition_failure(&self) -> bool {
        self.is_conditional_check_failed_exception()
    }
}

impl ConditionFailure for aws_sdk_dynamodb::operation::put_item::PutItemError {
    fn is_condition_failure(&self) -> bool {
        self.is_conditional_check_failed_exception()
    }
}

type HttpResponse = aws_sdk_dynamodb::config::http::HttpResponse;

/// Which items of a cancelled transaction failed their condition.
fn failed_conditions(err: &SdkError<TransactWriteItemsError, impl std::fmt::Debug>) -> Option<Vec<bool>> {
    cancellation_codes(err).map(|codes| codes.iter().map(|c| c == "ConditionalCheckFailed").collect())
}

/// The cancellation reason of each item of a cancelled transaction.
fn cancellation_codes(err: &SdkError<TransactWriteItemsError, impl std::fmt::Debug>) -> Option<Vec<String>> {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(e)) => Some(
            e.cancellation_reasons()
                .iter()
                .map(|r| r.code().unwrap_or("None").to_owned())
                .collect(),
        ),
        _ => None,
    }
}

/// True when a transaction was cancelled because DynamoDB throttled one of
/// its items.
fn transaction_throttled(err: &SdkError<TransactWriteItemsError, impl std::fmt::Debug>) -> bool {
    cancellation_codes(err).is_some_and(|c| c.iter().any(|c| THROTTLED_CANCELLATIONS.contains(&c.as_str())))
}

/// True when a transaction was cancelled because another transaction was
/// writing the same item at the same moment: safe to retry.
/// Another transaction held one of the items: nothing of ours was written,
/// so deciding again from a fresh read is safe. Not so for
/// TransactionInProgressException: it answers the SDK's retry of *our* own
/// transaction (same client request token) while the first attempt is still
/// committing, which may well succeed. Deciding again could then refund
/// twice; it stays an opaque 500 (outcome unknown), and a retry with the
/// same Idempotency-Key replays the committed answer.
fn transaction_conflict(err: &SdkError<TransactWriteItemsError, impl std::fmt::Debug>) -> bool {
    cancellation_codes(err).is_some_and(|c| c.iter().any(|c| c == "TransactionConflict"))
}

const NOT_EXISTS: &str = "attribute_not_exists(pk)";

fn put_item(put: Put) -> TransactWriteItem {
    TransactWriteItem::builder().put(put).build()
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The table named by `TABLE_NAME`, reached as the AWS environment says.
    pub async fn from_env() -> Result<Self, StoreError> {
        let table = std::env::var("TABLE_NAME").map_err(|_| StoreError::Config("TABLE_NAME is not set".into()))?;
        Ok(Self::new(dynamodb_client().await, table))
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// One cheap call made during a Lambda init phase (which runs at full
    /// CPU and before any caller waits), so that the first request finds the
    /// SDK's lazily built parts (endpoint rules, identity cache, signer) and
    /// a pooled connection (TLS handshake on AWS) ready. An eventually
    /// consistent GetItem of a key no item has (0.5 RCU at most), bounded by
    /// `within`; any outcome, error or timeout included, is fine: it is only
    /// a warm-up, and a function whose role may not GetItem still warmed its
    /// connection. Measured in BENCHMARKS.md (cold start). Returns what
    /// happened, for tests and the log.
    pub async fn warm_up(&self, within: std::time::Duration) -> WarmUp {
        let key = keys::warm_up();
        let call = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(keys::PK, s(&key.pk))
            .key(keys::SK, s(&key.sk))
            .send();
        match tokio::time::timeout(within, call).await {
            Ok(Ok(out)) => {
                tracing::debug!("DynamoDB connection warmed");
                WarmUp::Warmed {
                    found: out.item.is_some(),
                }
            }
            Ok(Err(e)) => {
                tracing::debug!(error = %DisplayErrorContext(&e), "warm-up call failed");
                WarmUp::Failed
            }
            Err(_) => {
                tracing::debug!("warm-up call timed out");
                WarmUp::TimedOut
            }
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    fn put(&self, item: Item, condition: &str) -> Put {
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .build()
            .expect("table, item and condition are set")
    }

    /// One TransactWriteItems. `failure` names the error for the first item
    /// whose condition failed; a completion of an idempotency record, if
    /// any, is the last item, and its failure is
    /// [`StoreError::IdempotencyLost`]. A clash with a concurrent transaction
    /// on the same items is [`StoreError::Conflict`] (safe to retry).
    async fn transact(
        &self,
        operation: &'static str,
        mut items: Vec<TransactWriteItem>,
        tenant: &Tenant,
        writes: Writes<'_>,
        failure: impl Fn(usize) -> StoreError,
    ) -> Result<(), StoreError> {
        if let Some(e) = writes.event {
            items.push(self.event_put(tenant, e)?);
        }
        let business = items.len();
        if let Some(c) = writes.completion {
            items.push(self.completion_item(tenant, c));
        }
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            // The SDK retries a transaction whose response was lost with the
            // same token, so a commit is not retried into a false failure.
            .client_request_token(uuid::Uuid::new_v4().to_string())
            .send()
            .await
            .map_err(|e| match failed_conditions(&e) {
                Some(failed) if failed.iter().any(|f| *f) => {
                    let first = failed.iter().position(|f| *f).unwrap_or(0);
                    if first >= business {
                        StoreError::IdempotencyLost
                    } else {
                        failure(first)
                    }
                }
                _ if transaction_conflict(&e) => StoreError::Conflict,
                _ if transaction_throttled(&e) => StoreError::Throttled {
                    operation,
                    message: DisplayErrorContext(&e).to_string(),
                },
                _ => StoreError::dynamo(operation, e),
            })?;
        Ok(())
    }

    /// Writes a new item (`attribute_not_exists(pk)`): a single PutItem, or
    /// a transaction when the change carries an event or an idempotency
    /// completion. An existing item is [`StoreError::AlreadyExists`].
    async fn insert_new(
        &self,
        operation: &'static str,
        item: Item,
        tenant: &Tenant,
        writes: Writes<'_>,
    ) -> Result<(), StoreError> {
        if writes.any() {
            let items = vec![put_item(self.put(item, NOT_EXISTS))];
            return self
                .transact(operation, items, tenant, writes, |_| StoreError::AlreadyExists)
                .await;
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(NOT_EXISTS)
            .send()
            .await
            .map_err(|e| match e.as_service_error() {
                Some(se) if se.is_conditional_check_failed_exception() => StoreError::AlreadyExists,
                _ => StoreError::dynamo(operation, e),
            })?;
        Ok(())
    }

    /// GetItem (strongly consistent), mapped to `T`.
    async fn get_as<T: DeserializeOwned>(&self, keys: &Keys, operation: &'static str) -> Result<Option<T>, StoreError> {
        self.get(keys, operation).await?.map(from_item).transpose()
    }

    async fn get(&self, keys: &Keys, operation: &'static str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_of(keys)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::dynamo(operation, e))?;
        Ok(out.item)
    }

    // --- accounts and keys -------------------------------------------------

    fn key_items(&self, key: &ApiKey) -> Result<[TransactWriteItem; 2], StoreError> {
        let record = ApiKeyRecord::from(key);
        Ok([
            TransactWriteItem::builder()
                .put(self.put(
                    to_item(&keys::api_key_record(&key.account_id, &key.id), &record)?,
                    NOT_EXISTS,
                ))
                .build(),
            TransactWriteItem::builder()
                .put(self.put(to_item(&keys::api_key_lookup(&key.hash), &record)?, NOT_EXISTS))
                .build(),
        ])
    }

    /// Creates an account and its first keys in one transaction.
    pub async fn create_account(&self, account: &Account, api_keys: &[ApiKey]) -> Result<(), StoreError> {
        let mut items = vec![TransactWriteItem::builder()
            .put(self.put(to_item(&keys::account(&account.id), account)?, NOT_EXISTS))
            .build()];
        for k in api_keys {
            items.extend(self.key_items(k)?);
        }
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(|e| match failed_conditions(&e) {
                Some(f) if f.iter().any(|x| *x) => StoreError::AlreadyExists,
                _ => StoreError::dynamo("TransactWriteItems(create account)", e),
            })?;
        Ok(())
    }

    pub async fn get_account(&self, id: &AccountId) -> Result<Option<Account>, StoreError> {
        self.get_as(&keys::account(id), "GetItem(account)").await
    }

    /// Finds the key whose secret hashes to `hash` (one GetItem). The caller
    /// still checks it with [`ApiKey::authenticates`], in constant time.
    pub async fn find_api_key(&self, hash: &KeyHash) -> Result<Option<ApiKey>, StoreError> {
        match self.get(&keys::api_key_lookup(hash), "GetItem(api key)").await? {
            Some(item) => Ok(Some(from_item::<ApiKeyRecord>(item)?.try_into()?)),
            None => Ok(None),
        }
    }

    pub async fn list_api_keys(&self, account: &AccountId) -> Result<Vec<ApiKey>, StoreError> {
        let (pk, prefix) = keys::api_key_records_prefix(account);
        let mut out = Vec::new();
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":prefix", s(prefix))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| StoreError::dynamo("Query(api keys)", e))?;
            out.push(from_item::<ApiKeyRecord>(item)?.try_into()?);
        }
        Ok(out)
    }

    fn revoke_items(&self, key: &ApiKey) -> [TransactWriteItem; 2] {
        [
            keys::api_key_record(&key.account_id, &key.id),
            keys::api_key_lookup(&key.hash),
        ]
        .map(|k| {
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_of(&k)))
                        .update_expression("SET #status = :revoked")
                        .condition_expression("#status = :active")
                        .expression_attribute_names("#status", "status")
                        .expression_attribute_values(":revoked", s("revoked"))
                        .expression_attribute_values(":active", s("active"))
                        .build()
                        .expect("table, key and expression are set"),
                )
                .build()
        })
    }

    /// Adds `new_key` and revokes every key in `revoke`, atomically: either
    /// the new key works and the old ones do not, or nothing changed. Fails
    /// with [`StoreError::KeyNotFound`] if one of `revoke` is not active any
    /// more (someone else revoked it first), and [`StoreError::AccountNotFound`]
    /// if the account does not exist.
    pub async fn rotate_api_keys(&self, new_key: Option<&ApiKey>, revoke: &[ApiKey]) -> Result<(), StoreError> {
        let mut items = Vec::new();
        let mut owners = Vec::new();
        if let Some(k) = new_key {
            items.push(
                TransactWriteItem::builder()
                    .condition_check(
                        ConditionCheck::builder()
                            .table_name(&self.table)
                            .set_key(Some(key_of(&keys::account(&k.account_id))))
                            .condition_expression("attribute_exists(pk)")
                            .build()
                            .expect("table, key and condition are set"),
                    )
                    .build(),
            );
            owners.push(Err(StoreError::AccountNotFound(k.account_id.clone())));
            items.extend(self.key_items(k)?);
            owners.extend([Ok(()), Ok(())]);
        }
        for k in revoke {
            items.extend(self.revoke_items(k));
            owners.extend([Err(StoreError::KeyNotFound(k.id.clone())), Ok(())]);
        }
        if items.is_empty() {
            return Ok(());
        }
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(|e| {
                let failed = failed_conditions(&e).unwrap_or_default();
                let culprit = failed
                    .iter()
                    .zip(owners)
                    .find_map(|(f, owner)| if *f { owner.err() } else { None });
                culprit.unwrap_or_else(|| StoreError::dynamo("TransactWriteItems(rotate keys)", e))
            })?;
        Ok(())
    }

    // --- payments -----------------------------------------------------------

    /// Stores a new payment. If it names a customer, the customer must exist
    /// (and not be deleted) at the moment of the write: the check and the
    /// write are one transaction. With a `completion`, the idempotency
    /// record is completed in the same transaction.
    pub async fn insert_payment(
        &self,
        tenant: &Tenant,
        payment: &Payment,
        writes: Writes<'_>,
    ) -> Result<(), StoreError> {
        let keys = keys::payment_item(
            tenant,
            &payment.id,
            payment.created,
            payment.customer_id.as_ref(),
            payment.status.as_str(),
        );
        let item = to_item(&keys, payment)?;
        let Some(customer_id) = &payment.customer_id else {
            return self.insert_new("PutItem(payment)", item, tenant, writes).await;
        };
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key_of(&keys::customer(tenant, customer_id))))
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(deleted)")
            .build()
            .expect("table, key and condition are set");
        let items = vec![
            TransactWriteItem::builder().condition_check(check).build(),
            put_item(self.put(item, NOT_EXISTS)),
        ];
        self.transact("TransactWriteItems(payment)", items, tenant, writes, |i| match i {
            0 => StoreError::CustomerNotFound(customer_id.clone()),
            _ => StoreError::AlreadyExists,
        })
        .await
    }

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
        let cursor_keys = window.cursor.as_ref().map(|c| keys::payment(tenant, c.id()));
        let residual = residual_status.map(|s| ("status", s.as_str().to_owned()));
        self.list(index, residual, &filter.created, window, cursor_keys).await
    }

    /// The sort key of a list cursor: one GetItem of the object it names.
    async fn cursor_sort_key<Id: std::fmt::Display>(
        &self,
        cursor: &Cursor<Id>,
        keys: &Keys,
    ) -> Result<String, StoreError> {
        let missing = || StoreError::CursorNotFound {
            param: cursor.param(),
            id: cursor.id().to_string(),
        };
        let item = self.get(keys, "GetItem(list cursor)").await?.ok_or_else(missing)?;
        let created = item
            .get("created")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<i64>().ok())
            .ok_or_else(missing)?;
        let id = item.get("id").and_then(|v| v.as_s().ok()).ok_or_else(missing)?;
        Ok(keys::created_sort_key(created, id))
    }

    /// One page of a list index, newest first: the shared engine of every
    /// list endpoint. `residual` is an equality filter on an attribute the
    /// index does not key on.
    async fn list<T: DeserializeOwned, Id: std::fmt::Display>(
        &self,
        index: keys::ListIndex,
        residual: Option<(&'static str, String)>,
        created: &CreatedRange,
        window: &ListWindow<Id>,
        cursor_keys: Option<Keys>,
    ) -> Result<(Page<T>, ReadStats), StoreError> {
        let mut stats = ReadStats::default();
        let cursor_sort = match (&window.cursor, &cursor_keys) {
            (Some(c), Some(k)) => {
                stats.get_items += 1;
                Some(self.cursor_sort_key(c, k).await?)
            }
            _ => None,
        };
        if created.is_empty() {
            return Ok((
                Page {
                    data: vec![],
                    has_more: false,
                },
                stats,
            ));
        }
        let mut lower = created.gte.map(keys::created_lower);
        let mut upper = created.lte.map(keys::created_upper);
        let ascending = matches!(window.cursor, Some(Cursor::Before(_)));
        match (&window.cursor, &cursor_sort) {
            (Some(Cursor::After(_)), Some(s)) => upper = Some(upper.map_or(s.clone(), |u| u.min(s.clone()))),
            (Some(Cursor::Before(_)), Some(s)) => lower = Some(lower.map_or(s.clone(), |l| l.max(s.clone()))),
            _ => {}
        }
        let key_condition = match (&lower, &upper) {
            (Some(_), Some(_)) => "#pk = :pk AND #sk BETWEEN :lower AND :upper",
            (Some(_), None) => "#pk = :pk AND #sk >= :lower",
            (None, Some(_)) => "#pk = :pk AND #sk <= :upper",
            (None, None) => "#pk = :pk",
        };
        let want = window.limit + 1;
        let mut items: Vec<T> = Vec::with_capacity(want + 1);
        let mut start_key = None;
        loop {
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index.index)
                .key_condition_expression(key_condition)
                .expression_attribute_names("#pk", index.pk_attr)
                .expression_attribute_values(":pk", s(&index.pk))
                .scan_index_forward(ascending)
                .limit(i32::try_from(want + 1 - items.len()).unwrap_or(i32::MAX))
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .set_exclusive_start_key(start_key.take());
            if lower.is_some() || upper.is_some() {
                q = q.expression_attribute_names("#sk", index.sk_attr);
            }
            if let Some(l) = &lower {
                q = q.expression_attribute_values(":lower", s(l));
            }
            if let Some(u) = &upper {
                q = q.expression_attribute_values(":upper", s(u));
            }
            if let Some((attr, value)) = &residual {
                q = q
                    .filter_expression("#residual = :residual")
                    .expression_attribute_names("#residual", *attr)
                    .expression_attribute_values(":residual", s(value));
            }
            let out = q.send().await.map_err(|e| StoreError::dynamo("Query(list)", e))?;
            stats.queries += 1;
            stats.items_read += u32::try_from(out.scanned_count()).unwrap_or(0);
            stats.read_capacity += out.consumed_capacity().and_then(|c| c.capacity_units()).unwrap_or(0.0);
            for item in out.items.unwrap_or_default() {
                let sort = item.get(index.sk_attr).and_then(|v| v.as_s().ok());
                if sort.is_some() && sort == cursor_sort.as_ref() {
                    continue;
                }
                items.push(from_item(item)?);
            }
            start_key = out.last_evaluated_key;
            if items.len() >= want || start_key.is_none() {
                break;
            }
        }
        let has_more = items.len() > window.limit;
        items.truncate(window.limit);
        if ascending {
            items.reverse();
        }
        Ok((Page { data: items, has_more }, stats))
    }

    // --- refunds ------------------------------------------------------------

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
        let cursor_keys = window.cursor.as_ref().map(|c| keys::refund(tenant, c.id()));
        self.list(index, None, created, window, cursor_keys).await
    }

    // --- customers ----------------------------------------------------------

    pub async fn insert_customer(
        &self,
        tenant: &Tenant,
        customer: &Customer,
        writes: Writes<'_>,
    ) -> Result<(), StoreError> {
        let keys = keys::customer_item(
            tenant,
            &customer.id,
            customer.created,
            customer.email.as_ref().map(|e| e.as_str()),
        );
        let item = to_item(&keys, customer)?;
        self.insert_new("PutItem(customer)", item, tenant, writes).await
    }

    /// Replaces a customer with its updated version, conditioned on nobody
    /// having changed it since it was read (`version`) and on it not being
    /// deleted. The list keys are rebuilt (the email may have changed).
    pub async fn replace_customer(
        &self,
        tenant: &Tenant,
        customer: &Customer,
        writes: Writes<'_>,
    ) -> Result<(), StoreError> {
        let keys = keys::customer_item(
            tenant,
            &customer.id,
            customer.created,
            customer.email.as_ref().map(|e| e.as_str()),
        );
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
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(put.item))
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(deleted) AND version = :read")
            .set_expression_attribute_values(put.expression_attribute_values)
            .send()
            .await
            .map_err(|e| match e.as_service_error() {
                Some(se) if se.is_conditional_check_failed_exception() => StoreError::Conflict,
                _ => StoreError::dynamo("PutItem(customer update)", e),
            })?;
        Ok(())
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
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_of(&keys::customer(tenant, id))))
            .update_expression("SET deleted = :true REMOVE gsi1pk, gsi1sk, gsi3pk, gsi3sk")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(deleted)")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .build()
            .expect("table, key and expressions are set");
        let writes = Writes {
            event,
            completion: None,
        };
        let items = vec![TransactWriteItem::builder().update(update).build()];
        match self
            .transact("TransactWriteItems(delete customer)", items, tenant, writes, |_| {
                StoreError::Conflict
            })
            .await
        {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }

    // --- events -------------------------------------------------------------

    fn event_put(&self, tenant: &Tenant, event: &Event) -> Result<TransactWriteItem, StoreError> {
        let keys = keys::event_item(tenant, &event.id, event.created, event.kind);
        Ok(put_item(self.put(to_item(&keys, event)?, NOT_EXISTS)))
    }

    /// An event, however old (for retries of its deliveries).
    pub async fn get_event_any_age(&self, tenant: &Tenant, id: &EventId) -> Result<Option<Event>, StoreError> {
        self.get_as(&keys::event(tenant, id), "GetItem(event)").await
    }

    pub async fn get_event(&self, tenant: &Tenant, id: &EventId) -> Result<Option<Event>, StoreError> {
        let event = self.get_event_any_age(tenant, id).await?;
        // Past its 30 days, an event is gone even before TTL deletes it.
        Ok(event.filter(|e| e.expires_at > crate::now_unix()))
    }

    /// One page of the tenant's events (of one type or group), newest
    /// first. One Query (plus one GetItem for a cursor).
    pub async fn list_events(
        &self,
        tenant: &Tenant,
        filter: Option<EventTypeFilter>,
        created: &CreatedRange,
        window: &ListWindow<EventId>,
    ) -> Result<(Page<Event>, ReadStats), StoreError> {
        let index = keys::event_list_index(tenant, filter);
        let cursor_keys = window.cursor.as_ref().map(|c| keys::event(tenant, c.id()));
        let retained = CreatedRange {
            gte: Some(
                created
                    .gte
                    .unwrap_or(0)
                    .max(crate::now_unix() - crate::domain::event::RETENTION_SECONDS),
            ),
            ..*created
        };
        self.list(index, None, &retained, window, cursor_keys).await
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
        let cursor_keys = window.cursor.as_ref().map(|c| keys::customer(tenant, c.id()));
        self.list(index, None, created, window, cursor_keys).await
    }

    pub async fn get_customer(&self, tenant: &Tenant, id: &CustomerId) -> Result<Option<Customer>, StoreError> {
        self.get_as(&keys::customer(tenant, id), "GetItem(customer)").await
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::{
        error::ErrorMetadata,
        operation::{get_item::GetItemError, transact_write_items::TransactWriteItemsError},
        types::{error::TransactionCanceledException, CancellationReason},
    };

    use super::*;

    fn get_item_error(code: &str) -> SdkError<GetItemError, ()> {
        let meta = ErrorMetadata::builder().code(code).message("from DynamoDB").build();
        SdkError::service_error(GetItemError::generic(meta), ())
    }

    #[test]
    fn dynamodb_throttling_is_throttled_not_a_failure() {
        for code in THROTTLING_CODES {
            assert!(
                matches!(
                    StoreError::dynamo("GetItem(payment)", get_item_error(code)),
                    StoreError::Throttled { .. }
                ),
                "{code}"
            );
        }
        for code in [
            "InternalServerError",
            "ResourceNotFoundException",
            "ValidationException",
        ] {
            assert!(
                matches!(
                    StoreError::dynamo("GetItem(payment)", get_item_error(code)),
                    StoreError::Dynamo { .. }
                ),
                "{code}"
            );
        }
        // No answer at all (DynamoDB unreachable) is a failure, not a throttle.
        let timeout: SdkError<GetItemError, ()> = SdkError::timeout_error("operation timed out");
        assert!(matches!(
            StoreError::dynamo("GetItem(payment)", timeout),
            StoreError::Dynamo { .. }
        ));
    }

    fn cancelled(codes: &[&str]) -> SdkError<TransactWriteItemsError, ()> {
        let e = TransactionCanceledException::builder()
            .set_cancellation_reasons(Some(
                codes
                    .iter()
                    .map(|c| CancellationReason::builder().code(*c).build())
                    .collect(),
            ))
            .build();
        SdkError::service_error(TransactWriteItemsError::TransactionCanceledException(e), ())
    }

    #[test]
    fn cancelled_transactions_are_told_apart() {
        assert!(transaction_throttled(&cancelled(&["None", "ThrottlingError"])));
        assert!(transaction_throttled(&cancelled(&[
            "ProvisionedThroughputExceeded",
            "None"
        ])));
        assert!(!transaction_throttled(&cancelled(&["None", "TransactionConflict"])));
        assert!(transaction_conflict(&cancelled(&["None", "TransactionConflict"])));
        // Our own transaction still committing (the SDK retried it with the
        // same token): not a conflict to decide again from, the outcome is
        // unknown.
        let in_progress: SdkError<TransactWriteItemsError, ()> = SdkError::service_error(
            TransactWriteItemsError::TransactionInProgressException(
                aws_sdk_dynamodb::types::error::TransactionInProgressException::builder().build(),
            ),
            (),
        );
        assert!(!transaction_conflict(&in_progress));
        assert!(!transaction_throttled(&in_progress));
        assert_eq!(
            failed_conditions(&cancelled(&["None", "ConditionalCheckFailed"])),
            Some(vec![false, true])
        );
    }
}
