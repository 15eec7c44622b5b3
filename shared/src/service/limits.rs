//! Each account's rate limits, kept where API Gateway applies them: every
//! (account, mode, class) has an API key whose value is its
//! [`usage_key`] (its name too, for lookups), in the usage plan of its
//! limits. There is one plan per distinct limit pair on a stage of a REST
//! API ([`plan_name`]); the template creates the two default ones. A key is
//! in at most one plan of a stage (API Gateway's rule), so changing a limit
//! moves the key. Shared by `paynectra-admin` (create, set, show, sync),
//! the local stack (which reads the plans as API Gateway does) and the
//! tests.
//!
//! Nothing here runs on a request path: these are API Gateway's management
//! calls (on AWS; locally moto's).

use std::collections::{HashMap, HashSet};

use aws_sdk_apigateway::{
    error::{DisplayErrorContext, ProvideErrorMetadata, SdkError},
    types::{ApiStage, ThrottleSettings},
    Client,
};

use crate::{
    domain::{
        limits::{anonymous_page_usage_key, default_limits, plan_name, ANONYMOUS_PAGE_LIMITS},
        usage_key, AccountId, Mode, ModeLimits, RateClass, RateLimits, Tenant, UsageKey,
    },
    store::{sdk_config, Store, StoreError},
};

#[derive(Debug, thiserror::Error)]
pub enum LimitsError {
    #[error("API Gateway {operation} failed: {message}")]
    Gateway { operation: &'static str, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn gateway<E, R>(operation: &'static str) -> impl FnOnce(SdkError<E, R>) -> LimitsError
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    move |e| LimitsError::Gateway {
        operation,
        message: DisplayErrorContext(&e).to_string(),
    }
}

/// A usage plan of our stage.
#[derive(Clone, Debug, PartialEq)]
struct Plan {
    id: String,
    /// `None`: a plan whose throttle is not one we could have set.
    limits: Option<RateLimits>,
}

/// The usage plans and API keys of one stage of one REST API.
#[derive(Clone, Debug)]
pub struct UsagePlans {
    client: Client,
    rest_api_id: String,
    stage: String,
}

/// Every API key and every plan membership of the stage, read at once
/// (`limits sync`: a few paginated calls, not a few per account).
struct Inventory {
    /// Key value to key id.
    keys: HashMap<String, String>,
    /// The ids of the keys in one of the stage's plans.
    placed: HashSet<String>,
}

impl UsagePlans {
    pub fn new(client: Client, rest_api_id: impl Into<String>, stage: impl Into<String>) -> Self {
        Self {
            client,
            rest_api_id: rest_api_id.into(),
            stage: stage.into(),
        }
    }

    /// API Gateway as the AWS environment says (`AWS_ENDPOINT_URL_API_GATEWAY`
    /// for moto), with the same HTTP client, timeouts and retries as DynamoDB's.
    pub async fn from_env(rest_api_id: impl Into<String>, stage: impl Into<String>) -> Self {
        Self::new(Client::new(&sdk_config().await), rest_api_id, stage)
    }

    pub fn rest_api_id(&self) -> &str {
        &self.rest_api_id
    }

    pub fn stage(&self) -> &str {
        &self.stage
    }

    fn is_ours(&self, stage: &ApiStage) -> bool {
        stage.api_id() == Some(self.rest_api_id.as_str()) && stage.stage() == Some(self.stage.as_str())
    }

    fn plan(&self, p: &aws_sdk_apigateway::types::UsagePlan) -> Option<Plan> {
        p.api_stages().iter().any(|s| self.is_ours(s)).then(|| Plan {
            id: p.id().unwrap_or_default().to_owned(),
            limits: p
                .throttle()
                .and_then(|t| RateLimits::from_throttle(t.rate_limit(), t.burst_limit())),
        })
    }

