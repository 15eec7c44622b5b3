//! The payment methods endpoints' handlers, one function each; a function's binary
//! (`src/bin/<function>.rs`) is one line over it.

use paynectra::{
    domain::{CardInput, CustomerId, ListWindow, PaymentMethodId, PrefixedId},
    http::{
        body, endpoint, idempotent, list_reply, listed, path_id, path_id_named, query, serve, serve_with,
        wire::PaymentMethodObject, Access, Handled, OrNotFound, Reply, Request, RequestCtx, Run,
    },
    service::{customers, payment_methods, App},
};

/// POST /v1/payment_methods
pub async fn create(app: &App, req: Request) -> Handled {
    serve_with(app, Access::Publishable, req, |ctx, req| async move {
        let input: CardInput = body(&req)?;
        let card = input.validate(app.fingerprint_key()?, ctx.now)?;
        idempotent(app, &ctx, &req, async |run| {
            payment_methods::create(app, &ctx, card, run).await
        })
        .await
    })
    .await
}

/// GET /v1/payment_methods/{id}
pub async fn get(app: &App, req: Request) -> Handled {
    let load = async |ctx: &RequestCtx, id: &PaymentMethodId| app.store.get_payment_method(&ctx.tenant, id).await;
    endpoint::retrieve(app, req, load, |_, pm| Reply::ok(&PaymentMethodObject::from(&pm))).await
}

/// POST /v1/customers/{id}/payment_methods
pub async fn attach(app: &App, req: Request) -> Handled {
    // The body names the payment method to attach.
    let attach = async |ctx: &RequestCtx, customer: &CustomerId, pm_id: PaymentMethodId, _: &Run| {
        payment_methods::attach(app, ctx, customer, &pm_id).await
    };
    endpoint::act(app, req, attach).await
}

/// GET /v1/customers/{id}/payment_methods
pub async fn list(app: &App, req: Request) -> Handled {
    serve(app, req, |ctx, req| async move {
        let customer: CustomerId = path_id(&req)?;
        let window: ListWindow<PaymentMethodId> = query(&req)?;
        customers::live(app, &ctx, &customer).await?;
        let found = app
            .store
            .list_customer_payment_methods(&ctx.tenant, &customer, &window)
            .await;
        // The real path, so a client that follows `url` to page on works.
        let url = format!("/v1/customers/{customer}/payment_methods");
        list_reply(url, &listed(found, PaymentMethodId::KIND)?, PaymentMethodObject::from)
    })
    .await
}

/// DELETE /v1/customers/{id}/payment_methods/{payment_method_id}
pub async fn detach(app: &App, req: Request) -> Handled {
    serve(app, req, |ctx, req| async move {
        let customer: CustomerId = path_id(&req)?;
        let pm_id: PaymentMethodId = path_id_named(&req, "payment_method_id")?;
        // One conditional UpdateItem that returns the method as it now is.
        let detached = app.store.detach_payment_method(&ctx.tenant, &pm_id, &customer).await?;
        let pm = detached
            .or_not_found("payment method", pm_id.as_str())
            .map_err(|e| e.with_param("payment_method_id"))?;
        tracing::info!(payment_method_id = %pm_id, customer_id = %customer, "payment method detached");
        Reply::ok(&PaymentMethodObject::from(&pm))
    })
    .await
}
