//! The cold-start baseline (`bench-lambda cold`): a hello-world
//! `lambda_http` function, built with the same release profile and the same
//! `lambda_http` features as the functions, with no AWS SDK and no
//! DynamoDB. Whatever our functions take beyond it at init is ours.

use lambda_http::{service_fn, Body, Error, Request, Response};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::run(service_fn(|_: Request| async {
        Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Body::from(r#"{"hello":"world"}"#))
            .map_err(Error::from)
    }))
    .await
}