    /// The id of the API key whose value is `key`.
    async fn key_id(&self, key: &UsageKey) -> Result<Option<String>, LimitsError> {
        let keys = self.api_keys(Some(key.as_str())).await?;
        Ok(keys
            .into_iter()
            .find_map(|(value, id)| (value == key.as_str()).then_some(id)))
    }

    /// Every API key's (value, id), or only those GetApiKeys finds for the
    /// name query `name`.
    async fn api_keys(&self, name: Option<&str>) -> Result<Vec<(String, String)>, LimitsError> {
        let mut pages = self
            .client
            .get_api_keys()
            .set_name_query(name.map(str::to_owned))
            .include_values(true)
            .into_paginator()
            .items()
            .send();
        let mut keys = Vec::new();
        while let Some(k) = pages.next().await {
            let k = k.map_err(gateway("GetApiKeys"))?;
            if let (Some(value), Some(id)) = (k.value(), k.id()) {
                keys.push((value.to_owned(), id.to_owned()));
            }
        }
        Ok(keys)
    }

    /// Creates the API key of `key` (its name is its value). Returns its id.
    async fn create_key(&self, key: &UsageKey) -> Result<String, LimitsError> {
        let created = self
            .client
            .create_api_key()
            .name(key.as_str())
            .value(key.as_str())
            .description("Paynectra usage key: whose rate limit a request counts against (not a secret)")
            .enabled(true)
            .send()
            .await;
        match created {
            Ok(out) => Ok(out.id().unwrap_or_default().to_owned()),
            // Created meanwhile (or by another stage's sync: a key value is
            // unique in the region): use that one.
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conflict_exception()) => {
                self.key_id(key).await?.ok_or_else(|| gateway("CreateApiKey")(e))
            }
            Err(e) => Err(gateway("CreateApiKey")(e)),
        }
    }

    async fn ensure_key(&self, key: &UsageKey) -> Result<String, LimitsError> {
        match self.key_id(key).await? {
            Some(id) => Ok(id),
            None => self.create_key(key).await,
        }
    }

    /// The stage's plan that holds the key `key_id`, if any.
    async fn plan_of(&self, key_id: &str) -> Result<Option<Plan>, LimitsError> {
        let mut pages = self
            .client
            .get_usage_plans()
            .key_id(key_id)
            .into_paginator()
            .items()
            .send();
        while let Some(p) = pages.next().await {
            if let Some(plan) = self.plan(&p.map_err(gateway("GetUsagePlans"))?) {
                return Ok(Some(plan));
            }
        }
        Ok(None)
    }

    /// The limits `key` has on the stage: `None` if there is no such API
    /// key or it is in none of the stage's plans (API Gateway then answers
    /// `INVALID_API_KEY`).
    pub async fn limits_of(&self, key: &UsageKey) -> Result<Option<RateLimits>, LimitsError> {
        let Some(id) = self.key_id(key).await? else {
            return Ok(None);
        };
        Ok(self.plan_of(&id).await?.and_then(|p| p.limits))
    }

    /// The stage's plan for `limits`, found by its name or created.
    async fn plan_for(&self, limits: RateLimits) -> Result<Plan, LimitsError> {
        let name = plan_name(&self.rest_api_id, &self.stage, limits);
        let mut pages = self.client.get_usage_plans().into_paginator().items().send();
        while let Some(p) = pages.next().await {
            let p = p.map_err(gateway("GetUsagePlans"))?;
            if p.name() == Some(name.as_str()) {
                if let Some(plan) = self.plan(&p) {
                    return Ok(plan);
                }
            }
        }
        let throttle = ThrottleSettings::builder()
            .rate_limit(f64::from(limits.rate()))
            .burst_limit(i32::try_from(limits.burst()).unwrap_or(i32::MAX))
            .build();
        let stage = ApiStage::builder().api_id(&self.rest_api_id).stage(&self.stage).build();
        let created = self
            .client
            .create_usage_plan()
            .name(&name)
            .description("Paynectra rate limit: every API key in it has this throttle")
            .throttle(throttle)
            .api_stages(stage)
            .send()
            .await
            .map_err(gateway("CreateUsagePlan"))?;
        tracing::info!(plan = %name, "usage plan created");
        Ok(Plan {
            id: created.id().unwrap_or_default().to_owned(),
            limits: Some(limits),
        })
    }

    async fn add_to(&self, plan: &Plan, key_id: &str) -> Result<(), LimitsError> {
        self.client
            .create_usage_plan_key()
            .usage_plan_id(&plan.id)
            .key_id(key_id)
            .key_type("API_KEY")
            .send()
            .await
            .map_err(gateway("CreateUsagePlanKey"))?;
        Ok(())
    }

    /// Gives `key` `limits`: its API key (created if missing) moves to the
    /// plan of those limits. Between the two calls the key is in no plan
    /// (API Gateway allows one plan per stage), so a request in that moment
    /// is refused (`INVALID_API_KEY`); the limits reach API Gateway's
    /// throttle a few seconds later. Returns the limits it had.
    pub async fn set(&self, key: &UsageKey, limits: RateLimits) -> Result<Option<RateLimits>, LimitsError> {
        let key_id = self.ensure_key(key).await?;
        let current = self.plan_of(&key_id).await?;
        let before = current.as_ref().and_then(|p| p.limits);
        if before == Some(limits) {
            return Ok(before);
        }
        let target = self.plan_for(limits).await?;
        if let Some(old) = current {
            self.client
                .delete_usage_plan_key()
                .usage_plan_id(&old.id)
                .key_id(&key_id)
                .send()
                .await
                .map_err(gateway("DeleteUsagePlanKey"))?;
        }
        self.add_to(&target, &key_id).await?;
        Ok(before)
    }

    /// Makes sure `key` exists and is in one of the stage's plans, the one
    /// of `default` if it is in none; a key that has limits keeps them.
    /// True if anything was created or placed.
    async fn provision(&self, key: &UsageKey, default: RateLimits) -> Result<bool, LimitsError> {
        let (key_id, created) = match self.key_id(key).await? {
            Some(id) => (id, false),
            None => (self.create_key(key).await?, true),
        };
        if !created && self.plan_of(&key_id).await?.is_some() {
            return Ok(false);
        }
        self.add_to(&self.plan_for(default).await?, &key_id).await?;
        Ok(true)
    }

    async fn inventory(&self) -> Result<Inventory, LimitsError> {
        let keys: HashMap<String, String> = self.api_keys(None).await?.into_iter().collect();
        let mut placed = HashSet::new();
        let mut plans = self.client.get_usage_plans().into_paginator().items().send();
        while let Some(p) = plans.next().await {
            let Some(plan) = self.plan(&p.map_err(gateway("GetUsagePlans"))?) else {
                continue;
            };
            let mut members = self
                .client
                .get_usage_plan_keys()
                .usage_plan_id(&plan.id)
                .into_paginator()
                .items()
                .send();
            while let Some(k) = members.next().await {
                if let Some(id) = k.map_err(gateway("GetUsagePlanKeys"))?.id() {
                    placed.insert(id.to_owned());
                }
            }
        }
        Ok(Inventory { keys, placed })
    }
}

