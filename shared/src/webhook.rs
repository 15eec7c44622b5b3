//! Webhook signatures, and the secrets they are made with.
//!
//! A delivery carries `Paynectra-Signature: t=<unix>,v1=<hex>`, where the hex
//! is HMAC-SHA256 of `"<t>.<body>"` under the endpoint's `whsec_` secret.
//! [`verify`] is what a merchant runs (the README shows it in Rust and with
//! openssl): it checks the signature in constant time and refuses a
//! timestamp more than [`TOLERANCE_SECONDS`] away from now (replays).
//!
//! Secrets are needed in plaintext to sign, so they cannot be hashed: they
//! are stored encrypted with AES-256-GCM under the deployment's
//! `WEBHOOK_SECRET_KEY`.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use ring::aead;
use sha2::{Digest, Sha256};

pub const SIGNATURE_HEADER: &str = "Paynectra-Signature";
pub const TOLERANCE_SECONDS: i64 = 300;

/// The header value for `body` sent at `t`.
pub fn sign(secret: &str, t: i64, body: &str) -> String {
    format!("t={t},v1={}", hex(&mac(secret, t, body)))
}

fn mac(secret: &str, t: i64, body: &str) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    m.update(t.to_string().as_bytes());
    m.update(b".");
    m.update(body.as_bytes());
    m.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the signature header is malformed")]
    Malformed,
    #[error("the timestamp is outside the tolerance")]
    Stale,
    #[error("no signature matches")]
    Mismatch,
}

/// Verifies a delivery: `header` is the `Paynectra-Signature` value, `body`
/// the raw request body, `now` the receiver's clock (Unix seconds).
pub fn verify(secret: &str, header: &str, body: &str, now: i64) -> Result<(), VerifyError> {
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.push(v.to_owned()),
            _ => {}
        }
    }
    let t = t.ok_or(VerifyError::Malformed)?;
    if signatures.is_empty() {
        return Err(VerifyError::Malformed);
    }
    if now.abs_diff(t) > TOLERANCE_SECONDS.unsigned_abs() {
        return Err(VerifyError::Stale);
    }
    let expected = hex(&mac(secret, t, body));
    let matches = signatures
        .iter()
        .any(|s| subtle::ConstantTimeEq::ct_eq(s.as_bytes(), expected.as_bytes()).into());
    if matches {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

/// A new `whsec_` secret (about 190 bits of randomness).
pub fn new_secret() -> String {
    const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = String::from("whsec_");
    let mut buf = [0u8; 64];
    while out.len() < 6 + 32 {
        getrandom::fill(&mut buf).expect("the OS random number generator failed");
        for b in buf.iter().filter(|b| **b < 248) {
            if out.len() == 6 + 32 {
                break;
            }
            out.push(BASE62[usize::from(*b % 62)] as char);
        }
    }
    out
}

/// Encrypts webhook secrets for storage (AES-256-GCM, random nonce).
#[derive(Clone)]
pub struct SecretBox {
    key: aead::LessSafeKey,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    /// From the deployment's `WEBHOOK_SECRET_KEY` (any string of 32+
    /// characters; the AES key is its SHA-256).
    pub fn new(key_material: &str) -> Option<Self> {
        (key_material.len() >= 32).then(|| {
            let digest = Sha256::digest(key_material.as_bytes());
            let unbound = aead::UnboundKey::new(&aead::AES_256_GCM, &digest).expect("32 bytes make an AES-256 key");
            Self {
                key: aead::LessSafeKey::new(unbound),
            }
        })
    }

    /// Seals `plaintext` bound to `context` (the endpoint's id): a sealed
    /// secret copied onto another endpoint does not open.
    pub fn seal(&self, plaintext: &str, context: &str) -> String {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).expect("the OS random number generator failed");
        let mut data = plaintext.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(context.as_bytes()),
                &mut data,
            )
            .expect("sealing cannot fail for small inputs");
        let mut out = nonce.to_vec();
        out.extend(data);
        base64::engine::general_purpose::STANDARD.encode(out)
    }

    pub fn open(&self, sealed: &str, context: &str) -> Option<String> {
        let raw = base64::engine::general_purpose::STANDARD.decode(sealed).ok()?;
        if raw.len() < 12 + 16 {
            return None;
        }
        let (nonce, rest) = raw.split_at(12);
        let mut data = rest.to_vec();
        let nonce = aead::Nonce::try_assume_unique_for_key(nonce).ok()?;
        let plain = self
            .key
            .open_in_place(nonce, aead::Aad::from(context.as_bytes()), &mut data)
            .ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify() {
        let secret = new_secret();
        assert!(secret.starts_with("whsec_") && secret.len() == 38);
        let body = r#"{"id":"evt_1"}"#;
        let header = sign(&secret, 1_000, body);
        assert!(header.starts_with("t=1000,v1="));
        assert_eq!(verify(&secret, &header, body, 1_000), Ok(()));
        assert_eq!(verify(&secret, &header, body, 1_300), Ok(()));
        assert_eq!(verify(&secret, &header, body, 1_301), Err(VerifyError::Stale));
        assert_eq!(verify(&secret, &header, "{}", 1_000), Err(VerifyError::Mismatch));
        assert_eq!(verify("whsec_other", &header, body, 1_000), Err(VerifyError::Mismatch));
        assert_eq!(verify(&secret, "v1=abc", body, 1_000), Err(VerifyError::Malformed));
        assert_eq!(
            verify(&secret, &format!("t={},v1=00", i64::MIN), body, i64::MAX),
            Err(VerifyError::Stale)
        );
        // Several v1 signatures (during a secret roll): any one may match.
        let both = format!("{header},v1=00");
        assert_eq!(verify(&secret, &both, body, 1_000), Ok(()));
    }

    #[test]
    fn secrets_round_trip_encrypted() {
        let b = SecretBox::new("a-deployment-key-of-at-least-32-chars").unwrap();
        let sealed = b.seal("whsec_abc", "we_1");
        assert!(!sealed.contains("whsec"));
        assert_ne!(sealed, b.seal("whsec_abc", "we_1"), "random nonces");
        assert_eq!(b.open(&sealed, "we_1").as_deref(), Some("whsec_abc"));
        assert_eq!(b.open(&sealed, "we_2"), None, "bound to its endpoint");
        let other = SecretBox::new("another-deployment-key-of-32-chars!!").unwrap();
        assert_eq!(other.open(&sealed, "we_1"), None);
        assert!(SecretBox::new("short").is_none());
    }
}
