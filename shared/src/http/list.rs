//! The one shape of every list endpoint's answer.

use serde::Serialize;

use super::{wire::ListObject, ApiError, Reply};
use crate::{
    domain::{Page, PrefixedId},
    store::{ReadStats, StoreError},
};

/// An object a list endpoint pages through: its id (whose
/// [`PrefixedId::KIND`] names it in messages and logs) and its wire object
/// (the table is in `wire`).
pub trait Listed: Sized {
    type Id: PrefixedId;
    type Object<'a>: Serialize + From<&'a Self>
    where
        Self: 'a;
}

/// The page a list endpoint's store call gave, its cost logged; a cursor
/// that names nothing of the tenant is a 400 naming the cursor parameter
/// (see [`ApiError::from_list_error`]).
pub fn listed<T, E: ListError>(
    result: Result<(Page<T>, ReadStats), E>,
    kind: &'static str,
) -> Result<Page<T>, ApiError> {
    let (page, stats) = result.map_err(|e| e.into_api_error(kind))?;
    tracing::info!(
        returned = page.data.len(),
        has_more = page.has_more,
        queries = stats.queries,
        items_read = stats.items_read,
        read_capacity = stats.read_capacity,
        "{kind}s listed"
    );
    Ok(page)
}

/// The reply of a list endpoint: each item of `page` as its wire `object`,
/// under `url` (the path a client follows to page on, with real ids).
pub fn list_reply<'p, T, O: Serialize>(
    url: impl Into<String>,
    page: &'p Page<T>,
    object: impl Fn(&'p T) -> O,
) -> Result<Reply, ApiError> {
    let data = page.data.iter().map(object).collect();
    Reply::ok(&ListObject::new(url, page.has_more, data))
}

/// What a list's read can fail with: the store's errors (a cursor that
/// names no object of the list is the caller's 400), or an answer the
/// service decided already.
pub trait ListError {
    fn into_api_error(self, kind: &'static str) -> ApiError;
}

impl ListError for StoreError {
    fn into_api_error(self, kind: &'static str) -> ApiError {
        ApiError::from_list_error(self, kind)
    }
}

impl ListError for ApiError {
    fn into_api_error(self, _kind: &'static str) -> ApiError {
        self
    }
}