/// The four usage keys of an account, with the limits each starts with.
fn account_keys(account: &AccountId) -> impl Iterator<Item = (UsageKey, RateLimits)> + '_ {
    [Mode::Test, Mode::Live].into_iter().flat_map(move |mode| {
        let tenant = Tenant::new(account.clone(), mode);
        RateClass::ALL.map(|class| (usage_key(&tenant, class), default_limits(mode).of(class)))
    })
}

/// Provisions a new account's four usage keys (live and test, read and
/// write) in the default plans (`paynectra-admin accounts create`).
pub async fn provision_account(plans: &UsagePlans, account: &AccountId) -> Result<(), LimitsError> {
    for (key, default) in account_keys(account) {
        plans.provision(&key, default).await?;
    }
    Ok(())
}

/// What `limits sync` did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Synced {
    pub accounts: usize,
    /// API keys created.
    pub created: usize,
    /// Keys put in a default plan (new ones, and ones in none of the stage's plans).
    pub placed: usize,
}

/// Makes every account's usage keys, and the hosted page's anonymous key,
/// exist and be in a plan of the stage (the default one if in none);
/// limits already set are kept. Idempotent: for accounts created before
/// rate limits, and for the local stack (moto keeps nothing across
/// restarts). Reads every account (a Scan) and every key and plan
/// membership once, then writes only what is missing.
pub async fn sync(plans: &UsagePlans, store: &Store) -> Result<Synced, LimitsError> {
    let accounts = store.list_accounts().await?;
    let inventory = plans.inventory().await?;
    let mut wanted = vec![(anonymous_page_usage_key(), ANONYMOUS_PAGE_LIMITS)];
    for account in &accounts {
        wanted.extend(account_keys(&account.id));
    }
    let mut done = Synced {
        accounts: accounts.len(),
        ..Synced::default()
    };
    let mut default_plans: HashMap<RateLimits, Plan> = HashMap::new();
    for (key, default) in wanted {
        let id = match inventory.keys.get(key.as_str()) {
            Some(id) if inventory.placed.contains(id) => continue,
            Some(id) => id.clone(),
            None => {
                done.created += 1;
                plans.create_key(&key).await?
            }
        };
        let plan = match default_plans.get(&default) {
            Some(p) => p.clone(),
            None => {
                let p = plans.plan_for(default).await?;
                default_plans.insert(default, p.clone());
                p
            }
        };
        plans.add_to(&plan, &id).await?;
        done.placed += 1;
    }
    Ok(done)
}

