//! POST /v1/customers/{id}

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::{CustomerId, CustomerUpdate, Tenant},
    http::{
        idempotency::{self, Begin, Outcome, Run},
        parse_json, path_id, serve,
        wire::{CustomerObject, UpdateCustomerRequest},
        ApiError, Reply,
    },
    store::StoreError,
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
        let outcome = update_with_retries(app, &ctx.tenant, &id, update, &run).await;
        run.finish(&app.store, outcome).await
    })
    .await
}

async fn update_with_retries(
    app: &App,
    tenant: &Tenant,
    id: &CustomerId,
    update: CustomerUpdate,
    run: &Run,
) -> Result<Outcome, ApiError> {
    for _ in 0..MAX_ATTEMPTS {
        let current = app
            .store
            .get_customer(tenant, id)
            .await?
            .filter(|c| !c.deleted)
            .ok_or_else(|| ApiError::not_found("customer", id.as_str()))?;
        let next = current.updated(update.clone())?;
        let reply = Reply::ok(&CustomerObject::from(&next))?;
        let completion = run.completion(&reply);
        match app.store.replace_customer(tenant, &next, completion.as_ref()).await {
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
