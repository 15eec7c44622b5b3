//! What every handler shares, built once per execution environment.

use std::sync::OnceLock;

use super::{deliveries::Deliverer, mail::Mailer, queue::DeliveryQueue, secrets::SecretIds, Clock};
use crate::{
    domain::webhook_endpoint::SecretBox,
    http,
    store::{self, Store},
};

/// Everything a handler needs, built once per Lambda execution environment
/// (or once per local server) and shared by every invocation.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    /// The key card fingerprints are HMACs with (`CARD_FINGERPRINT_KEY`).
    /// Without it, cards cannot be tokenised (500, logged).
    pub card_fingerprint_key: Option<Vec<u8>>,
    /// The key idempotency request fingerprints are HMACs under
    /// (`REQUEST_FINGERPRINT_KEY_SECRET`): every POST function has it, only
    /// the card functions have the card fingerprint key. Without it, a
    /// request with an `Idempotency-Key` is a 500 (logged).
    pub request_fingerprint_key: Option<Vec<u8>>,
    /// Seals webhook secrets (`WEBHOOK_SECRET_KEY`). Without it, webhook
    /// endpoints cannot be created nor deliveries signed (500, logged).
    pub webhook_secrets: Option<SecretBox>,
    /// Whether webhook URLs may point at loopback, private or any other
    /// non-public address (`PAYNECTRA_ALLOW_LOCAL_WEBHOOK_URLS=1`: the local
    /// stack only). On Lambda they may not: 127.0.0.1:9001 is the Runtime
    /// API, and private ranges are the operator's network. When false, a
    /// literal non-public address is refused at creation, and the deliverer
    /// connects to public addresses only (checked on every connection).
    pub allow_local_webhook_urls: bool,
    /// Where `now` comes from (the system clock, or a test's).
    pub clock: Clock,
    /// Webhook delivery's queues (`WEBHOOK_QUEUE_URL`,
    /// `WEBHOOK_DEAD_LETTER_QUEUE_URL`): only the webhook functions have them.
    pub queue: Option<DeliveryQueue>,
    /// Live-mode receipts' mail service (`RECEIPT_SENDER`): only the
    /// function that fans events out has it.
    pub mailer: Option<Mailer>,
    /// The HTTP client webhooks go out with, built on first use (only the
    /// delivery functions need it, and loading the root certificates would
    /// add to every other function's cold start).
    pub deliverer: OnceLock<Deliverer>,
}

/// Key material never reaches a log line: `{:?}` says whether each key is
/// set, not what it is.
impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |yes: bool| if yes { "<redacted>" } else { "<unset>" };
        f.debug_struct("App")
            .field("store", &self.store)
            .field("card_fingerprint_key", &set(self.card_fingerprint_key.is_some()))
            .field("request_fingerprint_key", &set(self.request_fingerprint_key.is_some()))
            .field("webhook_secrets", &set(self.webhook_secrets.is_some()))
            .field("allow_local_webhook_urls", &self.allow_local_webhook_urls)
            .field("clock", &self.clock)
            .field("queue", &self.queue)
            .field("mailer", &self.mailer)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Builds the app from the environment: `TABLE_NAME` names the table,
    /// the AWS SDK's own variables (`AWS_REGION`, `AWS_ENDPOINT_URL_DYNAMODB`,
    /// credentials) choose where it lives, and the secrets the function uses
    /// come from Secrets Manager ([`super::secrets`]).
    pub async fn from_env() -> Result<Self, store::StoreError> {
        Self::load(&SecretIds::from_env(), None).await
    }

    /// [`App::from_env`], with `secrets` read from Secrets Manager at
    /// `secrets_endpoint` if given (the local stack's own).
    pub async fn load(secrets: &SecretIds, secrets_endpoint: Option<&str>) -> Result<Self, store::StoreError> {
        let config = store::sdk_config().await;
        let (store, values) = tokio::try_join!(
            Store::from_config(&config),
            super::secrets::fetch(&config, secrets_endpoint, secrets)
        )?;
        Ok(Self {
            card_fingerprint_key: values
                .card_fingerprint_key
                .filter(|k| k.len() >= 16)
                .map(String::into_bytes),
            request_fingerprint_key: values
                .request_fingerprint_key
                .filter(|k| k.len() >= 16)
                .map(String::into_bytes),
            allow_local_webhook_urls: std::env::var("PAYNECTRA_ALLOW_LOCAL_WEBHOOK_URLS").is_ok_and(|v| v == "1"),
            webhook_secrets: values.webhook_secret_key.as_deref().and_then(SecretBox::new),
            queue: DeliveryQueue::from_env(&config),
            mailer: Mailer::from_env(&config),
            ..Self::new(store)
        })
    }

    /// An app over `store` with no keys configured and the system clock
    /// (tests and tools set the fields they need).
    pub fn new(store: Store) -> Self {
        Self {
            store,
            card_fingerprint_key: None,
            request_fingerprint_key: None,
            webhook_secrets: None,
            allow_local_webhook_urls: false,
            clock: Clock::system(),
            queue: None,
            mailer: None,
            deliverer: OnceLock::new(),
        }
    }

    /// The webhook HTTP client, built once.
    pub fn deliverer(&self) -> Result<&Deliverer, std::io::Error> {
        if let Some(d) = self.deliverer.get() {
            return Ok(d);
        }
        let built = Deliverer::new(self.allow_local_webhook_urls).inspect_err(|e| {
            tracing::error!(error = %e, "no root certificates: webhooks cannot be delivered");
        })?;
        Ok(self.deliverer.get_or_init(|| built))
    }

    /// The request fingerprint key, or a 500 (logged) when it is not set.
    pub fn request_fingerprint_key(&self) -> Result<&[u8], http::ApiError> {
        self.request_fingerprint_key.as_deref().ok_or_else(|| {
            tracing::error!("the request fingerprint key is not set: requests with an Idempotency-Key cannot be run");
            http::ApiError::internal()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_key_material() {
        let client = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::Config::builder()
                .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
                .build(),
        );
        let app = App {
            card_fingerprint_key: Some(b"fingerprint-key-0123456789".to_vec()),
            webhook_secrets: SecretBox::new("webhook-secret-key-0123456789abcdef"),
            ..App::new(Store::new(client, "t"))
        };
        let shown = format!("{app:?}");
        assert!(!shown.contains("fingerprint-key"), "{shown}");
        assert!(!shown.contains("webhook-secret-key"), "{shown}");
        assert!(!shown.contains("102, 105, 110"), "no key bytes either: {shown}");
        assert!(shown.contains("card_fingerprint_key: \"<redacted>\""), "{shown}");
    }
}
