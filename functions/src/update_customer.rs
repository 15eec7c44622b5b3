//! POST /v1/customers/{id}

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::{event::previous_attributes, CustomerId, CustomerUpdate, Event, EventType},
    http::{
        idempotency::{self, Begin, Outcome, Run},
        parse_json, path_id, serve,
        wire::{CustomerObject, UpdateCustomerRequest},
        ApiError, Reply, RequestCtx,
    },
    store::{StoreError, Writes},
    App,
};

/// Rounds of read-merge-write when concurrent updates collide.
const MAX_ATTEMPTS: u32 = 5;

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(req, |ctx, req| async move {
        let id: CustomerId = path_id(&req)?;
        let update = CustomerUpdate::try_from(parse_json::<UpdateCustomerRequest>(&req)?)?;
        let run = match idempotency::begin(&app.store, &ctx, &req).await? {
            Begin::Replay(reply) => return Ok(reply),
            Begin::Run(run) => run,
        };
        let outcome = update_with_retries(app, &ctx, &id, update, &run).await;
        run.finish(&app.store, outcome).await
    })
    .await
}

async fn update_with_retries(
    app: &App,
    ctx: &RequestCtx,
    id: &CustomerId,
    update: CustomerUpdate,
    run: &Run,
) -> Result<Outcome, ApiError> {
    for _ in 0..MAX_ATTEMPTS {
        let current = app
            .store
            .get_customer(&ctx.tenant, id)
            .await?
            .filter(|c| !c.deleted)
            .ok_or_else(|| ApiError::not_found("customer", id.as_str()))?;
        let next = current.updated(update.clone())?;
        let reply = Reply::ok(&CustomerObject::from(&next))?;
        let completion = run.completion(&reply);
        let before = serde_json::to_value(CustomerObject::from(&current)).unwrap_or_default();
        let after = serde_json::to_value(CustomerObject::from(&next)).unwrap_or_default();
        let event = Event::new(
            EventType::CustomerUpdated,
            ctx.tenant.mode,
            &after,
            Some(previous_attributes(&before, &after)),
            ctx.event_request(),
            paynectra::now_unix(),
        );
        let writes = Writes::new(&event, completion.as_ref());
        match app.store.replace_customer(&ctx.tenant, &next, writes).await {
            Ok(()) => {
                tracing::info!(customer_id = %id, version = next.version, "customer updated");
                return Ok(Outcome {
                    recorded: completion.is_some(),
                    reply,
                });
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::conflict(
        "lock_timeout",
        "This customer is being updated concurrently by other requests; retry this request.",
    ))
}
