//! Test support: a fresh DynamoDB table per test on the shared DynamoDB
//! Local that `make test` starts, the local API server on a free port, and
//! merchants with real keys.

use std::{
    path::PathBuf,
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc,
    },
};

use paynectra::{
    domain::{Amount, CaptureMethod, Currency, CustomerId, Metadata, Mode, NewPayment, Payment, Tenant},
    service::{
        accounts::{self, CreatedAccount},
        limits::{self, UsagePlans},
        now_unix, App,
    },
    store::{schema, Store},
};
use paynectra_local::{LocalApi, Template, Throttling, UsageLimits, LOCAL_REST_API_ID, LOCAL_STAGE};

mod client;
pub use client::Reply;

/// The repository root (for `template.yaml` and `events/`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The environment that points a child process (the admin tool) at the same
/// DynamoDB Local and table.
pub fn child_env(store: &Store) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL_DYNAMODB", endpoint()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", "local".into()),
        ("AWS_SECRET_ACCESS_KEY", "local".into()),
        ("TABLE_NAME", store.table().to_owned()),
    ]
}

/// The DynamoDB Local endpoint `make test` exports. Tests that need it fail
/// loudly without it rather than pass without checking anything.
pub fn endpoint() -> String {
    std::env::var("PAYNECTRA_TEST_DYNAMODB").unwrap_or_else(|_| {
        panic!(
            "PAYNECTRA_TEST_DYNAMODB is not set: these tests need DynamoDB Local. \
             Run them with `make test`, which starts one and sets it."
        )
    })
}

/// The moto server `make test` exports (`PAYNECTRA_TEST_MOTO`): the local
/// API Gateway (the per-account rate limits) and SQS (webhook delivery's
/// queues). Tests that need it fail loudly without it.
pub fn moto_endpoint() -> String {
    std::env::var("PAYNECTRA_TEST_MOTO").unwrap_or_else(|_| {
        panic!(
            "PAYNECTRA_TEST_MOTO is not set: these tests need moto (the local API Gateway and SQS). \
             Run them with `make test`, which starts one and sets it."
        )
    })
}

/// The local stage's usage plans (REST API `local`, stage `local`) in the
/// moto at `endpoint`, with the SDK settings the admin tool uses and dummy
/// credentials ([`paynectra_local::sdk::config`]).
pub async fn usage_plans_at(endpoint: &str) -> UsagePlans {
    let config = aws_sdk_apigateway::config::Builder::from(&paynectra_local::sdk::config().await)
        .endpoint_url(endpoint)
        .build();
    UsagePlans::new(
        aws_sdk_apigateway::Client::from_conf(config),
        LOCAL_REST_API_ID,
        LOCAL_STAGE,
    )
}

/// A store on a table of its own, so tests run in parallel without seeing
/// each other's data.
pub async fn fresh_store() -> Store {
    fresh_store_at(&endpoint()).await
}

/// The SDK client the functions use (its timeouts and retries), pointed at
/// the DynamoDB (Local) at `endpoint` with dummy credentials
/// ([`paynectra_local::sdk::config`]).
pub async fn local_client(endpoint: &str) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::config::Builder::from(&paynectra_local::sdk::config().await)
        .endpoint_url(endpoint)
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// [`fresh_store`] on the DynamoDB (Local) at `endpoint`, with the SDK
/// client the functions use (its timeouts and retries).
pub async fn fresh_store_at(endpoint: &str) -> Store {
    paynectra::lambda::telemetry::init_for_tests();
    let client = local_client(endpoint).await;
    let table = format!("test-{}", uuid::Uuid::new_v4().simple());
    schema::create_table(&client, &table).await.expect("create test table");
    let store = Store::new(client, table);
    store.start_sweeps(now_unix()).await.expect("start the sweeps' cursors");
    store
}

/// A leaked app around a fresh store (tests are short-lived processes).
pub async fn fresh_app() -> &'static App {
    app_on(fresh_store().await)
}

