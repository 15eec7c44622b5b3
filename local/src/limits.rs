//! The per-account rate limits as API Gateway applies them: the usage
//! plan of the usage key the authorizer answered, looked up in the local
//! API Gateway (moto) and kept for about a second, so a limit an operator
//! changes applies within a second or so (on AWS, within seconds too).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use paynectra::{
    domain::{RateLimits, UsageKey},
    service::limits::{LimitsError, UsagePlans},
};

use crate::apigw::{LOCAL_REST_API_ID, LOCAL_STAGE};

/// How long a key's limits are reused before they are read again.
const CACHE_FOR: Duration = Duration::from_secs(1);

/// A key's limits as last read (`None`: no such key, or in no plan).
#[derive(Default)]
struct Cached {
    read_at: Option<Instant>,
    limits: Option<RateLimits>,
}

/// The usage plans of the local stage, with each key's limits cached.
pub struct UsageLimits {
    plans: UsagePlans,
    /// One slot per key, each behind its own lock: a burst of requests on a
    /// key whose entry is stale makes one lookup, not one each.
    cache: Mutex<HashMap<UsageKey, Arc<tokio::sync::Mutex<Cached>>>>,
}

impl UsageLimits {
    /// The local stage's plans (REST API `local`, stage `local`, as the
    /// events the local stack builds say) in the API Gateway the AWS
    /// environment names (`AWS_ENDPOINT_URL_API_GATEWAY`: moto).
    pub async fn from_env() -> Self {
        Self::new(UsagePlans::from_env(LOCAL_REST_API_ID, LOCAL_STAGE).await)
    }

    /// `plans` (of the REST API [`LOCAL_REST_API_ID`], stage [`LOCAL_STAGE`]).
    pub fn new(plans: UsagePlans) -> Self {
        Self {
            plans,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The limits of `key` (cached for [`CACHE_FOR`]).
    pub(crate) async fn limits(&self, key: &UsageKey) -> Result<Option<RateLimits>, LimitsError> {
        let slot = {
            let mut cache = self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            cache.entry(key.clone()).or_default().clone()
        };
        let mut slot = slot.lock().await;
        if slot.read_at.is_some_and(|at| at.elapsed() < CACHE_FOR) {
            return Ok(slot.limits);
        }
        let limits = self.plans.limits_of(key).await?;
        *slot = Cached {
            read_at: Some(Instant::now()),
            limits,
        };
        Ok(limits)
    }
}
