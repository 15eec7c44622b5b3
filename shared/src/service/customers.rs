//! Customers: creation, versioned updates retried on conflict, tombstones.

use super::App;
use crate::{
    domain::{event::previous_attributes, Customer, CustomerId, CustomerUpdate, EventType, NewCustomer},
    http::{
        wire::{CustomerObject, DeletedObject},
        ApiError, Outcome, Reply, RequestCtx, Run,
    },
    store::{StoreError, Writes},
};

/// Rounds of read-merge-write when concurrent updates collide.
const MAX_ATTEMPTS: u32 = 5;

/// `POST /v1/customers`.
pub async fn create(app: &App, ctx: &RequestCtx, new: NewCustomer, run: &Run) -> Result<Outcome, ApiError> {
    let customer = Customer::create(new, ctx.tenant.mode, ctx.now);
    let reply = Reply::ok(&CustomerObject::from(&customer))?;
    let completion = run.completion(&reply);
    let event = ctx.event(EventType::CustomerCreated, &CustomerObject::from(&customer), None);
    app.store
        .insert(&ctx.tenant, &customer, Writes::new(&event, completion.as_ref()))
        .await?;
    tracing::info!(customer_id = %customer.id, "customer created");
    Ok(Outcome::written(reply, &completion))
}

/// The tenant's live customer `id`, or a 404.
pub async fn live(app: &App, ctx: &RequestCtx, id: &CustomerId) -> Result<Customer, ApiError> {
    app.store
        .get_customer(&ctx.tenant, id)
        .await?
        .filter(|c| !c.deleted)
        .ok_or_else(|| ApiError::not_found("customer", id.as_str()))
}

/// `POST /v1/customers/{id}`: read, merge, write conditioned on the version
/// read; a lost race reads and merges again.
pub async fn update(
    app: &App,
    ctx: &RequestCtx,
    id: &CustomerId,
    update: CustomerUpdate,
    run: &Run,
) -> Result<Outcome, ApiError> {
    for _ in 0..MAX_ATTEMPTS {
        let current = live(app, ctx, id).await?;
        let next = current.updated(update.clone())?;
        let reply = Reply::ok(&CustomerObject::from(&next))?;
        let completion = run.completion(&reply);
        let before = serde_json::to_value(CustomerObject::from(&current)).unwrap_or_default();
        let after = serde_json::to_value(CustomerObject::from(&next)).unwrap_or_default();
        let event = ctx.event(
            EventType::CustomerUpdated,
            &after,
            Some(previous_attributes(&before, &after)),
        );
        match app
            .store
            .replace_customer(&ctx.tenant, &next, Writes::new(&event, completion.as_ref()))
            .await
        {
            Ok(()) => {
                tracing::info!(customer_id = %id, version = next.version, "customer updated");
                return Ok(Outcome::written(reply, &completion));
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

/// `DELETE /v1/customers/{id}`: a tombstone, with its event.
pub async fn delete(app: &App, ctx: &RequestCtx, id: &CustomerId) -> Result<Reply, ApiError> {
    let customer = live(app, ctx, id).await?;
    let event = ctx.event(EventType::CustomerDeleted, &CustomerObject::from(&customer), None);
    if !app.store.delete_customer(&ctx.tenant, id, Some(&event)).await? {
        return Err(ApiError::not_found("customer", id.as_str()));
    }
    tracing::info!(customer_id = %id, "customer deleted");
    Reply::ok(&DeletedObject::new(id.as_str(), "customer"))
}
