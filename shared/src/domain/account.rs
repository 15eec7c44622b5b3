//! Accounts, modes and API keys.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{AccountId, ApiKeyId};

/// Test or live. Every stored object belongs to exactly one mode, and a key
/// of one mode can never reach the other mode's objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Test,
    Live,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Test => "test",
            Mode::Live => "live",
        }
    }

    pub fn livemode(self) -> bool {
        self == Mode::Live
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "test" => Some(Mode::Test),
            "live" => Some(Mode::Live),
            _ => None,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whose data a request may touch: one account, in one mode. The store
/// builds every key from a tenant, so no query can cross tenants.
///
/// `list_shards` is how many partitions each of the tenant's busiest list
/// indexes is spread over (1 unless an operator grew it for a high-volume
/// merchant; `docs/data-model.md`, "Sharded lists"). It travels with the
/// tenant from the API key (the authorizer's context) or a stored sweep
/// entry, so writers spread items over the shards that lists read. A writer
/// with a smaller count than a reader is safe (its shards are among the
/// reader's); for up to a minute after a count grows (API Gateway's cached
/// authorizer answers), a reader with the old count can miss the newest
/// items.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tenant {
    pub account_id: AccountId,
    pub mode: Mode,
    list_shards: u8,
}

/// The most list shards an account can have: a list page reads every shard
/// (one Query each, concurrently), so this bounds a list call's fan-out.
pub const MAX_LIST_SHARDS: u8 = 64;

impl Tenant {
    /// A tenant with unsharded lists.
    pub fn new(account_id: AccountId, mode: Mode) -> Self {
        Self {
            account_id,
            mode,
            list_shards: 1,
        }
    }

    /// The tenant with its lists spread over `shards` partitions, clamped to
    /// `1..=MAX_LIST_SHARDS`.
    pub fn with_list_shards(self, shards: u8) -> Self {
        Self {
            list_shards: shards.clamp(1, MAX_LIST_SHARDS),
            ..self
        }
    }

    pub fn list_shards(&self) -> u8 {
        self.list_shards
    }
}

/// Serde default of a stored shard count written before counts existed.
pub fn one_list_shard() -> u8 {
    1
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    pub created: i64,
}

/// Secret keys (`sk_`) can do everything; publishable keys (`pk_`) are
/// safe to put in a web page and can only tokenise cards and confirm a
/// payment whose client secret they present; restricted keys (`rk_`) can
/// read everything of their account and mode and write nothing (a
/// dashboard for people who look but do not touch, a reporting job).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    Secret,
    Publishable,
    Restricted,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Secret => "secret",
            KeyKind::Publishable => "publishable",
            KeyKind::Restricted => "restricted",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            KeyKind::Secret => "sk",
            KeyKind::Publishable => "pk",
            KeyKind::Restricted => "rk",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "secret" => Some(KeyKind::Secret),
            "publishable" => Some(KeyKind::Publishable),
            "restricted" => Some(KeyKind::Restricted),
            _ => None,
        }
    }
}

/// Characters of randomness in a secret key: 32 base62 characters carry
/// about 190 bits.
const SECRET_CHARS: usize = 32;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A secret API key in plaintext: `sk_test_...` or `sk_live_...`. It exists
/// only while a key is created (to show it once) and while a request is
/// authenticated. It has no `Debug` or `Display`, so it cannot be logged by
/// accident; only its [`KeyHash`] is stored.
pub struct SecretKey {
    value: String,
    mode: Mode,
    kind: KeyKind,
}

impl SecretKey {
    /// A new random secret key for `mode`, from the operating system's CSPRNG.
    pub fn generate(mode: Mode) -> Self {
        Self::generate_kind(mode, KeyKind::Secret)
    }

    /// A new random publishable key for `mode`.
    pub fn generate_publishable(mode: Mode) -> Self {
        Self::generate_kind(mode, KeyKind::Publishable)
    }

    /// A new random restricted (read-only) key for `mode`.
    pub fn generate_restricted(mode: Mode) -> Self {
        Self::generate_kind(mode, KeyKind::Restricted)
    }

    fn generate_kind(mode: Mode, kind: KeyKind) -> Self {
        let mut value = format!("{}_{}_", kind.prefix(), mode.as_str());
        let mut buf = [0u8; 64];
        while value.len() < 8 + SECRET_CHARS {
            getrandom::fill(&mut buf).expect("the OS random number generator failed");
            // Rejection sampling: 248 = 4 * 62, so accepted bytes are uniform.
            for b in buf.iter().filter(|b| **b < 248) {
                if value.len() == 8 + SECRET_CHARS {
                    break;
                }
                value.push(BASE62[usize::from(*b % 62)] as char);
            }
        }
        Self { value, mode, kind }
    }

