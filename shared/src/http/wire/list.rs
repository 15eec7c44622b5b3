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
fn take_created(q: &mut QueryParams) -> Result<CreatedRange, ValidationError> {
    CreatedRange::new(
        q.take_int("created[gt]")?,
        q.take_int("created[gte]")?,
        q.take_int("created[lt]")?,
        q.take_int("created[lte]")?,
    )
}

/// The `limit`, `starting_after` and `ending_before` parameters every list
/// takes.
fn take_window<Id: crate::domain::PrefixedId>(q: &mut QueryParams) -> Result<ListWindow<Id>, ValidationError> {
    ListWindow::new(
        q.take_int("limit")?,
        q.take_id("starting_after")?,
        q.take_id("ending_before")?,
    )
}

/// A list that takes only the window (webhook endpoints, a customer's
/// payment methods): any other parameter is refused.
impl<Id: crate::domain::PrefixedId> TryFrom<QueryParams> for ListWindow<Id> {
    type Error = ValidationError;

    fn try_from(mut q: QueryParams) -> Result<Self, ValidationError> {
        let window = take_window(&mut q)?;
        q.finish()?;
        Ok(window)
    }
}

/// The parameters one list takes besides the window and `created` (a
/// customer's email, a payment's refunds, ...).
pub trait ListFilter: Sized {
    fn take(q: &mut QueryParams) -> Result<Self, ValidationError>;
}

/// Declares a list's filter: a struct of optional fields, each read from
/// one query parameter as its type's [`FromQuery`](crate::http::FromQuery)
/// value, or through `via` a parser `fn(&str, String) -> Result<T, _>`.
macro_rules! list_filter {
    ($(#[$m:meta])* $name:ident { $($field:ident: $ty:ty = $param:literal $(via $parse:path)?),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name {
            $(pub $field: Option<$ty>,)*
        }

        impl $crate::http::wire::list::ListFilter for $name {
            fn take(q: &mut $crate::http::QueryParams) -> Result<Self, $crate::domain::ValidationError> {
                Ok(Self {
                    $($field: list_filter!(@take q, $ty, $param $(, $parse)?)?,)*
                })
            }
        }
    };
    (@take $q:ident, $ty:ty, $param:literal) => {
        $q.take_value::<$ty>($param)
    };
    (@take $q:ident, $ty:ty, $param:literal, $parse:path) => {
        $q.take($param).map(|v| $parse($param, v)).transpose()
    };
}
pub(crate) use list_filter;

/// A list request: the window and `created` range every list takes, and
/// the filter `F` of its own. Any other parameter is refused by name.
#[derive(Debug, Clone, PartialEq)]
pub struct ListRequest<F, Id> {
    pub filter: F,
    pub created: CreatedRange,
    pub window: ListWindow<Id>,
}

impl<F: ListFilter, Id: crate::domain::PrefixedId> TryFrom<QueryParams> for ListRequest<F, Id> {
    type Error = ValidationError;

    fn try_from(mut q: QueryParams) -> Result<Self, ValidationError> {
        let window = take_window(&mut q)?;
        let filter = F::take(&mut q)?;
        let created = take_created(&mut q)?;
        q.finish()?;
        Ok(Self {
            filter,
            created,
            window,
        })
    }
}
