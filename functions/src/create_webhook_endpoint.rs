//! POST /v1/webhook_endpoints

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::WebhookEndpoint,
    http::{
        idempotency::{self, Begin, Outcome},
        parse_json, serve,
        wire::{CreateWebhookEndpointRequest, NewWebhookEndpoint, WebhookEndpointObject},
        ApiError, Reply,
    },
    store::Writes,
    webhook::new_secret,
    App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(req, |ctx, req| async move {
        let new = NewWebhookEndpoint::try_from(parse_json::<CreateWebhookEndpointRequest>(&req)?)?;
        if new.url.is_internal() && !app.allow_local_webhook_urls {
            return Err(ApiError::invalid(
                "url_invalid",
                "Invalid url: webhook endpoints must be on the public internet (not localhost or a private address).",
                Some("url"),
            ));
        }
        let sealer = app.webhook_secrets.as_ref().ok_or_else(|| {
            tracing::error!("WEBHOOK_SECRET_KEY is not set: webhook secrets cannot be stored");
            ApiError::internal()
        })?;
        let run = match idempotency::begin(&app.store, &ctx, &req).await? {
            Begin::Replay(reply) => return Ok(reply),
            Begin::Run(run) => run,
        };
        let secret = new_secret();
        let endpoint = WebhookEndpoint::create(
            new.url,
            new.enabled_events,
            |id| sealer.seal(&secret, id.as_str()),
            ctx.tenant.mode,
            paynectra::now_unix(),
        );
        let outcome = async {
            // The secret is shown once, here. A retry with the same
            // Idempotency-Key replays the endpoint without it: idempotency
            // records hold responses in plaintext, and secrets are never
            // stored in plaintext.
            let without_secret = Reply::ok(&WebhookEndpointObject::from(&endpoint))?;
            let completion = run.completion(&without_secret);
            let writes = Writes {
                event: None,
                completion: completion.as_ref(),
            };
            app.store
                .insert_webhook_endpoint(&ctx.tenant, &endpoint, writes)
                .await?;
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
        .await;
        run.finish(&app.store, outcome).await
    })
    .await
}
