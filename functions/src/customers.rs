//! The customers endpoints' handlers, one function each; a function's binary
//! (`src/bin/<function>.rs`) is one line over it.

use paynectra::{
    domain::{CustomerId, CustomerUpdate, NewCustomer},
    http::{
        endpoint, path_id, serve,
        wire::{CustomerObject, DeletedObject, ListCustomersRequest},
        Handled, Reply, Request, RequestCtx, Run,
    },
    service::{customers, App},
};

/// POST /v1/customers
pub async fn create(app: &App, req: Request) -> Handled {
    endpoint::create(app, req, async |ctx, new: NewCustomer, run| {
        customers::create(app, ctx, new, run).await
    })
    .await
}

/// GET /v1/customers/{id}
pub async fn get(app: &App, req: Request) -> Handled {
    let load = async |ctx: &RequestCtx, id: &CustomerId| app.store.get_customer(&ctx.tenant, id).await;
    endpoint::retrieve(app, req, load, |id, customer| {
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
    let update = async |ctx: &RequestCtx, id: &CustomerId, update: CustomerUpdate, run: &Run| {
        customers::update(app, ctx, id, update, run).await
    };
    endpoint::act(app, req, update).await
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
    let load = async |ctx: &RequestCtx, list: ListCustomersRequest| {
        let email = list.filter.email.as_deref();
        app.store
            .list_customers(&ctx.tenant, email, &list.created, &list.window)
            .await
    };
    endpoint::list(app, req, "/v1/customers", load).await
}
