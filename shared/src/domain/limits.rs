//! Rate limits: each account has its own, per mode and per class of
//! request (read or write), so one merchant's traffic never counts against
//! another's.
//!
//! On AWS a limit is an API Gateway usage plan's throttle, applied per API
//! key; the authorizer names the key of each request (`usageIdentifierKey`)
//! with [`usage_key`], the one place that value is built. Usage keys are
//! not secrets: with the API's key source `AUTHORIZER` a client cannot
//! present one, only the authorizer can.

use std::fmt;

use super::{Mode, Tenant};

/// Which bucket a request takes a token from: reads (`GET`, `HEAD`) or
/// writes (`POST`, `DELETE`, and any other method).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RateClass {
    Read,
    Write,
}

impl RateClass {
    pub const ALL: [RateClass; 2] = [RateClass::Read, RateClass::Write];

    /// The class of an HTTP method (as API Gateway spells it: `GET`).
    pub fn of_method(method: &str) -> Self {
        if method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD") {
            RateClass::Read
        } else {
            RateClass::Write
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RateClass::Read => "read",
            RateClass::Write => "write",
        }
    }
}

impl fmt::Display for RateClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The highest rate a limit may have: API Gateway's default account-level
/// throttle per region (every API of the AWS account together), which
/// applies before any usage plan, so a higher limit could never be reached.
pub const MAX_RATE: u32 = 10_000;
/// The highest burst, for the same reason (the account-level burst).
pub const MAX_BURST: u32 = 5_000;

/// A token bucket's limits: `rate` requests per second in the long run, up
/// to `burst` at once. Only valid values: 1 to [`MAX_RATE`] and 1 to
/// [`MAX_BURST`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RateLimits {
    rate: u32,
    burst: u32,
}

/// A limit that cannot be applied, naming the value at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidLimits {
    #[error("a rate must be 1 to {MAX_RATE} requests per second, not {0}")]
    Rate(u32),
    #[error("a burst must be 1 to {MAX_BURST} requests, not {0}")]
    Burst(u32),
}

impl RateLimits {
    pub fn new(rate: u32, burst: u32) -> Result<Self, InvalidLimits> {
        if !(1..=MAX_RATE).contains(&rate) {
            return Err(InvalidLimits::Rate(rate));
        }
        if !(1..=MAX_BURST).contains(&burst) {
            return Err(InvalidLimits::Burst(burst));
        }
        Ok(Self { rate, burst })
    }

    /// `rate` with the default burst: twice the rate (as Stripe's limits
    /// allow short bursts), at most [`MAX_BURST`].
    pub fn with_default_burst(rate: u32) -> Result<Self, InvalidLimits> {
        Self::new(rate, rate.saturating_mul(2).min(MAX_BURST))
    }

    /// From a usage plan's throttle as API Gateway reports it (a rate is a
    /// double there); `None` if it is not a limit we could have set.
    pub fn from_throttle(rate: f64, burst: i32) -> Option<Self> {
        let whole = rate.fract() == 0.0 && rate >= 1.0 && rate <= f64::from(MAX_RATE);
        let rate = if whole { rate as u32 } else { return None };
        Self::new(rate, u32::try_from(burst).ok()?).ok()
    }

    pub fn rate(self) -> u32 {
        self.rate
    }

    pub fn burst(self) -> u32 {
        self.burst
    }
}

/// An account's limits in one mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModeLimits {
    pub read: RateLimits,
    pub write: RateLimits,
}

impl ModeLimits {
    pub fn of(&self, class: RateClass) -> RateLimits {
        match class {
            RateClass::Read => self.read,
            RateClass::Write => self.write,
        }
    }
}

const fn limits(rate: u32, burst: u32) -> RateLimits {
    RateLimits { rate, burst }
}

/// Every account starts with Stripe's limits: in live mode 100 reads and
/// 100 writes a second, in test mode 25 and 25; bursts of twice the rate.
pub const fn default_limits(mode: Mode) -> ModeLimits {
    match mode {
        Mode::Live => ModeLimits {
            read: limits(100, 200),
            write: limits(100, 200),
        },
        Mode::Test => ModeLimits {
            read: limits(25, 50),
            write: limits(25, 50),
        },
    }
}

/// The limits of the hosted page's requests that present no valid
/// publishable key: they all share one usage key, so junk links only
/// throttle each other.
pub const ANONYMOUS_PAGE_LIMITS: RateLimits = limits(25, 50);

/// An API Gateway API key value that identifies whose limits a request
/// counts against: 20 to 128 letters and digits (API Gateway's rule for key
/// values).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UsageKey(String);

