use std::fmt;

/// Why a value was refused, and which request parameter it came from.
///
/// `param` uses Stripe's bracket notation for nested values
/// (`address[country]`, `metadata[order_id]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    pub param: String,
    pub code: &'static str,
    pub message: String,
}

impl ValidationError {
    pub fn new(param: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            param: param.into(),
            code,
            message: message.into(),
        }
    }

    pub fn missing(param: &str) -> Self {
        Self::new(param, "parameter_missing", format!("Missing required param: {param}."))
    }

    pub fn invalid(param: &str, message: impl Into<String>) -> Self {
        Self::new(param, "parameter_invalid", message)
    }

    /// Re-roots the error under a parent parameter: `country` inside
    /// `address` becomes `address[country]`.
    pub fn nested_in(mut self, parent: &str) -> Self {
        self.param = match self.param.split_once('[') {
            Some((head, rest)) => format!("{parent}[{head}][{rest}"),
            None => format!("{parent}[{}]", self.param),
        };
        self
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.param)
    }
}

impl std::error::Error for ValidationError {}

/// A string parameter that must not be empty and has a maximum length in
/// characters. Leading and trailing whitespace is kept: merchants' strings
/// are theirs.
pub(crate) fn bounded_string(param: &str, value: String, max_chars: usize) -> Result<String, ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::new(
            param,
            "parameter_invalid_string_empty",
            format!("{param} must not be an empty string. Omit it (or send null) to leave it unset."),
        ));
    }
    let len = value.chars().count();
    if len > max_chars {
        return Err(ValidationError::new(
            param,
            "parameter_invalid_string_too_long",
            format!("{param} must be at most {max_chars} characters long (got {len})."),
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ValidationError::invalid(
            param,
            format!("{param} must not contain control characters."),
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_uses_bracket_notation() {
        let e = ValidationError::missing("country").nested_in("address");
        assert_eq!(e.param, "address[country]");
        let e = ValidationError::missing("a[b]").nested_in("x");
        assert_eq!(e.param, "x[a][b]");
    }

    #[test]
    fn bounded_strings() {
        assert!(bounded_string("name", String::new(), 5).is_err());
        assert!(bounded_string("name", "abcdef".into(), 5).is_err());
        assert_eq!(bounded_string("name", "åbcde".into(), 5).unwrap(), "åbcde");
        assert!(bounded_string("name", "a\u{0}b".into(), 5).is_err());
    }
}
