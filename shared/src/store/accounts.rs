//! Accounts and their API keys (stored hashed, never in the clear).

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

use super::{
    error::{failed_conditions, StoreError},
    item::{from_item, key_of, n, s, to_item, unchanged, NOT_EXISTS},
    keys,
    list::SortKeys,
    Store,
};
use crate::domain::{
    account::one_list_shard, Account, AccountId, ApiKey, ApiKeyId, KeyHash, KeyKind, KeyStatus, Mode, MAX_LIST_SHARDS,
};

/// The account item's list shard count attribute (absent: 1).
const LIST_SHARDS: &str = "list_shards";

/// The account item's key-set version: moved by every new key (absent: 0).
const KEYS_VERSION: &str = "keys_version";

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
    #[serde(default = "one_list_shard")]
    list_shards: u8,
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
            list_shards: k.list_shards,
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
            list_shards: r.list_shards,
        })
    }
}

impl Store {
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
        self.transact_refused("TransactWriteItems(create account)", items, StoreError::AlreadyExists)
            .await
    }

    /// One transaction of `items`, `refused` if any of their conditions
    /// failed.
    async fn transact_refused(
        &self,
        operation: &'static str,
        items: Vec<TransactWriteItem>,
        refused: StoreError,
    ) -> Result<(), StoreError> {
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(|e| match failed_conditions(&e) {
                Some(f) if f.iter().any(|x| *x) => refused,
                _ => StoreError::dynamo(operation, e),
            })?;
        Ok(())
    }

    pub async fn get_account(&self, id: &AccountId) -> Result<Option<Account>, StoreError> {
        self.get_as(&keys::account(id), "GetItem(account)").await
    }

    /// The name receipts show for an account: an eventually consistent
    /// read (half the cost of a strong one), as every receipt and receipt
    /// page of a busy merchant reads this one item (a rename showing a
    /// second late is fine). "the merchant" if the account is gone.
    pub async fn merchant_name(&self, id: &AccountId) -> Result<String, StoreError> {
        let item = self
            .get_read(&keys::account(id), "GetItem(account name)", false)
            .await?;
        let account: Option<Account> = item.map(from_item).transpose()?;
        Ok(account.map_or_else(|| "the merchant".to_owned(), |a| a.name))
    }

    /// Every account (a Scan of the whole table: the admin tool's `limits
    /// sync` only, never a request path).
    pub async fn list_accounts(&self) -> Result<Vec<Account>, StoreError> {
        let (pk_prefix, sk) = keys::accounts_scan();
        let mut pages = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression(format!("begins_with({}, :pk) AND {} = :sk", keys::PK, keys::SK))
            .expression_attribute_values(":pk", s(pk_prefix))
            .expression_attribute_values(":sk", s(sk))
            .into_paginator()
            .items()
            .send();
        let mut accounts = Vec::new();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| StoreError::dynamo("Scan(accounts)", e))?;
            accounts.push(from_item(item)?);
        }
        Ok(accounts)
    }

    /// Finds the key whose secret hashes to `hash`. The caller still checks
    /// it with [`ApiKey::authenticates`], in constant time.
    ///
    /// One eventually consistent GetItem: half a read unit, answered by any
    /// replica. A big merchant's key is read for every request API
    /// Gateway's authorizer cache does not answer, all on one partition.
    /// A key created a moment ago may not have reached the replica yet, so
    /// a miss is read again strongly consistent (a new key never fails
    /// once); a revocation may take a moment to show, as it may take the
    /// authorizer cache's 60 seconds.
    pub async fn find_api_key(&self, hash: &KeyHash) -> Result<Option<ApiKey>, StoreError> {
        let key = keys::api_key_lookup(hash);
        let item = match self.get_read(&key, "GetItem(api key)", false).await? {
            Some(item) => Some(item),
            None => self.get(&key, "GetItem(api key, again)").await?,
        };
        match item {
            Some(item) => Ok(Some(from_item::<ApiKeyRecord>(item)?.try_into()?)),
            None => Ok(None),
        }
    }

    pub async fn list_api_keys(&self, account: &AccountId) -> Result<Vec<ApiKey>, StoreError> {
        let (pk, prefix) = keys::api_key_records_prefix(account);
        let items = self
            .query_all(pk, SortKeys::BeginningWith(prefix.into()), true, "Query(api keys)")
            .await?;
        items
            .into_iter()
            .map(|item| from_item::<ApiKeyRecord>(item)?.try_into())
            .collect()
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
    /// if the account does not exist or its list shard count is no longer
    /// `new_key`'s (it was grown meanwhile: read it again and retry).
    pub async fn rotate_api_keys(&self, new_key: Option<&ApiKey>, revoke: &[ApiKey]) -> Result<(), StoreError> {
        let mut items = Vec::new();
        let mut owners = Vec::new();
        if let Some(k) = new_key {
            items.push(
                TransactWriteItem::builder()
                    .update(
                        // A new key moves the account's key-set version, so a
                        // concurrent growth of its list shards, which copies
                        // the count onto the keys it read, cannot miss it.
                        Update::builder()
                            .table_name(&self.table)
                            .set_key(Some(key_of(&keys::account(&k.account_id))))
                            .update_expression("SET #keys = if_not_exists(#keys, :zero) + :one")
                            .condition_expression(format!(
                                "attribute_exists(pk) AND {}",
                                unchanged("#shards", ":shards", k.list_shards == 1)
                            ))
                            .expression_attribute_names("#shards", LIST_SHARDS)
                            .expression_attribute_names("#keys", KEYS_VERSION)
                            .expression_attribute_values(":shards", n(k.list_shards))
                            .expression_attribute_values(":zero", n(0))
                            .expression_attribute_values(":one", n(1))
                            .build()
                            .expect("table, key and expressions are set"),
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

    /// The account's list shard count ([`crate::domain::Tenant::list_shards`]):
    /// 1 unless an operator grew it. [`StoreError::AccountNotFound`] if there
    /// is no such account.
    pub async fn list_shards(&self, account: &AccountId) -> Result<u8, StoreError> {
        Ok(self.key_settings(account).await?.0)
    }

    /// The account's list shard count and key-set version (strongly
    /// consistent).
    async fn key_settings(&self, account: &AccountId) -> Result<(u8, u64), StoreError> {
        let item = self
            .get(&keys::account(account), "GetItem(account)")
            .await?
            .ok_or_else(|| StoreError::AccountNotFound(account.clone()))?;
        let number = |attr: &str, absent: u64| -> Result<u64, StoreError> {
            match item.get(attr) {
                None => Ok(absent),
                Some(v) => v
                    .as_n()
                    .ok()
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| StoreError::Corrupt(format!("account {account} has a bad {attr}"))),
            }
        };
        let shards = u8::try_from(number(LIST_SHARDS, 1)?)
            .map_err(|_| StoreError::Corrupt(format!("account {account} has a bad {LIST_SHARDS}")))?;
        Ok((shards, number(KEYS_VERSION, 0)?))
    }

    /// Grows the account's list shard count to `shards`, on the account and
    /// on every active key in one transaction, so the next request any key
    /// authorizes spreads its list writes over `shards` partitions (and
    /// reads them all). Items already written stay where they are: every
    /// shard below the count is read, so the count only grows (a smaller
    /// one is [`StoreError::Conflict`]; so is a key rolled meanwhile: run it
    /// again). Growing to the current count changes nothing.
    pub async fn set_list_shards(&self, account: &AccountId, shards: u8) -> Result<(), StoreError> {
        if !(1..=MAX_LIST_SHARDS).contains(&shards) {
            return Err(StoreError::Config(format!(
                "a list shard count is 1 to {MAX_LIST_SHARDS}, not {shards}"
            )));
        }
        let (current, keys_version) = self.key_settings(account).await?;
        if shards < current {
            return Err(StoreError::Conflict);
        }
        let active: Vec<ApiKey> = self
            .list_api_keys(account)
            .await?
            .into_iter()
            .filter(|k| k.status == KeyStatus::Active)
            .collect();
        let update = |k: keys::Keys| {
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(key_of(&k)))
                .update_expression("SET #shards = :shards")
                .expression_attribute_names("#shards", LIST_SHARDS)
                .expression_attribute_values(":shards", n(shards))
        };
        // Conditioned on the count and the key-set version read: a key added
        // since (it would keep the old count) fails the growth, to be run again.
        let account_update = update(keys::account(account))
            .condition_expression(format!(
                "attribute_exists(pk) AND {} AND {}",
                unchanged("#shards", ":current", current == 1),
                unchanged("#keys", ":keys", keys_version == 0)
            ))
            .expression_attribute_names("#keys", KEYS_VERSION)
            .expression_attribute_values(":current", n(current))
            .expression_attribute_values(":keys", n(keys_version));
        let mut items = vec![account_update];
        for k in &active {
            for item in [keys::api_key_record(account, &k.id), keys::api_key_lookup(&k.hash)] {
                items.push(
                    update(item)
                        .condition_expression("#status = :active")
                        .expression_attribute_names("#status", "status")
                        .expression_attribute_values(":active", s("active")),
                );
            }
        }
        let items = items
            .into_iter()
            .map(|u| {
                TransactWriteItem::builder()
                    .update(u.build().expect("table, key and expression are set"))
                    .build()
            })
            .collect();
        self.transact_refused("TransactWriteItems(list shards)", items, StoreError::Conflict)
            .await?;
        // An account paid out automatically: the run reads its ledger and
        // balance with the new count too.
        for mode in [crate::domain::Mode::Test, crate::domain::Mode::Live] {
            let tenant = crate::domain::Tenant::new(account.clone(), mode).with_list_shards(shards);
            self.grow_automatic_payout(&tenant).await?;
        }
        Ok(())
    }
}
