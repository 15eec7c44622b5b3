//! POST /v1/payments/{id}/capture

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::PaymentId,
    http::{
        idempotency::{self, Begin},
        parse_json, path_id, serve,
        wire::CapturePaymentRequest,
    },
    lifecycle::{transition, TransitionRequest},
    App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(req, |ctx, req| async move {
        let id: PaymentId = path_id(&req)?;
        let amount = Option::<i64>::try_from(parse_json::<CapturePaymentRequest>(&req)?)?;
        let run = match idempotency::begin(&app.store, &ctx, &req).await? {
            Begin::Replay(reply) => return Ok(reply),
            Begin::Run(run) => run,
        };
        let now = paynectra::now_unix();
        let outcome = transition(
            app,
            &ctx.tenant,
            &id,
            &run,
            &TransitionRequest::from_ctx(&ctx),
            |_| Ok(()),
            |p| p.capture(amount, now),
        )
        .await;
        run.finish(&app.store, outcome).await
    })
    .await
}
