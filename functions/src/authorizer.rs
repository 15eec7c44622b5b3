//! The API Gateway Lambda authorizer (REQUEST type, identity source: the
//! `Authorization` header).
//!
//! It answers with an IAM policy for the whole API stage (`.../{stage}/*`),
//! not only the method called, because API Gateway caches the answer per
//! `Authorization` value and reuses it for every route. Allowed requests
//! carry `account_id`, `mode` and `key_id` in the authorizer context, which
//! the handlers read, and the `usageIdentifierKey` of their account, mode
//! and class (read or write): API Gateway throttles each such key as its
//! usage plan says (README, Rate limits). Denials become 401s in
//! Paynectra's error shape through the API's gateway responses (see
//! `template.yaml`).

use aws_lambda_events::{
    apigw::{
        ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerRequestTypeRequest,
        ApiGatewayCustomAuthorizerResponse,
    },
    iam::{IamPolicyEffect, IamPolicyStatement},
};
use lambda_runtime::Error;
use paynectra::{
    domain::{
        limits::{anonymous_page_usage_key, usage_key},
        ApiKey, RateClass, UsageKey,
    },
    http::auth::{authenticate, publishable_key},
    service::App,
};

pub type Event = ApiGatewayCustomAuthorizerRequestTypeRequest;
pub type Output = ApiGatewayCustomAuthorizerResponse;

/// `arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path}`
/// becomes `arn:aws:execute-api:{region}:{account}:{api}/{stage}/*`.
pub fn stage_wildcard(method_arn: &str) -> String {
    let mut parts = method_arn.splitn(3, '/');
    match (parts.next(), parts.next()) {
        (Some(api), Some(stage)) => format!("{api}/{stage}/*"),
        _ => method_arn.to_owned(),
    }
}

fn policy(effect: IamPolicyEffect, resource: String) -> ApiGatewayCustomAuthorizerPolicy {
    let mut statement = IamPolicyStatement::default();
    statement.action = vec!["execute-api:Invoke".into()];
    statement.effect = effect;
    statement.resource = vec![resource];
    let mut doc = ApiGatewayCustomAuthorizerPolicy::default();
    doc.version = Some("2012-10-17".into());
    doc.statement = vec![statement];
    doc
}

/// The hosted payment page's route. Its authorizer (`PageAuthorizer` in
/// the template, this same function, uncached) reads the publishable key
/// from the page's query (`?key=pk_...`) and always allows: the page shows
/// its own "not valid" page to a bad link.
pub const HOSTED_PAGE_RESOURCE: &str = "/pay/{payment_id}";

/// An Allow for `key`'s account and mode, counted against `usage_key`.
fn allow(key: &ApiKey, resource: String, usage_key: UsageKey) -> Output {
    let mut out = Output::default();
    out.principal_id = Some(key.account_id.to_string());
    out.policy_document = policy(IamPolicyEffect::Allow, resource);
    out.context = serde_json::json!({
        "account_id": key.account_id,
        "mode": key.mode.as_str(),
        "key_kind": key.kind.as_str(),
        "key_id": key.id,
        "list_shards": key.list_shards,
    });
    out.usage_identifier_key = Some(usage_key.to_string());
    out
}

/// The API's authorizer: the `Authorization` header's key. An allowed
/// request is counted against its account's and mode's usage key of the
/// method's class (API Gateway caches the answer per header and method,
/// so a read's answer is never reused for a write).
pub async fn handler(app: &App, event: Event) -> Result<Output, Error> {
    if event.resource.as_deref() == Some(HOSTED_PAGE_RESOURCE) {
        return Ok(page(app, event).await);
    }
    let resource = stage_wildcard(event.method_arn.as_deref().unwrap_or("*"));
    let header = event.headers.get("authorization").and_then(|v| v.to_str().ok());
    let request_id = event.request_context.request_id.as_deref().unwrap_or("");
    let class = RateClass::of_method(event.http_method.as_ref().map_or("POST", |m| m.as_str()));
    match authenticate(&app.store, header).await {
        Ok(Some(key)) => {
            tracing::info!(request_id, account_id = %key.account_id, key_id = %key.id, "api key accepted");
            let usage = usage_key(&key.tenant(), class);
            Ok(allow(&key, resource, usage))
        }
        Ok(None) => {
            tracing::info!(request_id, "api key refused");
            let mut out = Output::default();
            out.principal_id = Some("anonymous".into());
            out.policy_document = policy(IamPolicyEffect::Deny, resource);
            Ok(out)
        }
        Err(e) => {
            // API Gateway answers 500 (AUTHORIZER_FAILURE) and does not cache.
            tracing::error!(request_id, error = %e, "api key lookup failed");
            Err(e.into())
        }
    }
}

/// The hosted page's authorizer: always Allow (for this request only: it
/// is not cached), counted against the account's read usage key for an
/// active publishable key, else against the one anonymous page key. A
/// failed lookup is anonymous too: the page then answers its own
/// "something went wrong".
async fn page(app: &App, event: Event) -> Output {
    let resource = event.method_arn.clone().unwrap_or_else(|| "*".into());
    let request_id = event.request_context.request_id.as_deref().unwrap_or("");
    match publishable_key(&app.store, event.query_string_parameters.first("key")).await {
        Ok(Some(key)) => {
            tracing::info!(request_id, account_id = %key.account_id, key_id = %key.id, "hosted page key accepted");
            let usage = usage_key(&key.tenant(), RateClass::Read);
            return allow(&key, resource, usage);
        }
        Ok(None) => tracing::info!(request_id, "hosted page without a valid key"),
        Err(e) => tracing::error!(request_id, error = %e, "hosted page key lookup failed"),
    }
    let mut out = Output::default();
    out.principal_id = Some("anonymous".into());
    out.policy_document = policy(IamPolicyEffect::Allow, resource);
    out.usage_identifier_key = Some(anonymous_page_usage_key().to_string());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_cover_the_whole_stage() {
        assert_eq!(
            stage_wildcard("arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/GET/v1/payments/pay_1"),
            "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/*"
        );
    }
}
