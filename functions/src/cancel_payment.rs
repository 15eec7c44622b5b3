//! POST /v1/payments/{id}/cancel

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::{CancellationReason, PaymentId},
    http::{
        idempotency::{self, Begin},
        parse_json, path_id, serve,
        wire::CancelPaymentRequest,
    },
    lifecycle::{transition, TransitionRequest},
    App,
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(req, |ctx, req| async move {
        let id: PaymentId = path_id(&req)?;
        let reason = Option::<CancellationReason>::try_from(parse_json::<CancelPaymentRequest>(&req)?)?;
        let run = match idempotency::begin(&app.store, &ctx, &req).await? {
            Begin::Replay(reply) => return Ok(reply),
            Begin::Run(run) => run,
        };
        let outcome = transition(
            app,
            &ctx.tenant,
            &id,
            &run,
            &TransitionRequest::from_ctx(&ctx),
            |_| Ok(()),
            |p| p.cancel(reason),
        )
        .await;
        run.finish(&app.store, outcome).await
    })
    .await
}
