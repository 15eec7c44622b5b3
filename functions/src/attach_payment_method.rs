//! POST /v1/customers/{id}/payment_methods

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::{CustomerId, PaymentMethod, PaymentMethodId},
    http::{
        idempotency::{self, Begin, Outcome},
        parse_json, path_id, serve,
        wire::{AttachPaymentMethodRequest, PaymentMethodObject},
        ApiError, Reply,
    },
    store::StoreError,
    App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(req, |ctx, req| async move {
        let customer: CustomerId = path_id(&req)?;
        let pm_id = PaymentMethodId::try_from(parse_json::<AttachPaymentMethodRequest>(&req)?)?;
        let run = match idempotency::begin(&app.store, &ctx, &req).await? {
            Begin::Replay(reply) => return Ok(reply),
            Begin::Run(run) => run,
        };
        let outcome = async {
            let pm = app
                .store
                .get_payment_method(&ctx.tenant, &pm_id)
                .await?
                .ok_or_else(|| ApiError::not_found("payment method", pm_id.as_str()).with_param("payment_method"))?;
            match &pm.customer {
                Some(c) if c == &customer => {}
                Some(_) => {
                    return Err(ApiError::invalid(
                        "payment_method_unexpected_state",
                        "This payment method is attached to another customer. Detach it first.",
                        Some("payment_method"),
                    ))
                }
                None => match app.store.attach_payment_method(&ctx.tenant, &pm, &customer).await {
                    Ok(()) => {}
                    Err(StoreError::CustomerNotFound(_)) => {
                        return Err(ApiError::not_found("customer", customer.as_str()))
                    }
                    Err(StoreError::Conflict) => {
                        return Err(ApiError::conflict(
                            "lock_timeout",
                            "This payment method was attached concurrently; retry this request.",
                        ))
                    }
                    Err(e) => return Err(e.into()),
                },
            }
            let attached = PaymentMethod {
                customer: Some(customer.clone()),
                ..pm
            };
            tracing::info!(payment_method_id = %attached.id, customer_id = %customer, "payment method attached");
            Ok(Outcome {
                recorded: false,
                reply: Reply::ok(&PaymentMethodObject::from(&attached))?,
            })
        }
        .await;
        run.finish(&app.store, outcome).await
    })
    .await
}
