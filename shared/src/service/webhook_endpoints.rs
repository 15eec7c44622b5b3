//! Webhook endpoints: creation, with the signing secret shown once and
//! stored sealed.

use std::future::Future;

use super::App;
use crate::{
    domain::{
        webhook_endpoint::{new_secret, MAX_ENDPOINTS},
        NewWebhookEndpoint, Tenant, WebhookEndpoint, WebhookEndpointId,
    },
    http::{wire::WebhookEndpointObject, ApiError, Outcome, Reply, RequestCtx, Run},
    store::{StoreError, Writes},
};

/// A write of the tenant's endpoint count, tried again while it clashes
/// with a concurrent one (a transaction conflict: nothing was written),
/// with a short random pause, so concurrent creations queue up on the
/// count rather than fail.
async fn on_the_count<T, F, Fut>(write: F) -> Result<T, StoreError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let mut tries = 0;
    loop {
        match write().await {
            Err(StoreError::Conflict) if tries < 20 => {
                tries += 1;
                let mut jitter = [0u8; 1];
                let _ = getrandom::fill(&mut jitter);
                tokio::time::sleep(std::time::Duration::from_millis(10 + u64::from(jitter[0]) / 4)).await;
            }
            other => return other,
        }
    }
}

/// Refuses, when deployed, an endpoint on loopback or a private address,
/// and a deployment that cannot seal secrets; both before any write.
pub fn vet(app: &App, new: &NewWebhookEndpoint) -> Result<(), ApiError> {
    if new.url.is_internal() && !app.allow_local_webhook_urls {
        return Err(ApiError::invalid(
            "url_invalid",
            "Invalid url: webhook endpoints must be on the public internet (not localhost or a private address).",
            Some("url"),
        ));
    }
    sealer(app).map(|_| ())
}

fn sealer(app: &App) -> Result<&crate::domain::webhook_endpoint::SecretBox, ApiError> {
    app.webhook_secrets.as_ref().ok_or_else(|| {
        tracing::error!("WEBHOOK_SECRET_KEY is not set: webhook secrets cannot be stored");
        ApiError::internal()
    })
}

/// `POST /v1/webhook_endpoints`.
pub async fn create(app: &App, ctx: &RequestCtx, new: NewWebhookEndpoint, run: &Run) -> Result<Outcome, ApiError> {
    let sealer = sealer(app)?;
    let secret = new_secret();
    let endpoint = WebhookEndpoint::create(
        new.url,
        new.enabled_events,
        |id| sealer.seal(&secret, id.as_str()),
        ctx.tenant.mode,
        ctx.now,
    );
    // The secret is shown once, here. A retry with the same Idempotency-Key
    // replays the endpoint without it: idempotency records hold responses
    // in plaintext, and secrets are never stored in plaintext.
    let without_secret = Reply::ok(&WebhookEndpointObject::from(&endpoint))?;
    let completion = run.completion(&without_secret);
    let writes = Writes {
        event: None,
        also: None,
        balance: None,
        completion: completion.as_ref(),
    };
    on_the_count(|| app.store.insert(&ctx.tenant, &endpoint, writes))
        .await
        .map_err(|e| match e {
            StoreError::WebhookEndpointLimit => ApiError::invalid(
                "webhook_endpoint_limit_reached",
                format!(
                    "You have reached the maximum of {MAX_ENDPOINTS} webhook endpoints in {} mode; delete one before creating another.",
                    ctx.tenant.mode.as_str()
                ),
                None,
            ),
            e => e.into(),
        })?;
    tracing::info!(webhook_endpoint_id = %endpoint.id, "webhook endpoint created");
    let object = WebhookEndpointObject {
        secret: Some(&secret),
        ..WebhookEndpointObject::from(&endpoint)
    };
    Ok(Outcome {
        recorded: true,
        reply: Reply::ok(&object)?,
    })
}

/// `DELETE /v1/webhook_endpoints/{id}`: false if there is no such endpoint.
pub async fn delete(app: &App, tenant: &Tenant, id: &WebhookEndpointId) -> Result<bool, StoreError> {
    on_the_count(|| app.store.delete_webhook_endpoint(tenant, id)).await
}
