//! POST /v1/payment_methods

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::{CardInput, PaymentMethod},
    http::{
        idempotency::{self, Begin, Outcome},
        parse_json, serve_with,
        wire::{CreatePaymentMethodRequest, PaymentMethodObject},
        Access, Reply,
    },
    store::Writes,
    App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve_with(Access::Publishable, req, |ctx, req| async move {
        let input = CardInput::try_from(parse_json::<CreatePaymentMethodRequest>(&req)?)?;
        let key = app.fingerprint_key()?;
        let now = paynectra::now_unix();
        let card = input.validate(key, now)?;
        let run = match idempotency::begin(&app.store, &ctx, &req).await? {
            Begin::Replay(reply) => return Ok(reply),
            Begin::Run(run) => run,
        };
        let pm = PaymentMethod::create(card, ctx.tenant.mode, now);
        let outcome = async {
            let reply = Reply::ok(&PaymentMethodObject::from(&pm))?;
            let completion = run.completion(&reply);
            let writes = Writes {
                event: None,
                completion: completion.as_ref(),
            };
            app.store.insert_payment_method(&ctx.tenant, &pm, writes).await?;
            tracing::info!(payment_method_id = %pm.id, brand = ?pm.card.brand, "payment method created");
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
