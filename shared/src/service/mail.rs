//! Live-mode receipts' mail service: Amazon SES (its v2 API), from the one
//! sender the stack's `ReceiptSender` parameter names (the function's role
//! may send from that address only). Reached with the SDK configuration
//! every client shares (`AWS_ENDPOINT_URL_SESV2` points it elsewhere: moto,
//! in the tests).

use aws_sdk_sesv2::{
    error::ProvideErrorMetadata,
    types::{Body, Content, Destination, EmailContent, Message},
};

/// The environment variable with the sender's address (empty or unset: no
/// live receipts are sent, and each says why).
pub const RECEIPT_SENDER: &str = "RECEIPT_SENDER";

/// Why a message was not sent: the service's error code (what logs may
/// show) and its message (which can name addresses: kept on the receipt,
/// never logged).
#[derive(Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub struct MailError {
    pub code: String,
    pub message: String,
}

/// The sender and the client that sends. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Mailer {
    client: aws_sdk_sesv2::Client,
    sender: String,
}

impl Mailer {
    pub fn new(client: aws_sdk_sesv2::Client, sender: impl Into<String>) -> Self {
        Self {
            client,
            sender: sender.into(),
        }
    }

    /// The mailer the function's environment configures, if it does.
    pub fn from_env(config: &aws_config::SdkConfig) -> Option<Self> {
        let sender = std::env::var(RECEIPT_SENDER).ok().filter(|s| !s.trim().is_empty())?;
        Some(Self::new(aws_sdk_sesv2::Client::new(config), sender.trim()))
    }

    pub fn sender(&self) -> &str {
        &self.sender
    }

    /// Sends a plain-text message to `to`; returns the service's message id.
    pub async fn send(&self, to: &str, subject: &str, text: &str) -> Result<String, MailError> {
        let content = |data: &str| {
            Content::builder()
                .data(data)
                .charset("UTF-8")
                .build()
                .expect("data is set")
        };
        let message = Message::builder()
            .subject(content(subject))
            .body(Body::builder().text(content(text)).build())
            .build();
        let out = self
            .client
            .send_email()
            .from_email_address(&self.sender)
            .destination(Destination::builder().to_addresses(to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|e| MailError {
                code: e.code().unwrap_or("unreachable").to_owned(),
                message: e
                    .message()
                    .map(str::to_owned)
                    .unwrap_or_else(|| aws_sdk_sesv2::error::DisplayErrorContext(&e).to_string()),
            })?;
        Ok(out.message_id().unwrap_or_default().to_owned())
    }
}
