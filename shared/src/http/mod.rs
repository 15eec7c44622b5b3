//! The HTTP edge shared by every function: request parsing, the one error
//! shape, authentication, and the request wrapper that adds the request id
//! to every response and log line.

pub mod auth;
pub mod body;
pub mod error;
pub mod idempotency;
mod list;
pub mod query;
mod serve;
pub mod wire;

pub use body::parse_json;
pub use error::{ApiError, ErrorType};
pub use idempotency::{idempotent, Outcome, Run};
pub use list::{list_reply, listed};
pub use query::QueryParams;
pub use serve::{path_id, path_id_named, serve, serve_with, Access, Reply, RequestCtx, REQUEST_ID_HEADER};
