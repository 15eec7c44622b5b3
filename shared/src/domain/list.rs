//! Lists: cursor windows, created-time ranges and pages, shared by every
//! list endpoint.

use super::ValidationError;

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;

/// Where a page starts: right after an object (`starting_after`, older
/// objects) or right before it (`ending_before`, newer objects). Pages are
/// newest first either way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cursor<Id> {
    After(Id),
    Before(Id),
}

impl<Id> Cursor<Id> {
    pub fn id(&self) -> &Id {
        match self {
            Cursor::After(id) | Cursor::Before(id) => id,
        }
    }

    /// The parameter the cursor came from, for errors.
    pub fn param(&self) -> &'static str {
        match self {
            Cursor::After(_) => "starting_after",
            Cursor::Before(_) => "ending_before",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListWindow<Id> {
    /// 1..=100.
    pub limit: usize,
    pub cursor: Option<Cursor<Id>>,
}

impl<Id> ListWindow<Id> {
    pub fn new(limit: Option<i64>, after: Option<Id>, before: Option<Id>) -> Result<Self, ValidationError> {
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(l) if (1..=MAX_LIMIT as i64).contains(&l) => l as usize,
            Some(l) => {
                return Err(ValidationError::new(
                    "limit",
                    "parameter_invalid_integer",
                    format!("Invalid limit: {l}. It must be an integer from 1 to {MAX_LIMIT}."),
                ))
            }
        };
        let cursor = match (after, before) {
            (Some(_), Some(_)) => {
                return Err(ValidationError::invalid(
                    "ending_before",
                    "starting_after and ending_before cannot be used together: pass one cursor.",
                ))
            }
            (Some(a), None) => Some(Cursor::After(a)),
            (None, Some(b)) => Some(Cursor::Before(b)),
            (None, None) => None,
        };
        Ok(Self { limit, cursor })
    }
}

/// An inclusive range of `created` times (Unix seconds).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CreatedRange {
    pub gte: Option<i64>,
    pub lte: Option<i64>,
}

impl CreatedRange {
    /// From Stripe's `created[gt|gte|lt|lte]`; the strict bounds become
    /// inclusive ones (timestamps are whole seconds).
    pub fn new(gt: Option<i64>, gte: Option<i64>, lt: Option<i64>, lte: Option<i64>) -> Result<Self, ValidationError> {
        for (param, v) in [
            ("created[gt]", gt),
            ("created[gte]", gte),
            ("created[lt]", lt),
            ("created[lte]", lte),
        ] {
            if v.is_some_and(|v| !(0..=99_999_999_999).contains(&v)) {
                return Err(ValidationError::new(
                    param,
                    "parameter_invalid_integer",
                    format!("Invalid {param}: it must be a Unix timestamp in seconds."),
                ));
            }
        }
        let lower = [gt.map(|v| v + 1), gte].into_iter().flatten().max();
        let upper = [lt.map(|v| v - 1), lte].into_iter().flatten().min();
        Ok(Self { gte: lower, lte: upper })
    }

    /// True when no time can satisfy the range.
    pub fn is_empty(&self) -> bool {
        matches!((self.gte, self.lte), (Some(a), Some(b)) if a > b)
    }
}

/// One page of a list, newest first, and whether more exist beyond it in
/// the direction of travel.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub has_more: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        let w = ListWindow::<String>::new(None, None, None).unwrap();
        assert_eq!(w.limit, 20);
        assert!(ListWindow::<String>::new(Some(100), None, None).is_ok());
        assert_eq!(
            ListWindow::<String>::new(Some(0), None, None).unwrap_err().param,
            "limit"
        );
        assert_eq!(
            ListWindow::<String>::new(Some(101), None, None).unwrap_err().param,
            "limit"
        );
        let both = ListWindow::new(None, Some("a".to_string()), Some("b".to_string()));
        assert_eq!(both.unwrap_err().param, "ending_before");
        let w = ListWindow::new(None, None, Some("b".to_string())).unwrap();
        assert_eq!(w.cursor.unwrap().param(), "ending_before");
    }

    #[test]
    fn created_ranges() {
        let r = CreatedRange::new(Some(10), Some(5), Some(20), Some(30)).unwrap();
        assert_eq!((r.gte, r.lte), (Some(11), Some(19)));
        assert!(CreatedRange::new(None, Some(10), None, Some(9)).unwrap().is_empty());
        assert!(!CreatedRange::default().is_empty());
        assert_eq!(
            CreatedRange::new(None, Some(-1), None, None).unwrap_err().param,
            "created[gte]"
        );
    }
}
