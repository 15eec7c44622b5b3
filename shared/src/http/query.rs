//! Query-string parameters, taken one by one so that whatever is left over
//! is an unknown parameter, refused by name.

use std::collections::BTreeMap;

use lambda_http::{Request, RequestExt};

use super::ApiError;
use crate::domain::{PrefixedId, ValidationError};

/// A value one query parameter names: an object's id, a status, an event
/// type. The error names the parameter.
pub trait FromQuery: Sized {
    fn from_query(param: &str, value: String) -> Result<Self, ValidationError>;
}

/// An id that does not parse names no object: `resource_missing`, as for a
/// well-formed id that is not there.
impl<T: PrefixedId> FromQuery for T {
    fn from_query(param: &str, v: String) -> Result<Self, ValidationError> {
        v.parse::<T>()
            .map_err(|_| ValidationError::new(param, "resource_missing", format!("No such {}: '{v}'", T::KIND)))
    }
}

/// The request's query parameters, each given at most once.
#[derive(Debug)]
pub struct QueryParams(BTreeMap<String, String>);

/// The request's query string as the list request `T` (which takes the
/// parameters it knows and refuses the rest).
pub fn query<T>(req: &Request) -> Result<T, ApiError>
where
    T: TryFrom<QueryParams, Error = ValidationError>,
{
    Ok(T::try_from(QueryParams::from_request(req)?)?)
}

impl QueryParams {
    /// Reads the query string. A parameter given twice is refused: which
    /// value was meant is a guess we do not make.
    pub fn from_request(req: &Request) -> Result<Self, ApiError> {
        let mut map = BTreeMap::new();
        if let Some(q) = req.query_string_parameters_ref() {
            for (k, v) in q.iter() {
                if map.insert(k.to_owned(), v.to_owned()).is_some() {
                    return Err(ApiError::invalid(
                        "parameter_repeated",
                        format!("The query parameter {k} was given more than once; give it once."),
                        Some(k),
                    ));
                }
            }
        }
        Ok(Self(map))
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self(pairs.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect())
    }

    pub fn take(&mut self, name: &str) -> Option<String> {
        self.0.remove(name)
    }

    /// An integer parameter.
    pub fn take_int(&mut self, name: &str) -> Result<Option<i64>, ValidationError> {
        self.take(name)
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    ValidationError::new(
                        name,
                        "parameter_invalid_integer",
                        format!("Invalid {name}: '{v}' is not an integer."),
                    )
                })
            })
            .transpose()
    }

    /// An id parameter naming an object of type `T` (a cursor, a filter).
    pub fn take_id<T: PrefixedId>(&mut self, name: &str) -> Result<Option<T>, ValidationError> {
        self.take_value(name)
    }

    /// A parameter read as the value `T` it names (an id, a status, ...).
    pub fn take_value<T: FromQuery>(&mut self, name: &str) -> Result<Option<T>, ValidationError> {
        self.take(name).map(|v| T::from_query(name, v)).transpose()
    }

    /// Fails on the first parameter nobody took.
    pub fn finish(self) -> Result<(), ValidationError> {
        match self.0.into_keys().next() {
            None => Ok(()),
            Some(k) => Err(ValidationError::new(
                &k,
                "parameter_unknown",
                format!("Received unknown parameter: {k}"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PaymentId;

    #[test]
    fn take_and_finish() {
        let mut q = QueryParams::from_pairs([("limit", "5"), ("starting_after", "pay_1"), ("colour", "red")]);
        assert_eq!(q.take_int("limit").unwrap(), Some(5));
        assert_eq!(
            q.take_id::<PaymentId>("starting_after").unwrap().unwrap().as_str(),
            "pay_1"
        );
        assert_eq!(q.take_int("missing").unwrap(), None);
        let e = q.finish().unwrap_err();
        assert_eq!((e.param.as_str(), e.code), ("colour", "parameter_unknown"));
        let mut q = QueryParams::from_pairs([("limit", "ten"), ("x", "cus_1")]);
        assert_eq!(q.take_int("limit").unwrap_err().param, "limit");
        assert_eq!(q.take_id::<PaymentId>("x").unwrap_err().code, "resource_missing");
    }
}
