//! The local stack's Secrets Manager: `GetSecretValue` (the AWS JSON 1.1
//! protocol the SDK speaks) over the secrets of a JSON file, on a loopback
//! port. The functions read their keys through the same SDK call as on
//! AWS; only the endpoint differs.

use std::{collections::BTreeMap, convert::Infallible, net::SocketAddr, sync::Arc};

use http_body_util::Full;
use hyper::{body::Bytes, service::service_fn, Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use paynectra::service::secrets::SecretIds;
use tokio::net::TcpListener;

/// The names the local stack gives its two secrets.
pub const CARD_FINGERPRINT_KEY: &str = "paynectra/local/card-fingerprint-key";
pub const REQUEST_FINGERPRINT_KEY: &str = "paynectra/local/request-fingerprint-key";
pub const WEBHOOK_SECRET_KEY: &str = "paynectra/local/webhook-secret-key";

/// The local secrets, as the functions name them.
pub fn local_ids() -> SecretIds {
    SecretIds {
        card_fingerprint_key: Some(CARD_FINGERPRINT_KEY.into()),
        request_fingerprint_key: Some(REQUEST_FINGERPRINT_KEY.into()),
        webhook_secret_key: Some(WEBHOOK_SECRET_KEY.into()),
    }
}

/// Reads the store: a JSON object of secret name to value.
pub fn load(path: &std::path::Path) -> Result<BTreeMap<String, String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: not a JSON object of strings: {e}", path.display()))
}

/// Serves `secrets` on a free loopback port; returns its URL.
pub async fn serve(secrets: BTreeMap<String, String>) -> std::io::Result<String> {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let url = format!("http://{}", listener.local_addr()?);
    let secrets = Arc::new(secrets);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let secrets = secrets.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| answer(secrets.clone(), req));
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(url)
}

async fn answer(
    secrets: Arc<BTreeMap<String, String>>,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = crate::body::bytes_or_empty(req.into_body()).await;
    let id = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["SecretId"].as_str().map(str::to_owned));
    let reply = |status: u16, body: serde_json::Value| {
        let mut res = Response::new(Full::new(Bytes::from(body.to_string())));
        *res.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::BAD_REQUEST);
        res.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        Ok(res)
    };
    match (target.as_str(), id) {
        ("secretsmanager.GetSecretValue", Some(id)) => match secrets.get(&id) {
            Some(value) => reply(
                200,
                serde_json::json!({
                    "ARN": format!("arn:aws:secretsmanager:local:000000000000:secret:{id}"),
                    "Name": id,
                    "SecretString": value,
                    "VersionId": "local",
                    "VersionStages": ["AWSCURRENT"],
                    "CreatedDate": 0,
                }),
            ),
            None => reply(
                400,
                serde_json::json!({
                    "__type": "ResourceNotFoundException",
                    "message": "Secrets Manager can't find the specified secret.",
                }),
            ),
        },
        _ => reply(
            400,
            serde_json::json!({"__type": "InvalidRequestException", "message": "only GetSecretValue is served here"}),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SDK's own GetSecretValue, against this endpoint: what
    /// `App::load` does at init.
    #[tokio::test]
    async fn the_sdk_reads_secrets_from_the_local_store() {
        let url = serve(BTreeMap::from([
            (
                CARD_FINGERPRINT_KEY.to_owned(),
                "local-fingerprint-key-0123456789".to_owned(),
            ),
            (
                REQUEST_FINGERPRINT_KEY.to_owned(),
                "local-request-fingerprint-key-0123456789".to_owned(),
            ),
            (
                WEBHOOK_SECRET_KEY.to_owned(),
                "local-webhook-secret-key-0123456789".to_owned(),
            ),
        ]))
        .await
        .unwrap();
        // The functions' own configuration (HTTP client, timeouts), with
        // dummy credentials: the local endpoint does not check signatures.
        let config = crate::sdk::config().await;
        let values = paynectra::service::secrets::fetch(&config, Some(&url), &local_ids())
            .await
            .unwrap();
        assert_eq!(
            values.card_fingerprint_key.as_deref(),
            Some("local-fingerprint-key-0123456789")
        );
        assert_eq!(
            values.webhook_secret_key.as_deref(),
            Some("local-webhook-secret-key-0123456789")
        );
        assert_eq!(
            values.request_fingerprint_key.as_deref(),
            Some("local-request-fingerprint-key-0123456789")
        );
        assert!(!format!("{values:?}").contains("0123456789"), "Debug redacts them");
        let missing = SecretIds {
            card_fingerprint_key: Some("no/such/secret".into()),
            ..SecretIds::default()
        };
        let e = paynectra::service::secrets::fetch(&config, Some(&url), &missing)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("no/such/secret"), "{e}");
    }
}
