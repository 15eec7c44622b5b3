//! The customers endpoints' handlers, one function each; a function's binary
//! (`src/bin/<function>.rs`) is one line over it.

use paynectra::{
    domain::{CustomerId, CustomerUpdate, NewCustomer},
    http::{
        body, idempotent, list_reply, listed, path_id, query, serve,
        wire::{CustomerObject, DeletedObject, ListCustomersRequest},
        Handled, OrNotFound, Reply, Request,
    },
    service::{customers, App},
};

/// POST /v1/customers
pub async fn create(app: &App, req: Request) -> Handled {
    serve(app, req, |ctx, req| async move {
        let new: NewCustomer = body(&req)?;
        idempotent(app, &ctx, &req, async |run| {
            customers::create(app, &ctx, new, run).await
        })
        .await
    })
    .await
}

/// GET /v1/customers/{id}
pub async fn get(app: &App, req: Request) -> Handled {
    serve(app, req, |ctx, req| async move {
        let id: CustomerId = path_id(&req)?;
        let customer = app
            .store
            .get_customer(&ctx.tenant, &id)
            .await?
            .or_not_found("customer", id.as_str())?;
        if customer.deleted {
            // As on Stripe: a deleted customer can still be retrieved, as a stub.
            return Reply::ok(&DeletedObject::new(id.as_str(), "customer"));
        }
        Reply::ok(&CustomerObject::from(&customer))
    })
    .await
}

/// POST /v1/customers/{id}
pub async fn update(app: &App, req: Request) -> Handled {
    serve(app, req, |ctx, req| async move {
        let id: CustomerId = path_id(&req)?;
        let update: CustomerUpdate = body(&req)?;
        idempotent(app, &ctx, &req, async |run| {
            customers::update(app, &ctx, &id, update, run).await
        })
        .await
    })
    .await
}

/// DELETE /v1/customers/{id}
pub async fn delete(app: &App, req: Request) -> Handled {
    serve(app, req, |ctx, req| async move {
        let id: CustomerId = path_id(&req)?;
        customers::delete(app, &ctx, &id).await
    })
    .await
}

/// GET /v1/customers
pub async fn list(app: &App, req: Request) -> Handled {
    serve(app, req, |ctx, req| async move {
        let list: ListCustomersRequest = query(&req)?;
        let email = list.filter.email.as_deref();
        let found = app
            .store
            .list_customers(&ctx.tenant, email, &list.created, &list.window)
            .await;
        list_reply("/v1/customers", &listed(found, "customer")?, CustomerObject::from)
    })
    .await
}
