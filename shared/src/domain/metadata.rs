//! Key-value metadata with Stripe's limits.

use std::collections::BTreeMap;

use super::ValidationError;

pub const MAX_KEYS: usize = 50;
pub const MAX_KEY_CHARS: usize = 40;
pub const MAX_VALUE_CHARS: usize = 500;

/// Up to 50 string pairs; keys of at most 40 characters without square
/// brackets, values of at most 500 characters.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Metadata(BTreeMap<String, String>);

impl Metadata {
    /// Validates metadata given on create. As on Stripe, a key set to the
    /// empty string is "unset", so on create it is simply left out.
    /// Keys are checked even where the value is empty: a key that could
    /// never have been set is refused, not silently ignored.
    pub fn parse(param: &str, raw: BTreeMap<String, String>) -> Result<Self, ValidationError> {
        for key in raw.keys() {
            Self::check_key(param, key)?;
        }
        let map: BTreeMap<String, String> = raw.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        if map.len() > MAX_KEYS {
            return Err(ValidationError::invalid(
                param,
                format!(
                    "Invalid {param}: at most {MAX_KEYS} keys are allowed (got {}).",
                    map.len()
                ),
            ));
        }
        for (key, value) in &map {
            let key_param = format!("{param}[{key}]");
            if value.chars().count() > MAX_VALUE_CHARS {
                return Err(ValidationError::invalid(
                    &key_param,
                    format!("Invalid {key_param}: values must be at most {MAX_VALUE_CHARS} characters."),
                ));
            }
        }
        Ok(Self(map))
    }

    /// A key of 1 to 40 characters without square brackets or control
    /// characters.
    pub fn check_key(param: &str, key: &str) -> Result<(), ValidationError> {
        if key.is_empty() {
            return Err(ValidationError::invalid(
                param,
                format!("Invalid {param}: keys must not be empty."),
            ));
        }
        if key.chars().count() > MAX_KEY_CHARS || key.contains(['[', ']']) || key.chars().any(char::is_control) {
            return Err(ValidationError::invalid(
                param,
                format!(
                    "Invalid {param}: keys must be at most {MAX_KEY_CHARS} characters, without square brackets or control characters."
                ),
            ));
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// This metadata with `patch` merged in key by key (Stripe's update
    /// rules), checked against the limits again.
    pub fn merged(&self, param: &str, patch: &MetadataPatch) -> Result<Self, ValidationError> {
        let mut map = self.0.clone();
        for (k, v) in &patch.0 {
            match v {
                Some(v) => map.insert(k.clone(), v.clone()),
                None => map.remove(k),
            };
        }
        Self::parse(param, map)
    }
}

/// Metadata as an update sends it: keys to set, and keys sent with an
/// empty value, to remove (`None`). Keys not named stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetadataPatch(BTreeMap<String, Option<String>>);

impl MetadataPatch {
    /// Every key checked as on create; an empty value removes its key.
    pub fn parse(param: &str, raw: BTreeMap<String, String>) -> Result<Self, ValidationError> {
        let mut patch = BTreeMap::new();
        for (k, v) in raw {
            Metadata::check_key(param, &k)?;
            patch.insert(k, (!v.is_empty()).then_some(v));
        }
        Ok(Self(patch))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn limits() {
        assert!(Metadata::parse("metadata", map(&[("order_id", "6735")])).is_ok());
        let many: BTreeMap<_, _> = (0..51).map(|i| (format!("k{i}"), "v".to_string())).collect();
        assert!(Metadata::parse("metadata", many).is_err());
        let fifty: BTreeMap<_, _> = (0..50).map(|i| (format!("k{i}"), "v".to_string())).collect();
        assert!(Metadata::parse("metadata", fifty).is_ok());
        assert!(Metadata::parse("metadata", map(&[(&"k".repeat(41), "v")])).is_err());
        assert!(Metadata::parse("metadata", map(&[(&"k".repeat(40), "v")])).is_ok());
        assert!(Metadata::parse("metadata", map(&[("a[b]", "v")])).is_err());
        assert!(Metadata::parse("metadata", map(&[("", "v")])).is_err());
        let e = Metadata::parse("metadata", map(&[("k", &"v".repeat(501))])).unwrap_err();
        assert_eq!(e.param, "metadata[k]");
        assert!(Metadata::parse("metadata", map(&[("k", &"v".repeat(500))])).is_ok());
    }

    #[test]
    fn empty_values_are_unset() {
        let m = Metadata::parse("metadata", map(&[("a", ""), ("b", "1")])).unwrap();
        assert_eq!(m.as_map(), &map(&[("b", "1")]));
        assert!(Metadata::parse("metadata", map(&[("a[b]", "")])).is_err());
        assert!(Metadata::parse("metadata", map(&[("\u{9b}", "")])).is_err());
    }
}
