//! The API Gateway Lambda authorizer (REQUEST type, identity source: the
//! `Authorization` header).
//!
//! It answers with an IAM policy for the whole API stage (`.../{stage}/*`),
//! not only the method called, because API Gateway caches the answer per
//! `Authorization` value and reuses it for every route. Allowed requests
//! carry `account_id`, `mode` and `key_id` in the authorizer context, which
//! the handlers read. Denials become 401s in Paynectra's error shape through
//! the API's gateway responses (see `template.yaml`).

use aws_lambda_events::{
    apigw::{
        ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerRequestTypeRequest,
        ApiGatewayCustomAuthorizerResponse,
    },
    iam::{IamPolicyEffect, IamPolicyStatement},
};
use lambda_runtime::Error;
use paynectra::{http::auth::authenticate, service::App};

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

pub async fn handler(app: &App, event: Event) -> Result<Output, Error> {
    let resource = stage_wildcard(event.method_arn.as_deref().unwrap_or("*"));
    let header = event.headers.get("authorization").and_then(|v| v.to_str().ok());
    let request_id = event.request_context.request_id.as_deref().unwrap_or("");
    let mut out = Output::default();
    match authenticate(&app.store, header).await {
        Ok(Some(key)) => {
            tracing::info!(request_id, account_id = %key.account_id, key_id = %key.id, "api key accepted");
            out.principal_id = Some(key.account_id.to_string());
            out.policy_document = policy(IamPolicyEffect::Allow, resource);
            out.context = serde_json::json!({
                "account_id": key.account_id,
                "mode": key.mode.as_str(),
                "key_kind": key.kind.as_str(),
                "key_id": key.id,
            });
        }
        Ok(None) => {
            tracing::info!(request_id, "api key refused");
            out.principal_id = Some("anonymous".into());
            out.policy_document = policy(IamPolicyEffect::Deny, resource);
        }
        Err(e) => {
            // API Gateway answers 500 (AUTHORIZER_FAILURE) and does not cache.
            tracing::error!(request_id, error = %e, "api key lookup failed");
            return Err(e.into());
        }
    }
    Ok(out)
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
