//! What every list shares: the list object, the window (limit and
//! cursors) and the `created[...]` range.

use serde::Serialize;

use crate::{
    domain::{CreatedRange, ListWindow, ValidationError},
    http::QueryParams,
};

/// A page of a list: `{"object": "list", "url", "has_more", "data"}`.
#[derive(Debug, Serialize)]
pub struct ListObject<T> {
    pub object: &'static str,
    pub url: String,
    pub has_more: bool,
    pub data: Vec<T>,
}

impl<T> ListObject<T> {
    pub fn new(url: impl Into<String>, has_more: bool, data: Vec<T>) -> Self {
        Self {
            object: "list",
            url: url.into(),
            has_more,
            data,
        }
    }
}

/// The `created[gt|gte|lt|lte]` parameters every list takes.
pub(super) fn take_created(q: &mut QueryParams) -> Result<CreatedRange, ValidationError> {
    CreatedRange::new(
        q.take_int("created[gt]")?,
        q.take_int("created[gte]")?,
        q.take_int("created[lt]")?,
        q.take_int("created[lte]")?,
    )
}

/// The `limit`, `starting_after` and `ending_before` parameters every list
/// takes.
pub fn take_window<Id: crate::domain::PrefixedId>(q: &mut QueryParams) -> Result<ListWindow<Id>, ValidationError> {
    ListWindow::new(
        q.take_int("limit")?,
        q.take_id("starting_after")?,
        q.take_id("ending_before")?,
    )
}
