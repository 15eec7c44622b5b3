//! DELETE /v1/customers/{id}

use lambda_http::{Body, Error, Request, Response};
use paynectra::{
    domain::CustomerId,
    http::{path_id, serve},
    service::{customers, App},
};

pub async fn handler(app: &App, req: Request) -> Result<Response<Body>, Error> {
    serve(app, req, |ctx, req| async move {
        let id: CustomerId = path_id(&req)?;
        customers::delete(app, &ctx, &id).await
    })
    .await
}
