//! API Gateway's throttles: a token bucket for each method of the stage,
//! and one for each usage key (its usage plan's limits).

use std::{collections::HashMap, sync::Mutex, time::Instant};

use http::Method;

use crate::template::{Template, ThrottleLimits};

/// Which throttle the local stack applies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Throttling {
    /// The template's stage `MethodSettings`, as API Gateway applies them
    /// (the default).
    Template,
    /// These limits for every method instead (tests, load runs).
    Limits(ThrottleLimits),
    /// None at all.
    Off,
}

/// A method's token bucket: it starts full (`burst` tokens) and refills at
/// `rate` tokens a second; a request takes one, or is throttled.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(limits: ThrottleLimits, now: Instant) -> Self {
        Self {
            tokens: f64::from(limits.burst),
            at: now,
        }
    }

    fn take(&mut self, limits: ThrottleLimits, now: Instant) -> bool {
        let refill = now.saturating_duration_since(self.at).as_secs_f64() * limits.rate;
        self.tokens = (self.tokens + refill).min(f64::from(limits.burst));
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The throttle of one local stack: which limits, and the methods' buckets.
pub(crate) struct Throttle {
    pub(crate) throttling: Throttling,
    buckets: Mutex<HashMap<String, Bucket>>,
    /// Each usage key's bucket, with the limits it was filled for.
    key_buckets: Mutex<HashMap<String, (ThrottleLimits, Bucket)>>,
}

impl Throttle {
    pub(crate) fn new(throttling: Throttling) -> Self {
        Self {
            throttling,
            buckets: Mutex::new(HashMap::new()),
            key_buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token from the bucket of the usage key `key`, whose plan
    /// has `limits`. A key whose limits changed (it moved to another usage
    /// plan) starts again with a full bucket of the new plan. False:
    /// throttled.
    pub(crate) fn admit_key(&self, key: &str, limits: ThrottleLimits) -> bool {
        let now = Instant::now();
        let mut buckets = self.key_buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = buckets
            .entry(key.to_owned())
            .or_insert_with(|| (limits, Bucket::full(limits, now)));
        if entry.0 != limits {
            *entry = (limits, Bucket::full(limits, now));
        }
        entry.1.take(limits, now)
    }

    /// Takes a token from the bucket of `method` on `resource` (as in the
    /// template). False: throttled.
    pub(crate) fn admit(&self, template: &Template, method: &Method, resource: &str) -> bool {
        let limits = match self.throttling {
            Throttling::Off => return true,
            Throttling::Limits(l) => l,
            Throttling::Template => match template.throttle(method, resource) {
                Some(l) => l,
                None => return true,
            },
        };
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        buckets
            .entry(format!("{method} {resource}"))
            .or_insert_with(|| Bucket::full(limits, now))
            .take(limits, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_bucket() {
        let limits = ThrottleLimits { rate: 2.0, burst: 3 };
        let t0 = Instant::now();
        let mut b = Bucket::full(limits, t0);
        assert!((0..3).all(|_| b.take(limits, t0)), "a full bucket admits a burst");
        assert!(!b.take(limits, t0), "then it is empty");
        let half = t0 + std::time::Duration::from_millis(500);
        assert!(b.take(limits, half), "rate 2/s refills one token in 0.5 s");
        assert!(!b.take(limits, half));
        let later = t0 + std::time::Duration::from_secs(60);
        assert!((0..3).all(|_| b.take(limits, later)), "refills up to the burst only");
        assert!(!b.take(limits, later));
        let zero = ThrottleLimits { rate: 100.0, burst: 0 };
        assert!(!Bucket::full(zero, t0).take(zero, later), "burst 0 admits nothing");
    }
}
