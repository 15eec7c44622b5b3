//! POST /v1/payments

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::{Event, EventType, NewPayment, Payment},
    http::{
        idempotency::{self, Begin, Outcome},
        parse_json, serve,
        wire::{CreatePaymentRequest, PaymentObject},
        ApiError, Reply,
    },
    store::{StoreError, Writes},
    App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(req, |ctx, req| async move {
        let new = NewPayment::try_from(parse_json::<CreatePaymentRequest>(&req)?)?;
        let run = match idempotency::begin(&app.store, &ctx, &req).await? {
            Begin::Replay(reply) => return Ok(reply),
            Begin::Run(run) => run,
        };
        let payment = Payment::create(new, ctx.tenant.mode, paynectra::now_unix());
        let outcome = async {
            let reply = Reply::ok(&PaymentObject::with_secret(&payment))?;
            let completion = run.completion(&reply);
            let event = Event::new(
                EventType::PaymentCreated,
                ctx.tenant.mode,
                &PaymentObject::from(&payment),
                None,
                ctx.event_request(),
                payment.created,
            );
            let writes = Writes::new(&event, completion.as_ref());
            match app.store.insert_payment(&ctx.tenant, &payment, writes).await {
                Ok(()) => {}
                Err(StoreError::CustomerNotFound(id)) => {
                    return Err(ApiError::invalid(
                        "resource_missing",
                        format!("No such customer: '{id}'"),
                        Some("customer_id"),
                    ))
                }
                // The customer was being changed by another transaction at
                // the same instant: nothing was written, and a retry is safe.
                Err(StoreError::Conflict) => {
                    return Err(ApiError::conflict(
                        "lock_timeout",
                        "The customer was being modified concurrently; retry this request.",
                    ))
                }
                Err(e) => return Err(e.into()),
            }
            tracing::info!(payment_id = %payment.id, "payment created");
            Ok(Outcome {
                recorded: completion.is_some(),
                reply,
            })
        }
        .await;
        run.finish(&app.store, outcome).await
    })
    .await
}
