//! The local stack's API server.
//!
//! It serves every route of `template.yaml` on a local port the way API
//! Gateway (REST) does on AWS: it matches the route, runs the same Lambda
//! authorizer (with the same REQUEST event shape and IAM-policy answer),
//! builds the same proxy event, and runs the function's handler through
//! `lambda_http`'s own adapter, the code path `lambda_http::run` uses on
//! Lambda. What API Gateway answers by itself (bad key, unknown route, body
//! too large, a crashed function) comes from the template's gateway
//! responses.
//!
//! - [`template`]: what is read from `template.yaml`.
//! - `server`: the HTTP server and API Gateway's order of work per request.
//! - `apigw`: the REST proxy and authorizer events, the proxy response
//!   turned back into HTTP, the gateway responses.
//! - `iam`: evaluating the authorizer's policy.
//! - `throttle`: the token buckets of API Gateway's throttles (per method
//!   of the stage, per usage key).
//! - [`limits`]: the usage plans of the authorizer's usage keys (per-account
//!   rate limits), read from the local API Gateway (moto).
//! - `functions`: the workspace's functions by binary name.
//! - [`stream`]: webhook delivery from the table's stream.
//! - [`queue`]: webhook delivery's queues (in moto) and their event source mapping.
//! - [`secrets`]: the local Secrets Manager the functions read their keys from.
//! - [`body`]: reading a whole HTTP body.
//! - [`sdk`]: the SDK configuration of every client of a local emulator.

mod apigw;
pub mod body;
mod functions;
mod iam;
pub mod limits;
pub mod queue;
pub mod sdk;
pub mod secrets;
mod server;
pub mod stream;
pub mod template;
mod throttle;

pub use apigw::{LOCAL_REST_API_ID, LOCAL_STAGE, MAX_BODY_BYTES};
pub use functions::function_names;
pub use limits::UsageLimits;
pub use server::{serve, LocalApi};
pub use template::{Route, Template, ThrottleLimits};
pub use throttle::Throttling;
