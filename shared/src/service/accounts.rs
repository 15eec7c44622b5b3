//! Account and key administration, shared by the admin tool, the local
//! stack and the tests.

use crate::{
    domain::{Account, AccountId, ApiKey, ApiKeyId, KeyKind, KeyStatus, Mode, SecretKey},
    store::{Store, StoreError},
};

/// A new account and its first secret keys, shown once.
pub struct CreatedAccount {
    pub account: Account,
    pub test_secret_key: SecretKey,
    pub live_secret_key: SecretKey,
    pub test_publishable_key: SecretKey,
    pub live_publishable_key: SecretKey,
}

impl CreatedAccount {
    /// The JSON the admin tool prints: `{"id", "name", "test_secret_key",
    /// "live_secret_key", "test_publishable_key", "live_publishable_key"}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.account.id,
            "name": self.account.name,
            "test_secret_key": self.test_secret_key.expose(),
            "live_secret_key": self.live_secret_key.expose(),
            "test_publishable_key": self.test_publishable_key.expose(),
            "live_publishable_key": self.live_publishable_key.expose(),
        })
    }
}

pub async fn create_account(store: &Store, name: &str, now: i64) -> Result<CreatedAccount, StoreError> {
    let account = Account {
        id: AccountId::generate(),
        name: name.to_owned(),
        created: now,
    };
    let test_secret_key = SecretKey::generate(Mode::Test);
    let live_secret_key = SecretKey::generate(Mode::Live);
    let test_publishable_key = SecretKey::generate_publishable(Mode::Test);
    let live_publishable_key = SecretKey::generate_publishable(Mode::Live);
    let keys = [
        &test_secret_key,
        &live_secret_key,
        &test_publishable_key,
        &live_publishable_key,
    ]
    .map(|k| ApiKey::new(account.id.clone(), k, now));
    store.create_account(&account, &keys).await?;
    Ok(CreatedAccount {
        account,
        test_secret_key,
        live_secret_key,
        test_publishable_key,
        live_publishable_key,
    })
}

/// Issues a new secret key for `mode` and revokes the mode's active secret
/// keys, in one transaction. The new key carries the account's list shard
/// count. Returns the new key (shown once) and the ids revoked.
pub async fn roll_key(
    store: &Store,
    account: &AccountId,
    mode: Mode,
    now: i64,
) -> Result<(SecretKey, ApiKey, Vec<ApiKeyId>), StoreError> {
    let old: Vec<ApiKey> = store
        .list_api_keys(account)
        .await?
        .into_iter()
        .filter(|k| k.mode == mode && k.kind == KeyKind::Secret && k.status == KeyStatus::Active)
        .collect();
    let secret = SecretKey::generate(mode);
    let mut new_key = ApiKey::new(account.clone(), &secret, now);
    // The new key carries the account's list shard count; if the count
    // grows between the read and the roll, the roll's condition fails and
    // it is read again (a missing account fails the read itself).
    for attempt in 1.. {
        new_key.list_shards = store.list_shards(account).await?;
        match store.rotate_api_keys(Some(&new_key), &old).await {
            Err(StoreError::AccountNotFound(_)) if attempt < 3 => continue,
            done => {
                done?;
                break;
            }
        }
    }
    Ok((secret, new_key, old.into_iter().map(|k| k.id).collect()))
}

/// Issues a new restricted (read-only) key for `mode`; the account's other
/// keys stay as they are. Returns it (shown once).
pub async fn issue_restricted_key(
    store: &Store,
    account: &AccountId,
    mode: Mode,
    now: i64,
) -> Result<(SecretKey, ApiKey), StoreError> {
    let secret = SecretKey::generate_restricted(mode);
    let mut key = ApiKey::new(account.clone(), &secret, now);
    // As for a rolled key: the account's list shard count, read again if
    // it grows between the read and the write.
    for attempt in 1.. {
        key.list_shards = store.list_shards(account).await?;
        match store.rotate_api_keys(Some(&key), &[]).await {
            Err(StoreError::AccountNotFound(_)) if attempt < 3 => continue,
            done => {
                done?;
                break;
            }
        }
    }
    Ok((secret, key))
}

/// Revokes one key of the account.
pub async fn revoke_key(store: &Store, account: &AccountId, key: &ApiKeyId) -> Result<ApiKey, StoreError> {
    let found = store
        .list_api_keys(account)
        .await?
        .into_iter()
        .find(|k| &k.id == key && k.status == KeyStatus::Active)
        .ok_or_else(|| StoreError::KeyNotFound(key.clone()))?;
    store.rotate_api_keys(None, std::slice::from_ref(&found)).await?;
    Ok(ApiKey {
        status: KeyStatus::Revoked,
        ..found
    })
}
