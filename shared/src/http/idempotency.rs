//! `Idempotency-Key`: a retried POST never charges or refunds twice.
//!
//! A POST handler validates its input first (a request refused there is not
//! recorded, so the client can fix it and retry with the same key), then
//! calls [`begin`]: one conditional write claims the key, or the key's
//! recorded response is replayed. The handler's own write carries the
//! [`Run::completion`] in its transaction, so a crash cannot leave a charge
//! without its record; any other outcome (an error the endpoint answered
//! after it began) is recorded by [`Run::finish`].

use hmac::{Hmac, KeyInit, Mac};
use http::{header, StatusCode};
use lambda_http::{Body, Request, RequestExt};
use sha2::{Digest, Sha256};

use super::{ApiError, ErrorType, Reply, RequestCtx};
use crate::{
    domain::card::card_fingerprint,
    service::App,
    store::{Completion, IdempotencyRecord, IdempotencyState, Store, StoreError},
};

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// Records are kept this long (DynamoDB TTL deletes them later).
pub const RETENTION_SECONDS: i64 = 24 * 60 * 60;
/// An in-flight claim older than this is considered abandoned: three times
/// the functions' 10 s timeout, so a live request's claim is never taken.
pub const LOCK_SECONDS: i64 = 30;

fn hex(bytes: impl AsRef<[u8]>) -> String {
    bytes.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// How a key is stored: SHA-256, hex.
pub fn key_hash(key: &str) -> String {
    hex(Sha256::digest(key.as_bytes()))
}

/// The request's key, if it sent one: 1 to 255 printable ASCII characters.
fn key(req: &Request) -> Result<Option<String>, ApiError> {
    let Some(v) = req.headers().get(HEADER) else {
        return Ok(None);
    };
    let valid = v
        .to_str()
        .ok()
        .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| (0x20..=0x7e).contains(&b)));
    match valid {
        Some(k) => Ok(Some(k.to_owned())),
        None => Err(ApiError::invalid(
            "idempotency_key_invalid",
            "The Idempotency-Key header must be 1 to 255 printable ASCII characters.",
            None,
        )),
    }
}

/// The request's path without API Gateway's stage prefix.
fn path(req: &Request) -> &str {
    match req.raw_http_path() {
        "" => req.uri().path(),
        p => p,
    }
}

/// What makes two requests "the same": method, path and body, the body as
/// canonical JSON (object keys sorted, whitespace dropped), as an HMAC
/// under a key derived from the deployment's `CARD_FINGERPRINT_KEY`:
/// nothing stored can be recomputed from a request without that secret.
/// Card data never enters it as such: a `card` object's `number` counts as
/// the card's keyed fingerprint (the one its payment method shows), and a
/// `cvc` anywhere is left out (a retry with another CVC is the same request).
pub fn fingerprint(secret: &[u8], method: &str, path: &str, body: &[u8]) -> String {
    let canonical = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut v) => {
            without_card_data(&mut v, secret);
            v.to_string()
        }
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(&fingerprint_key(secret)).expect("HMAC takes keys of any length");
    mac.update(method.as_bytes());
    mac.update(b" ");
    mac.update(path.as_bytes());
    mac.update(b"\n");
    mac.update(canonical.as_bytes());
    hex(mac.finalize().into_bytes())
}

/// The request fingerprints' own key: not the card fingerprint key itself,
/// so the two kinds of HMAC can never be confused.
fn fingerprint_key(secret: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(b"paynectra idempotency request fingerprint v1");
    mac.finalize().into_bytes().to_vec()
}

/// Replaces each `card.number` with the card's keyed fingerprint and drops
/// every `cvc`, at any depth.
fn without_card_data(v: &mut serde_json::Value, secret: &[u8]) {
    match v {
        serde_json::Value::Object(map) => {
            map.remove("cvc");
            if let Some(serde_json::Value::Object(card)) = map.get_mut("card") {
                if let Some(serde_json::Value::String(number)) = card.remove("number") {
                    let fingerprint = card_fingerprint(secret, &number);
                    card.insert("fingerprint".into(), serde_json::Value::String(fingerprint));
                }
            }
            map.values_mut().for_each(|v| without_card_data(v, secret));
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| without_card_data(v, secret)),
        _ => {}
    }
}

fn request_fingerprint(secret: &[u8], req: &Request) -> String {
    let bytes: &[u8] = match req.body() {
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => b"",
    };
    fingerprint(secret, req.method().as_str(), path(req), bytes)
}

fn idempotency_error(status: StatusCode, code: &str, message: String) -> ApiError {
    ApiError::new(status, ErrorType::IdempotencyError, Some(code), message, None)
}

/// The outcome of [`begin`].
enum Begin {
    /// Do the work (and record it, if the request has a key).
    Run(Run),
    /// The key's recorded response: return it as it is.
    Replay(Reply),
}

/// A claimed key (or none), for the duration of the work.
pub struct Run {
    claim: Option<Claim>,
}

struct Claim {
    ctx: RequestCtx,
    key_hash: String,
    token: String,
}