    /// Parses a presented key. Anything that is not shaped like one of our
    /// secret keys is `None`: the caller answers 401 without a lookup.
    pub fn parse(presented: &str) -> Option<Self> {
        let (kind, rest) = match presented.get(..3) {
            Some("sk_") => (KeyKind::Secret, &presented[3..]),
            Some("pk_") => (KeyKind::Publishable, &presented[3..]),
            Some("rk_") => (KeyKind::Restricted, &presented[3..]),
            _ => return None,
        };
        let (mode, body) = if let Some(body) = rest.strip_prefix("test_") {
            (Mode::Test, body)
        } else if let Some(body) = rest.strip_prefix("live_") {
            (Mode::Live, body)
        } else {
            return None;
        };
        let shaped = (24..=128).contains(&body.len()) && body.bytes().all(|b| b.is_ascii_alphanumeric());
        shaped.then(|| Self {
            value: presented.to_owned(),
            mode,
            kind,
        })
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    pub fn hash(&self) -> KeyHash {
        KeyHash(Sha256::digest(self.value.as_bytes()).into())
    }

    /// A hint safe to show an operator: `sk_test_...wxyz`.
    pub fn redacted(&self) -> String {
        let tail = &self.value[self.value.len() - 4..];
        format!("{}_{}_...{tail}", self.kind.prefix(), self.mode.as_str())
    }

    /// The plaintext, to hand to the operator exactly once.
    pub fn expose(&self) -> &str {
        &self.value
    }
}

/// SHA-256 of a secret key. Keys carry ~190 bits of randomness, so a fast
/// hash is enough (no password KDF is needed), and the hash is what we store
/// and look up by.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct KeyHash([u8; 32]);

impl KeyHash {
    pub fn to_hex(self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn from_hex(s: &str) -> Option<Self> {
        if s.len() != 64 || !s.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
            let hex = std::str::from_utf8(chunk).ok()?;
            out[i] = u8::from_str_radix(hex, 16).ok()?;
        }
        Some(Self(out))
    }

    /// Constant-time equality, so a comparison's timing reveals nothing of
    /// how much of a hash matched.
    pub fn ct_eq(&self, other: &KeyHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyHash(..)")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyStatus {
    Active,
    Revoked,
}

/// What we store about a secret key: never the key itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub account_id: AccountId,
    pub mode: Mode,
    pub kind: KeyKind,
    pub hash: KeyHash,
    /// `sk_test_...wxyz`, for operators telling keys apart.
    pub redacted: String,
    pub status: KeyStatus,
    pub created: i64,
    /// The account's list shard count ([`Tenant::list_shards`]), copied
    /// onto each key so the authorizer reads it with the key.
    pub list_shards: u8,
}

impl ApiKey {
    pub fn new(account_id: AccountId, secret: &SecretKey, created: i64) -> Self {
        Self {
            id: ApiKeyId::generate(),
            account_id,
            mode: secret.mode(),
            kind: secret.kind(),
            hash: secret.hash(),
            redacted: secret.redacted(),
            status: KeyStatus::Active,
            created,
            list_shards: 1,
        }
    }

    /// Whether `presented` is this key and the key is active. The hash
    /// comparison is constant-time.
    pub fn authenticates(&self, presented: &SecretKey) -> bool {
        let matches = self.hash.ct_eq(&presented.hash());
        matches && self.status == KeyStatus::Active && self.mode == presented.mode() && self.kind == presented.kind()
    }

    pub fn tenant(&self) -> Tenant {
        Tenant::new(self.account_id.clone(), self.mode).with_list_shards(self.list_shards)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_the_mode_prefix_and_enough_randomness() {
        let k = SecretKey::generate(Mode::Test);
        assert!(k.expose().starts_with("sk_test_"));
        assert_eq!(k.expose().len(), 8 + SECRET_CHARS);
        let l = SecretKey::generate(Mode::Live);
        assert!(l.expose().starts_with("sk_live_"));
        assert_ne!(SecretKey::generate(Mode::Test).expose(), k.expose());
        // 32 characters of a 62-letter alphabet: log2(62^32) > 128 bits.
        assert!(32.0 * 62f64.log2() > 128.0);
    }

    #[test]
    fn parse_accepts_only_key_shapes() {
        let k = SecretKey::generate(Mode::Live);
        let parsed = SecretKey::parse(k.expose()).unwrap();
        assert_eq!(parsed.mode(), Mode::Live);
        assert!(parsed.hash() == k.hash());
        let p = SecretKey::generate_publishable(Mode::Test);
        assert!(p.expose().starts_with("pk_test_"));
        assert_eq!(SecretKey::parse(p.expose()).unwrap().kind(), KeyKind::Publishable);
        assert!(
            !ApiKey::new(AccountId::generate(), &p, 0).authenticates(&k),
            "kinds do not mix"
        );
        let r = SecretKey::generate_restricted(Mode::Test);
        assert!(r.expose().starts_with("rk_test_"));
        assert_eq!(SecretKey::parse(r.expose()).unwrap().kind(), KeyKind::Restricted);
        assert!(r.redacted().starts_with("rk_test_..."));
        for bad in [
            "",
            "sk_test_",
            "sk_test_short",
            "rk_test_0123456789012345678901",
            "xk_test_0123456789012345678901234",
            "sk_prod_012345678901234567890123456",
            "sk_test_01234567890123456789012345678901$",
        ] {
            assert!(SecretKey::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn hash_hex_round_trip_and_constant_time_eq() {
        let k = SecretKey::generate(Mode::Test);
        let h = k.hash();
        let back = KeyHash::from_hex(&h.to_hex()).unwrap();
        assert!(back.ct_eq(&h));
        assert!(!back.ct_eq(&SecretKey::generate(Mode::Test).hash()));
        assert!(KeyHash::from_hex("zz").is_none());
        assert_eq!(format!("{h:?}"), "KeyHash(..)");
    }

    #[test]
    fn revoked_or_other_keys_do_not_authenticate() {
        let acct = AccountId::generate();
        let secret = SecretKey::generate(Mode::Test);
        let mut key = ApiKey::new(acct, &secret, 0);
        assert!(key.authenticates(&secret));
        assert!(!key.authenticates(&SecretKey::generate(Mode::Test)));
        key.status = KeyStatus::Revoked;
        assert!(!key.authenticates(&secret));
        assert!(key.redacted.starts_with("sk_test_..."));
        assert!(!key.redacted.contains(&secret.expose()[8..20]));
    }
}
