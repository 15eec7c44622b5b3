//! The HTTP edge shared by every function: request parsing, the one error
//! shape, authentication, and the request wrapper that adds the request id
//! to every response and log line.

pub mod auth;
pub mod body;
pub mod endpoint;
pub mod error;
pub mod idempotency;
mod list;
pub mod query;
mod serve;
pub mod wire;

pub use body::{body, parse_json, FromBody};
pub use error::{ApiError, ErrorType, OrNotFound};
pub use idempotency::{idempotent, Outcome, Run};
pub use lambda_http::Request;
pub use list::{list_reply, listed, Listed};
pub use query::{query, FromQuery, QueryParams};
pub use serve::{
    path_id, path_id_named, public_url, serve, serve_with, Access, Handled, Reply, RequestCtx, REQUEST_ID_HEADER,
};