/// What the work produced: the reply, and whether its own write already
/// recorded it (the completion was part of its transaction).
pub struct Outcome {
    pub reply: Reply,
    pub recorded: bool,
}

impl Outcome {
    /// A reply whose completion rode in the work's own write when there was
    /// one (`completion` is what [`Run::completion`] gave).
    pub fn written<T>(reply: Reply, completion: &Option<T>) -> Self {
        Self {
            recorded: completion.is_some(),
            reply,
        }
    }

    /// A reply the work did not record itself ([`Run::finish`] does).
    pub fn unrecorded(reply: Reply) -> Self {
        Self { reply, recorded: false }
    }
}

/// Runs a POST under its `Idempotency-Key`, the one way every POST endpoint
/// does it: claims the key (or replays its recorded response), runs `work`
/// with the claim (whose [`Run::completion`] the work writes in its own
/// transaction), then records whatever else the work answered, or releases
/// the key for an answer that says "retry". Call it after the input is
/// validated: a refused request is not recorded. Without a key it costs
/// nothing.
pub async fn idempotent(
    app: &App,
    ctx: &RequestCtx,
    req: &Request,
    work: impl AsyncFnOnce(&Run) -> Result<Outcome, ApiError>,
) -> Result<Reply, ApiError> {
    let store = &app.store;
    let run = match begin(app, ctx, req).await? {
        Begin::Replay(reply) => return Ok(reply),
        Begin::Run(run) => run,
    };
    let outcome = work(&run).await;
    run.finish(store, outcome).await
}