/// A leaked app around `store`.
pub fn app_on(store: Store) -> &'static App {
    Box::leak(Box::new(App {
        card_fingerprint_key: Some(b"paynectra-tests-fingerprint-key".to_vec()),
        request_fingerprint_key: Some(b"paynectra-tests-request-fingerprint-key".to_vec()),
        webhook_secrets: paynectra::domain::webhook_endpoint::SecretBox::new("paynectra-tests-webhook-secret-key-0123"),
        // Tests deliver to receivers on loopback, like the local stack.
        allow_local_webhook_urls: true,
        ..App::new(store)
    }))
}

/// The local API server, on 127.0.0.1 and a free port, over a fresh table.
pub struct TestApi {
    pub base: String,
    pub app: &'static App,
    pub http: reqwest::Client,
    /// With the per-account limits on ([`TestApi::spawn_rate_limited`]):
    /// the usage plans, where [`TestApi::merchant`] provisions each
    /// merchant's usage keys.
    pub plans: Option<UsagePlans>,
    /// Webhook delivery's queues in moto ([`TestApi::spawn_with_webhooks`]).
    pub queues: Option<paynectra_local::queue::Queues>,
    /// Seconds the app's clock is ahead of the system's ([`TestApi::advance`]).
    clock_offset: Arc<AtomicI64>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// A new usd payment request of `amount` cents (for payments stored
/// straight through the store).
pub fn usd_payment(amount: i64, customer: Option<&CustomerId>) -> NewPayment {
    let usd = Currency::from_code("usd").expect("usd is supported");
    NewPayment {
        amount: Amount::for_charge("amount", amount, usd).expect("a valid amount"),
        currency: usd,
        customer_id: customer.cloned(),
        description: None,
        capture_method: CaptureMethod::Automatic,
        metadata: Metadata::default(),
        return_url: None,
        receipt_email: None,
    }
}

/// A merchant with its keys.
pub struct Merchant {
    pub account_id: String,
    pub test_key: String,
    pub live_key: String,
    pub test_publishable_key: String,
    pub live_publishable_key: String,
}

impl From<CreatedAccount> for Merchant {
    fn from(c: CreatedAccount) -> Self {
        Self {
            account_id: c.account.id.to_string(),
            test_key: c.test_secret_key.expose().to_owned(),
            live_key: c.live_secret_key.expose().to_owned(),
            test_publishable_key: c.test_publishable_key.expose().to_owned(),
            live_publishable_key: c.live_publishable_key.expose().to_owned(),
        }
    }
}

impl Merchant {
    /// The merchant's account in `mode`, for calls straight to the store.
    pub fn tenant(&self, mode: Mode) -> Tenant {
        Tenant::new(self.account_id.parse().expect("an account id"), mode)
    }
}

impl TestApi {
    /// Not throttled: tests and benchmarks fire requests at one method
    /// faster than the template's 100/s on purpose. The throttle has tests
    /// of its own ([`TestApi::spawn_throttled`]).
    pub async fn spawn() -> Self {
        Self::spawn_on(fresh_app().await, Throttling::Off, None).await
    }

    /// The local stack as `make run` serves it: the template's stage
    /// throttle and each account's limits from its usage plans in moto
    /// (`PAYNECTRA_TEST_MOTO`). Merchants get their usage keys in the
    /// default plans, and the hosted page's anonymous key is provisioned.
    pub async fn spawn_rate_limited() -> Self {
        let app = fresh_app().await;
        let plans = usage_plans_at(&moto_endpoint()).await;
        limits::sync(&plans, &app.store)
            .await
            .expect("provision the anonymous page key");
        Self::spawn_on(app, Throttling::Template, Some(plans)).await
    }

