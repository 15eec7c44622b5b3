//! The clock, passed in: the edge reads it once per request (or per
//! scheduled run) and hands `now` down; the store and the rules never read
//! the time themselves, so tests can move it.

use std::sync::Arc;

/// Where "now" comes from: the system clock, or a test's.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    /// The system clock (Unix seconds).
    pub fn system() -> Self {
        Self(Arc::new(now_unix))
    }

    /// A clock that reads `f` (a test's clock, say).
    pub fn from_fn(f: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// A clock stopped at `t`.
    pub fn fixed(t: i64) -> Self {
        Self::from_fn(move || t)
    }

    /// Now, in Unix seconds.
    pub fn now(&self) -> i64 {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock(now = {})", self.now())
    }
}

/// The system's time in Unix seconds. Read at the edges only (a request,
/// a scheduled run, a webhook attempt); everything below takes `now`.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
