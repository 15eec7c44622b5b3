//! The deployment's secrets: the card fingerprint key, the request
//! fingerprint key and the webhook secret key. They live in AWS Secrets Manager, never in a function's
//! environment (which anyone with `lambda:GetFunctionConfiguration` reads):
//! a function's environment names only the secrets it uses, its role may
//! read only those, and each is fetched once, at init, with GetSecretValue.
//! The local stack serves the same API from its own store
//! (`paynectra-local`'s secrets endpoint), so this code path is the one
//! tested.

use crate::store::StoreError;

/// The environment variable that names (ARN or name) the secret holding
/// the card fingerprint key.
pub const CARD_FINGERPRINT_KEY_SECRET: &str = "CARD_FINGERPRINT_KEY_SECRET";
/// The environment variable that names the secret holding the key
/// idempotency request fingerprints are HMACs under (every POST function's).
pub const REQUEST_FINGERPRINT_KEY_SECRET: &str = "REQUEST_FINGERPRINT_KEY_SECRET";
/// The environment variable that names the secret holding the key webhook
/// endpoint secrets are sealed with.
pub const WEBHOOK_SECRET_KEY_SECRET: &str = "WEBHOOK_SECRET_KEY_SECRET";

/// Which secrets a function reads: those its environment names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretIds {
    pub card_fingerprint_key: Option<String>,
    pub request_fingerprint_key: Option<String>,
    pub webhook_secret_key: Option<String>,
}

impl SecretIds {
    pub fn from_env() -> Self {
        let named = |var| std::env::var(var).ok().filter(|v| !v.is_empty());
        Self {
            card_fingerprint_key: named(CARD_FINGERPRINT_KEY_SECRET),
            request_fingerprint_key: named(REQUEST_FINGERPRINT_KEY_SECRET),
            webhook_secret_key: named(WEBHOOK_SECRET_KEY_SECRET),
        }
    }
}

/// The secrets' values (never logged: [`std::fmt::Debug`] redacts them).
#[derive(Clone, Default)]
pub struct SecretValues {
    pub card_fingerprint_key: Option<String>,
    pub request_fingerprint_key: Option<String>,
    pub webhook_secret_key: Option<String>,
}

impl std::fmt::Debug for SecretValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretValues").finish_non_exhaustive()
    }
}

/// Fetches the secrets `ids` names, both at once. `endpoint` replaces
/// Secrets Manager's (the local stack's own); otherwise the SDK's
/// configuration decides (`AWS_ENDPOINT_URL_SECRETS_MANAGER` included). A
/// secret that is named but cannot be read stops the function's init: a
/// function without its key would answer 500s until it is recycled.
pub async fn fetch(
    config: &aws_config::SdkConfig,
    endpoint: Option<&str>,
    ids: &SecretIds,
) -> Result<SecretValues, StoreError> {
    if *ids == SecretIds::default() {
        return Ok(SecretValues::default());
    }
    let mut builder = aws_sdk_secretsmanager::config::Builder::from(config);
    if let Some(url) = endpoint {
        builder = builder.endpoint_url(url);
    }
    let client = aws_sdk_secretsmanager::Client::from_conf(builder.build());
    let (card_fingerprint_key, request_fingerprint_key, webhook_secret_key) = tokio::try_join!(
        value(&client, ids.card_fingerprint_key.as_deref()),
        value(&client, ids.request_fingerprint_key.as_deref()),
        value(&client, ids.webhook_secret_key.as_deref()),
    )?;
    Ok(SecretValues {
        card_fingerprint_key,
        request_fingerprint_key,
        webhook_secret_key,
    })
}

async fn value(client: &aws_sdk_secretsmanager::Client, id: Option<&str>) -> Result<Option<String>, StoreError> {
    let Some(id) = id else {
        return Ok(None);
    };
    let out = client.get_secret_value().secret_id(id).send().await.map_err(|e| {
        // The secret's id is not secret; its value never reaches a message.
        StoreError::Config(format!(
            "GetSecretValue({id}): {}",
            aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
        ))
    })?;
    match out.secret_string {
        Some(v) if !v.is_empty() => Ok(Some(v)),
        _ => Err(StoreError::Config(format!("the secret {id} has no string value"))),
    }
}