    /// [`TestApi::spawn`] as deployed rather than as the local stack:
    /// webhook URLs and deliveries are held to public addresses
    /// (`allow_local_webhook_urls` false).
    pub async fn spawn_deployed() -> Self {
        let app: &'static App = Box::leak(Box::new(App {
            allow_local_webhook_urls: false,
            ..fresh_app().await.clone()
        }));
        Self::spawn_on(app, Throttling::Off, None).await
    }

    /// [`TestApi::spawn`] over a fresh table on the DynamoDB (Local) at
    /// `endpoint` rather than the shared one.
    pub async fn spawn_at(endpoint: &str) -> Self {
        Self::spawn_on(app_on(fresh_store_at(endpoint).await), Throttling::Off, None).await
    }

    /// [`TestApi::spawn`] with a stage throttle: the template's, or other
    /// limits (no per-account limits: [`TestApi::spawn_rate_limited`]).
    pub async fn spawn_throttled(throttling: Throttling) -> Self {
        Self::spawn_on(fresh_app().await, throttling, None).await
    }

    async fn spawn_on(app: &'static App, throttling: Throttling, plans: Option<UsagePlans>) -> Self {
        let template = Template::load(&repo_root().join("template.yaml")).expect("template.yaml loads");
        let mut api = LocalApi::new(template, app)
            .expect("every route has a function")
            .with_throttling(throttling);
        if let Some(p) = &plans {
            api = api.with_usage_limits(UsageLimits::new(p.clone()));
        }
        let api = Arc::new(api);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(paynectra_local::serve(listener, api, async {
            let _ = rx.await;
        }));
        Self {
            base,
            app,
            http: reqwest::Client::new(),
            plans,
            queues: None,
            clock_offset: Arc::default(),
            _shutdown: tx,
        }
    }

    /// [`TestApi::spawn`], with webhook delivery as the local stack runs
    /// it: the table's stream into the consumer, the delivery queue in moto
    /// (queues of its own) into the workers, the retry sweep each time the clock has
    /// moved ten seconds;
    /// on a clock that [`TestApi::advance`] moves.
    pub async fn spawn_with_webhooks() -> Self {
        Self::spawn_with_webhooks_visible_after(60).await
    }

    /// [`TestApi::spawn_with_webhooks`] with the delivery queue's
    /// visibility timeout (seconds) shortened, so that failed messages come
    /// back (and reach the dead-letter queue) quickly.
    pub async fn spawn_with_webhooks_visible_after(visibility_timeout: u32) -> Self {
        let store = fresh_store().await;
        let client = paynectra_local::queue::sqs_client(&moto_endpoint()).await;
        let queues = paynectra_local::queue::create(client, store.table(), visibility_timeout)
            .await
            .expect("create the queues in moto");
        let offset = Arc::new(AtomicI64::new(0));
        let ahead = offset.clone();
        let app: &'static App = Box::leak(Box::new(App {
            queue: Some(queues.delivery_queue()),
            clock: paynectra::service::Clock::from_fn(move || now_unix() + ahead.load(Ordering::SeqCst)),
            ..app_on(store).clone()
        }));
        let mut api = Self::spawn_on(app, Throttling::Off, None).await;
        let streams = paynectra_local::stream::streams_client(&endpoint()).await;
        paynectra_local::stream::follow(api.app, streams)
            .await
            .expect("follow the stream");
        paynectra_local::queue::map(api.app, queues.clone());
        api.queues = Some(queues);
        api.clock_offset = offset;
        api
    }

    /// Moves the app's clock `seconds` ahead (webhook retries come due,
    /// circuit breakers cool down).
    pub fn advance(&self, seconds: i64) {
        self.clock_offset.fetch_add(seconds, Ordering::SeqCst);
    }

    /// The app's now.
    pub fn now(&self) -> i64 {
        self.app.clock.now()
    }

    /// [`TestApi::spawn`], and a merchant of each name (created in order).
    pub async fn with_merchants<const N: usize>(names: [&str; N]) -> (Self, [Merchant; N]) {
        let api = Self::spawn().await;
        let mut merchants = Vec::with_capacity(N);
        for name in names {
            merchants.push(api.merchant(name).await);
        }
        let Ok(merchants) = merchants.try_into() else {
            unreachable!("one merchant per name")
        };
        (api, merchants)
    }

    /// A new merchant (with its usage keys in the default plans when the
    /// per-account limits are on, as `paynectra-admin accounts create` does).
    pub async fn merchant(&self, name: &str) -> Merchant {
        let created = accounts::create_account(&self.app.store, name, self.app.clock.now())
            .await
            .expect("create account");
        if let Some(plans) = &self.plans {
            limits::provision_account(plans, &created.account.id)
                .await
                .expect("provision the usage keys");
        }
        created.into()
    }

    /// A new restricted (read-only) key of `m` in `mode`, as `paynectra-admin
    /// keys restricted` issues it.
    pub async fn restricted_key(&self, m: &Merchant, mode: paynectra::domain::Mode) -> String {
        let account = m.account_id.parse().expect("an account id");
        let (secret, _) = accounts::issue_restricted_key(&self.app.store, &account, mode, self.app.clock.now())
            .await
            .expect("issue a restricted key");
        secret.expose().to_owned()
    }

    /// A payment of `amount` cents stored as captured (succeeded), so it can
    /// be refunded before the payment lifecycle exists. Returns its id.
    pub async fn captured_payment(&self, m: &Merchant, mode: Mode, amount: i64) -> String {
        let p = Payment::create(usd_payment(amount, None), mode, now_unix()).captured();
        self.app
            .store
            .insert(&m.tenant(mode), &p, paynectra::store::Writes::NONE)
            .await
            .expect("store payment");
        p.id.to_string()
    }

    /// A Scan of the app's table, to finish and send (tests only: to prove
    /// what is and is not stored).
    pub fn scan(&self) -> aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder {
        self.app.store.client().scan().table_name(self.app.store.table())
    }

    /// Every item in the table (a Scan: tests only, to prove that refused
    /// requests wrote nothing).
    pub async fn item_count(&self) -> usize {
        let out = self
            .scan()
            .select(aws_sdk_dynamodb::types::Select::Count)
            .send()
            .await
            .expect("scan");
        out.count() as usize
    }

    /// Every item of the table, each as its JSON text (a Scan: tests only,
    /// to prove what is and is not stored).
    pub async fn dump_items(&self) -> Vec<String> {
        let mut pages = self.scan().into_paginator().items().send();
        let mut out = Vec::new();
        while let Some(item) = pages.next().await {
            out.push(format!("{:?}", item.expect("scan")));
        }
        out
    }

    /// Every image (new and old) of every record of the table's stream
    /// since it was created, each as text: what a stream consumer (the
    /// webhook follower, a backup, an analytics pipeline) sees.
    pub async fn dump_stream(&self) -> Vec<String> {
        use aws_sdk_dynamodbstreams::types::ShardIteratorType;
        let streams = paynectra_local::stream::streams_client(&endpoint()).await;
        let table = self
            .app
            .store
            .client()
            .describe_table()
            .table_name(self.app.store.table())
            .send()
            .await
            .expect("describe table");
        let arn = table
            .table()
            .and_then(|t| t.latest_stream_arn())
            .expect("a stream")
            .to_owned();
        let described = streams
            .describe_stream()
            .stream_arn(&arn)
            .send()
            .await
            .expect("describe stream");
        let mut out = Vec::new();
        for shard in described.stream_description().map(|d| d.shards()).unwrap_or_default() {
            let mut iterator = streams
                .get_shard_iterator()
                .stream_arn(&arn)
                .shard_id(shard.shard_id().unwrap_or_default())
                .shard_iterator_type(ShardIteratorType::TrimHorizon)
                .send()
                .await
                .expect("shard iterator")
                .shard_iterator;
            while let Some(it) = iterator.take() {
                let page = streams.get_records().shard_iterator(it).send().await.expect("records");
                if page.records().is_empty() {
                    break;
                }
                for record in page.records() {
                    if let Some(change) = record.dynamodb() {
                        out.push(format!("{:?} {:?}", change.new_image(), change.old_image()));
                    }
                }
                iterator = page.next_shard_iterator;
            }
        }
        out
    }
}
