//! The DynamoDB client: one HTTP/TLS stack (hyper 1 + rustls on ring), short
//! timeouts and bounded retries, so a DynamoDB outage gives a fast 5xx
//! instead of a request that hangs until the Lambda timeout.

use std::time::Duration;

use aws_config::{retry::RetryConfig, timeout::TimeoutConfig, BehaviorVersion};
use aws_sdk_dynamodb::{error::DisplayErrorContext, Client};
use aws_smithy_http_client::tls;

use super::{error::StoreError, item::s, keys};

/// Loads the AWS configuration from the environment (region, credentials,
/// `AWS_ENDPOINT_URL_DYNAMODB` for DynamoDB Local) with our HTTP client.
pub async fn sdk_config() -> aws_config::SdkConfig {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(3))
                .operation_timeout(Duration::from_secs(8))
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .load()
        .await
}

pub async fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&sdk_config().await)
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

/// The table and the client to reach it. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pub(super) client: Client,
    pub(super) table: String,
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
        Self::from_config(&sdk_config().await).await
    }

    /// The table named by `TABLE_NAME`, reached with `config`.
    pub async fn from_config(config: &aws_config::SdkConfig) -> Result<Self, StoreError> {
        let table = std::env::var("TABLE_NAME").map_err(|_| StoreError::Config("TABLE_NAME is not set".into()))?;
        Ok(Self::new(Client::new(config), table))
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
}
