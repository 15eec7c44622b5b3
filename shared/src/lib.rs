//! Paynectra's common crate.
//!
//! Dependencies point inward: [`http`] and [`store`] depend on [`domain`];
//! [`domain`] depends on nothing but serde and the standard library.

pub mod accounts;
pub mod delivery;
pub mod domain;
pub mod http;
pub mod lambda;
pub mod lifecycle;
pub mod store;
pub mod telemetry;
pub mod webhook;

pub use store::Store;

/// Everything a handler needs, built once per Lambda execution environment
/// (or once per local server) and shared by every invocation.
#[derive(Clone, Debug)]
pub struct App {
    pub store: Store,
    /// The key card fingerprints are HMACs with (`CARD_FINGERPRINT_KEY`).
    /// Without it, cards cannot be tokenised (500, logged).
    pub card_fingerprint_key: Option<Vec<u8>>,
    /// Seals webhook secrets (`WEBHOOK_SECRET_KEY`). Without it, webhook
    /// endpoints cannot be created nor deliveries signed (500, logged).
    pub webhook_secrets: Option<webhook::SecretBox>,
    /// Whether webhook URLs may point at loopback or private addresses
    /// (`PAYNECTRA_ALLOW_LOCAL_WEBHOOK_URLS=1`: the local stack only). On
    /// Lambda they may not: 127.0.0.1:9001 is the Runtime API, and private
    /// ranges are the operator's network.
    pub allow_local_webhook_urls: bool,
}

impl App {
    /// Builds the app from the environment: `TABLE_NAME` names the table, and
    /// the AWS SDK's own variables (`AWS_REGION`, `AWS_ENDPOINT_URL_DYNAMODB`,
    /// credentials) choose where it lives.
    pub async fn from_env() -> Result<Self, store::StoreError> {
        Ok(Self {
            store: Store::from_env().await?,
            card_fingerprint_key: std::env::var("CARD_FINGERPRINT_KEY")
                .ok()
                .filter(|k| k.len() >= 16)
                .map(String::into_bytes),
            allow_local_webhook_urls: std::env::var("PAYNECTRA_ALLOW_LOCAL_WEBHOOK_URLS").is_ok_and(|v| v == "1"),
            webhook_secrets: std::env::var("WEBHOOK_SECRET_KEY")
                .ok()
                .and_then(|k| webhook::SecretBox::new(&k)),
        })
    }

    /// The card fingerprint key, or a 500 (logged) when it is not set.
    pub fn fingerprint_key(&self) -> Result<&[u8], http::ApiError> {
        self.card_fingerprint_key.as_deref().ok_or_else(|| {
            tracing::error!("CARD_FINGERPRINT_KEY is not set: cards cannot be tokenised");
            http::ApiError::internal()
        })
    }
}

/// Current Unix time in seconds.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