/// Claims the request's `Idempotency-Key`, or answers from its record.
/// Without a key it costs nothing.
async fn begin(app: &App, ctx: &RequestCtx, req: &Request) -> Result<Begin, ApiError> {
    let Some(key) = key(req)? else {
        return Ok(Begin::Run(Run { claim: None }));
    };
    let store = &app.store;
    let now = ctx.now;
    let record = IdempotencyRecord {
        // Publishable and secret keys have separate key spaces: a browser
        // (anyone with the pk_) cannot take a key the merchant's server uses.
        key_hash: key_hash(&format!("{}:{key}", ctx.key_kind.as_str())),
        fingerprint: request_fingerprint(app.request_fingerprint_key()?, req),
        endpoint: format!("{} {}", req.method(), path(req)),
        state: IdempotencyState::InFlight,
        token: uuid::Uuid::new_v4().simple().to_string(),
        created: now,
        expires_at: now + RETENTION_SECONDS,
        lock_expires_at: now + LOCK_SECONDS,
        status_code: None,
        body: None,
    };
    let held = match store.claim_idempotency_key(&ctx.tenant, &record, now).await {
        Ok(None) => {
            tracing::info!(idempotency = "claimed", "idempotency key claimed");
            return Ok(Begin::Run(Run {
                claim: Some(Claim {
                    ctx: ctx.clone(),
                    key_hash: record.key_hash,
                    token: record.token,
                }),
            }));
        }
        Ok(Some(held)) => held,
        Err(StoreError::IdempotencyLost) => {
            return Err(idempotency_error(
                StatusCode::CONFLICT,
                "idempotency_key_in_use",
                "A request with this Idempotency-Key is in progress; retry shortly.".into(),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    if held.fingerprint != record.fingerprint {
        return Err(idempotency_error(
            StatusCode::BAD_REQUEST,
            "idempotency_key_reused",
            format!(
                "This Idempotency-Key was first used for a different request ({}, with other parameters). \
                 Use a new key for a different request.",
                held.endpoint
            ),
        ));
    }
    match (held.state, held.status_code, held.body) {
        (IdempotencyState::Completed, Some(status), Some(body)) => {
            tracing::info!(idempotency = "replayed", status, "idempotent response replayed");
            Ok(Begin::Replay(Reply {
                status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                body,
                replayed: true,
            }))
        }
        _ => Err(idempotency_error(
            StatusCode::CONFLICT,
            "idempotency_key_in_use",
            "A request with this Idempotency-Key is in progress; retry shortly.".into(),
        )),
    }
}

impl Run {
    /// The completion to write in the same transaction as the endpoint's own
    /// write, if the request has a key.
    pub fn completion(&self, reply: &Reply) -> Option<Completion> {
        self.claim.as_ref().map(|c| Completion {
            key_hash: c.key_hash.clone(),
            token: c.token.clone(),
            status_code: reply.status.as_u16(),
            body: reply.body.clone(),
        })
    }

    /// Records what the work produced, unless its own write already did:
    /// errors the endpoint answered after it began are replayed too.
    async fn finish(self, store: &Store, outcome: Result<Outcome, ApiError>) -> Result<Reply, ApiError> {
        let Some(claim) = self.claim else {
            return outcome.map(|o| o.reply);
        };
        let (status, body, result) = match outcome {
            Ok(Outcome { recorded: true, reply }) => return Ok(reply),
            Ok(Outcome { reply, .. }) => (reply.status, reply.body.clone(), Ok(reply)),
            // "Nothing was written, retry" answers (409, 429, 5xx) must not
            // be replayed: release the key so the retry runs.
            Err(e)
                if e.status.is_server_error()
                    || e.status == StatusCode::CONFLICT
                    || e.status == StatusCode::TOO_MANY_REQUESTS =>
            {
                release(store, &claim.ctx, &claim.key_hash, &claim.token).await;
                return Err(e);
            }
            Err(e) => (e.status, e.body(), Err(e)),
        };
        let completion = Completion {
            key_hash: claim.key_hash,
            token: claim.token,
            status_code: status.as_u16(),
            body,
        };
        match store.complete_idempotency_key(&claim.ctx.tenant, &completion).await {
            Ok(()) => result,
            // A success whose own write already happened (an attach, which
            // gives the same answer when run again) still goes out.
            Err(e) if result.is_ok() => {
                tracing::warn!(error = %e, "could not record the idempotent response");
                result
            }
            // A refusal that could not be recorded is not final: a retry
            // with the key must be free to run and may be answered
            // otherwise (a balance that has since grown), so answering the
            // refusal now would break "the first final answer is the
            // answer for good". The refusal wrote nothing: say "retry".
            Err(e) => {
                tracing::error!(error = %e, "could not record the idempotent refusal; answering 500");
                release(store, &claim.ctx, &completion.key_hash, &completion.token).await;
                Err(ApiError::internal())
            }
        }
    }
}

/// Gives a claimed key up so its retry runs (or, if DynamoDB cannot be
/// reached, leaves the claim to expire after [`LOCK_SECONDS`]).
async fn release(store: &Store, ctx: &RequestCtx, key_hash: &str, token: &str) {
    if let Err(e) = store.release_idempotency_key(&ctx.tenant, key_hash, token).await {
        tracing::warn!(error = %e, "could not release the idempotency key");
    }
}

/// The header that marks a replayed response.
pub fn replayed_header() -> (header::HeaderName, header::HeaderValue) {
    (
        header::HeaderName::from_static(REPLAYED_HEADER),
        header::HeaderValue::from_static("true"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, path: &str, body: &str, key: Option<&str>) -> Request {
        let mut b = http::Request::builder().method(method).uri(path);
        if let Some(k) = key {
            b = b.header(HEADER, k);
        }
        b.body(Body::Text(body.into())).unwrap()
    }

    #[test]
    fn keys_must_be_printable_ascii_up_to_255() {
        assert_eq!(key(&req("POST", "/v1/payments", "", None)).unwrap(), None);
        assert_eq!(
            key(&req("POST", "/", "", Some("order-6735"))).unwrap().as_deref(),
            Some("order-6735")
        );
        assert!(key(&req("POST", "/", "", Some(&"k".repeat(255)))).is_ok());
        assert!(key(&req("POST", "/", "", Some(&"k".repeat(256)))).is_err());
        assert!(key(&req("POST", "/", "", Some(""))).is_err());
    }

    const SECRET: &[u8] = b"deployment-secret-for-tests";

    #[test]
    fn fingerprints_ignore_formatting_but_not_parameters_or_endpoints() {
        let fp = |method, path, body| request_fingerprint(SECRET, &req(method, path, body, None));
        let a = fp("POST", "/v1/payments", r#"{"amount": 100, "currency": "usd"}"#);
        let b = fp("POST", "/v1/payments", r#"{"currency":"usd","amount":100}"#);
        let c = fp("POST", "/v1/payments", r#"{"currency":"usd","amount":101}"#);
        let d = fp("POST", "/v1/customers", r#"{"currency":"usd","amount":100}"#);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    #[test]
    fn fingerprints_are_keyed_and_never_see_the_number_or_the_cvc() {
        let card = |number: &str, cvc: &str| {
            format!(r#"{{"type":"card","card":{{"number":"{number}","exp_month":12,"exp_year":2030,"cvc":"{cvc}"}}}}"#)
        };
        let fp = |secret: &[u8], body: &str| fingerprint(secret, "POST", "/v1/payment_methods", body.as_bytes());
        let a = fp(SECRET, &card("4242424242424242", "123"));
        // Another CVC is the same request; another card is not; nor is
        // the same request under another deployment's key.
        assert_eq!(a, fp(SECRET, &card("4242424242424242", "999")));
        assert_eq!(a, fp(SECRET, &card("4242 4242 4242 4242", "123")));
        assert_ne!(a, fp(SECRET, &card("4000056655665556", "123")));
        assert_ne!(a, fp(b"another-deployment", &card("4242424242424242", "123")));
        // The old formula (unkeyed SHA-256 of the canonical body) matches
        // none of the thousand CVCs.
        for cvc in 0..1000 {
            let body: serde_json::Value =
                serde_json::from_str(&card("4242424242424242", &format!("{cvc:03}"))).unwrap();
            let mut h = Sha256::new();
            h.update(format!("POST /v1/payment_methods\n{body}"));
            assert_ne!(hex(h.finalize()), a);
        }
    }
}
