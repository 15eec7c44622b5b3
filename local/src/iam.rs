//! Evaluating the IAM policy a Lambda authorizer answers with, as API
//! Gateway does before it calls the function.

use serde_json::Value;

/// Glob match of an IAM resource pattern (`*` matches any run of characters).
fn resource_matches(pattern: &str, resource: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == resource,
        Some((head, rest)) => {
            let Some(tail) = resource.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len())
                .filter(|i| tail.is_char_boundary(*i))
                .any(|i| resource_matches(rest, &tail[i..]))
        }
    }
}

/// Evaluates the authorizer's policy as API Gateway does: an explicit Deny
/// wins, then an Allow that covers the method ARN, else deny.
pub(crate) fn policy_allows(policy: &Value, method_arn: &str) -> bool {
    let statements = policy
        .get("Statement")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let applies = |s: &Value| {
        let list = |v: Option<&Value>| -> Vec<String> {
            match v {
                Some(Value::String(x)) => vec![x.clone()],
                Some(Value::Array(xs)) => xs.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect(),
                _ => vec![],
            }
        };
        let action = list(s.get("Action"))
            .iter()
            .any(|a| a == "execute-api:Invoke" || a == "*");
        action && list(s.get("Resource")).iter().any(|r| resource_matches(r, method_arn))
    };
    let effect_is = |s: &Value, want: &str| s.get("Effect").and_then(Value::as_str) == Some(want);
    let denied = statements.iter().any(|s| effect_is(s, "Deny") && applies(s));
    let allowed = statements.iter().any(|s| effect_is(s, "Allow") && applies(s));
    allowed && !denied
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn iam_resource_globs() {
        let arn = "arn:aws:execute-api:local:000000000000:local/local/GET/v1/payments/pay_1";
        assert!(resource_matches(
            "arn:aws:execute-api:local:000000000000:local/local/*",
            arn
        ));
        assert!(resource_matches("*", arn));
        assert!(!resource_matches(
            "arn:aws:execute-api:local:000000000000:other/local/*",
            arn
        ));
        assert!(resource_matches(arn, arn));
    }

    #[test]
    fn deny_wins() {
        let allow = json!({"Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": ["*"]}]});
        let deny = json!({"Statement": [
            {"Effect": "Allow", "Action": ["execute-api:Invoke"], "Resource": ["*"]},
            {"Effect": "Deny", "Action": ["execute-api:Invoke"], "Resource": ["*"]}
        ]});
        assert!(policy_allows(&allow, "arn:x"));
        assert!(!policy_allows(&deny, "arn:x"));
        assert!(!policy_allows(&json!({}), "arn:x"));
    }
}