/// An account's limits in one mode as API Gateway has them: `None` for a
/// class whose key is missing or in no plan (`limits sync` fixes that).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    pub mode: Mode,
    pub read: (UsageKey, Option<RateLimits>),
    pub write: (UsageKey, Option<RateLimits>),
}

async fn known_account(store: &Store, account: &AccountId) -> Result<(), LimitsError> {
    match store.get_account(account).await? {
        Some(_) => Ok(()),
        None => Err(StoreError::AccountNotFound(account.clone()).into()),
    }
}

/// `limits show`: the account's limits in both modes.
pub async fn show(plans: &UsagePlans, store: &Store, account: &AccountId) -> Result<Vec<Shown>, LimitsError> {
    known_account(store, account).await?;
    let mut out = Vec::new();
    for mode in [Mode::Test, Mode::Live] {
        let tenant = Tenant::new(account.clone(), mode);
        let read = usage_key(&tenant, RateClass::Read);
        let write = usage_key(&tenant, RateClass::Write);
        out.push(Shown {
            mode,
            read: (read.clone(), plans.limits_of(&read).await?),
            write: (write.clone(), plans.limits_of(&write).await?),
        });
    }
    Ok(out)
}

/// `limits set`: gives a tenant new read and/or write limits (a class not
/// given keeps its limits). Returns the limits now in force, as
/// [`show`] would read them.
pub async fn set(
    plans: &UsagePlans,
    store: &Store,
    tenant: &Tenant,
    read: Option<RateLimits>,
    write: Option<RateLimits>,
) -> Result<ModeLimits, LimitsError> {
    known_account(store, &tenant.account_id).await?;
    let mut now = default_limits(tenant.mode);
    for (class, limits) in [(RateClass::Read, read), (RateClass::Write, write)] {
        let key = usage_key(tenant, class);
        let limits = match limits {
            Some(l) => {
                plans.set(&key, l).await?;
                l
            }
            None => match plans.limits_of(&key).await? {
                Some(l) => l,
                None => {
                    plans.provision(&key, now.of(class)).await?;
                    now.of(class)
                }
            },
        };
        match class {
            RateClass::Read => now.read = limits,
            RateClass::Write => now.write = limits,
        }
    }
    Ok(now)
}
