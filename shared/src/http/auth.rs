//! API key authentication, as the authorizer runs it.

use base64::Engine;

use crate::{
    domain::{ApiKey, KeyKind, SecretKey},
    store::{Store, StoreError},
};

/// The secret key presented in an `Authorization` header: `Bearer sk_...`,
/// or HTTP Basic with the key as the user name and an empty password (as
/// Stripe's client libraries send it). Anything else is `None`.
pub fn presented_key(authorization: &str) -> Option<SecretKey> {
    let (scheme, credentials) = authorization.trim().split_once(' ')?;
    let credentials = credentials.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return SecretKey::parse(credentials);
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD.decode(credentials).ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (user, password) = decoded.split_once(':')?;
        return if password.is_empty() {
            SecretKey::parse(user)
        } else {
            None
        };
    }
    None
}

/// The active key an `Authorization` header authenticates, if any: one
/// GetItem by the key's hash, then a constant-time comparison. Unknown,
/// malformed and revoked keys are all `None`, so the caller cannot tell
/// them apart (and neither can a client).
pub async fn authenticate(store: &Store, authorization: Option<&str>) -> Result<Option<ApiKey>, StoreError> {
    let Some(secret) = authorization.and_then(presented_key) else {
        return Ok(None);
    };
    let Some(key) = store.find_api_key(&secret.hash()).await? else {
        return Ok(None);
    };
    Ok(key.authenticates(&secret).then_some(key))
}

/// The active publishable key `presented` is (the hosted page's `?key=`),
/// if any: as [`authenticate`], and a secret key is `None` too.
pub async fn publishable_key(store: &Store, presented: Option<&str>) -> Result<Option<ApiKey>, StoreError> {
    let Some(presented) = presented else {
        return Ok(None);
    };
    let key = authenticate(store, Some(&format!("Bearer {presented}"))).await?;
    Ok(key.filter(|k| k.kind == KeyKind::Publishable))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Mode;

    #[test]
    fn bearer_and_basic() {
        let k = SecretKey::generate(Mode::Test);
        let bearer = format!("Bearer {}", k.expose());
        assert!(presented_key(&bearer).unwrap().hash() == k.hash());
        assert!(presented_key(&format!("bearer  {}", k.expose())).is_some());
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:", k.expose()));
        assert!(presented_key(&format!("Basic {basic}")).unwrap().hash() == k.hash());
        let with_pw = base64::engine::general_purpose::STANDARD.encode(format!("{}:pw", k.expose()));
        assert!(presented_key(&format!("Basic {with_pw}")).is_none());
        for bad in ["", "Bearer", "Bearer sk_test_x", "Token abc", "Basic !!!", k.expose()] {
            assert!(presented_key(bad).is_none(), "{bad}");
        }
    }
}
