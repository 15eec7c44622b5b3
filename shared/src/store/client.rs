//! The DynamoDB client: one HTTP/TLS stack (hyper 1 + rustls on ring), short
//! timeouts and bounded retries, so a DynamoDB outage gives a fast 5xx
//! instead of a request that hangs until the Lambda timeout.

use std::time::Duration;

use aws_config::{retry::RetryConfig, timeout::TimeoutConfig, BehaviorVersion};
use aws_smithy_http_client::tls;

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
