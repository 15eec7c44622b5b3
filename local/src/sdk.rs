//! The SDK configuration every client of a local emulator is built from
//! (DynamoDB Local, moto, the local Secrets Manager).

/// The functions' own SDK configuration (`paynectra::store::sdk_config`:
/// its HTTP client, timeouts and retries) in `us-east-1` with dummy
/// credentials (the emulators do not check signatures). Each client sets its
/// emulator's endpoint on its own config builder, so that an endpoint given
/// here wins over the environment's `AWS_ENDPOINT_URL_*`.
pub async fn config() -> aws_config::SdkConfig {
    paynectra::store::sdk_config()
        .await
        .to_builder()
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
            aws_sdk_dynamodb::config::Credentials::new("local", "local", None, None, "local"),
        ))
        .build()
}
