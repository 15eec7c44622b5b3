//! Reading a whole HTTP body.

use http_body_util::BodyExt;
use hyper::body::{Body, Bytes};

/// All of `body`'s bytes, or none if reading it fails (a peer gone
/// mid-body): for the local servers and proxies, which answer or record
/// what they got rather than fail.
pub async fn bytes_or_empty<B: Body>(body: B) -> Bytes {
    body.collect().await.map(|b| b.to_bytes()).unwrap_or_default()
}