impl UsageKey {
    /// A usage key as an authorizer answered it (`usageIdentifierKey`):
    /// `None` if it could not be an API key value.
    pub fn parse(s: &str) -> Option<Self> {
        let valid = (20..=128).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric());
        valid.then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UsageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The usage key of `tenant`'s requests of `class`:
/// `paynectra{mode}{class}acct{account id's body}`, e.g.
/// `paynectratestreadacct0190...`. Deterministic, so the authorizer needs
/// no lookup; distinct for every (account, mode, class), since the mode and
/// class have fixed spellings before the account's body; letters and
/// digits only (an account id's body is alphanumeric), at least 22 long.
pub fn usage_key(tenant: &Tenant, class: RateClass) -> UsageKey {
    let account = tenant.account_id.as_str();
    let body = account.strip_prefix("acct_").unwrap_or(account);
    UsageKey(format!("paynectra{}{}acct{body}", tenant.mode, class))
}

/// The one usage key of the hosted page's requests without a valid
/// publishable key (it cannot collide with an account's: no mode follows
/// `paynectra`).
pub fn anonymous_page_usage_key() -> UsageKey {
    UsageKey("paynectrahostedpageanonymous".into())
}

/// The name of the usage plan that holds every key with `limits` on one
/// stage of one REST API: `paynectra/{rest_api_id}/{stage}/{rate}/{burst}`.
/// Usage-plan throttles apply per API key, so all the keys with the same
/// limits share one plan.
pub fn plan_name(rest_api_id: &str, stage: &str, limits: RateLimits) -> String {
    format!("paynectra/{rest_api_id}/{stage}/{}/{}", limits.rate, limits.burst)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::AccountId;

    fn tenant(id: &str, mode: Mode) -> Tenant {
        Tenant::new(id.parse().unwrap(), mode)
    }

    #[test]
    fn methods_have_classes() {
        for m in ["GET", "get", "HEAD"] {
            assert_eq!(RateClass::of_method(m), RateClass::Read, "{m}");
        }
        for m in ["POST", "DELETE", "PUT", "PATCH"] {
            assert_eq!(RateClass::of_method(m), RateClass::Write, "{m}");
        }
    }

    #[test]
    fn usage_keys_are_distinct_alphanumeric_and_long_enough() {
        let shortest = tenant("acct_1", Mode::Test);
        let generated = Tenant::new(AccountId::generate(), Mode::Live);
        let mut seen = std::collections::HashSet::new();
        for t in [&shortest, &generated, &tenant("acct_2", Mode::Test)] {
            for mode in [Mode::Test, Mode::Live] {
                let t = Tenant::new(t.account_id.clone(), mode);
                for class in RateClass::ALL {
                    let k = usage_key(&t, class);
                    assert!((20..=128).contains(&k.as_str().len()), "{k}");
                    assert!(k.as_str().bytes().all(|b| b.is_ascii_alphanumeric()), "{k}");
                    assert_eq!(k, usage_key(&t, class), "deterministic");
                    assert_eq!(UsageKey::parse(k.as_str()), Some(k.clone()));
                    assert!(seen.insert(k.clone()), "{k} twice");
                }
            }
        }
        assert!(seen.insert(anonymous_page_usage_key()));
        for bad in ["short", "paynectra-test-read-acct_1", &"a".repeat(129)] {
            assert_eq!(UsageKey::parse(bad), None, "{bad}");
        }
        assert_eq!(
            usage_key(&shortest, RateClass::Write).as_str(),
            "paynectratestwriteacct1"
        );
        let longest = tenant(&format!("acct_{}", "z".repeat(64)), Mode::Live);
        assert!(usage_key(&longest, RateClass::Write).as_str().len() <= 128);
    }

    #[test]
    fn defaults_are_stripes_with_double_bursts() {
        let live = default_limits(Mode::Live);
        let test = default_limits(Mode::Test);
        assert_eq!((live.read, live.write), (limits(100, 200), limits(100, 200)));
        assert_eq!((test.read, test.write), (limits(25, 50), limits(25, 50)));
        for l in [live.read, live.write, test.read, test.write, ANONYMOUS_PAGE_LIMITS] {
            assert_eq!(l.burst, 2 * l.rate);
            assert_eq!(RateLimits::new(l.rate, l.burst), Ok(l), "valid");
        }
    }

    #[test]
    fn limits_are_bounded_by_the_account_level_throttle() {
        assert_eq!(RateLimits::with_default_burst(2_000), Ok(limits(2_000, 4_000)));
        assert_eq!(RateLimits::with_default_burst(4_000), Ok(limits(4_000, 5_000)));
        assert_eq!(RateLimits::new(0, 10), Err(InvalidLimits::Rate(0)));
        assert_eq!(RateLimits::new(10_001, 10), Err(InvalidLimits::Rate(10_001)));
        assert_eq!(RateLimits::new(10, 0), Err(InvalidLimits::Burst(0)));
        assert_eq!(RateLimits::new(10, 5_001), Err(InvalidLimits::Burst(5_001)));
        assert_eq!(RateLimits::from_throttle(25.0, 50), Some(limits(25, 50)));
        assert_eq!(RateLimits::from_throttle(2.5, 50), None);
        assert_eq!(RateLimits::from_throttle(25.0, -1), None);
    }

    #[test]
    fn plans_are_named_by_their_limits() {
        assert_eq!(
            plan_name("abc123", "prod", limits(100, 200)),
            "paynectra/abc123/prod/100/200"
        );
    }
}
