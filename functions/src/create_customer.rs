//! POST /v1/customers

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::{Customer, Event, EventType, NewCustomer},
    http::{
        idempotency::{self, Begin, Outcome},
        parse_json, serve,
        wire::{CreateCustomerRequest, CustomerObject},
        Reply,
    },
    store::Writes,
    App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(req, |ctx, req| async move {
        let new = NewCustomer::try_from(parse_json::<CreateCustomerRequest>(&req)?)?;
        let run = match idempotency::begin(&app.store, &ctx, &req).await? {
            Begin::Replay(reply) => return Ok(reply),
            Begin::Run(run) => run,
        };
        let customer = Customer::create(new, ctx.tenant.mode, paynectra::now_unix());
        let outcome = async {
            let reply = Reply::ok(&CustomerObject::from(&customer))?;
            let completion = run.completion(&reply);
            let event = Event::new(
                EventType::CustomerCreated,
                ctx.tenant.mode,
                &CustomerObject::from(&customer),
                None,
                ctx.event_request(),
                customer.created,
            );
            let writes = Writes::new(&event, completion.as_ref());
            app.store.insert_customer(&ctx.tenant, &customer, writes).await?;
            tracing::info!(customer_id = %customer.id, "customer created");
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
