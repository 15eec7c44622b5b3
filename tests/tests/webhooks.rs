//! Webhook endpoints over HTTP.

use paynectra_tests::{Reply, TestApi};
use serde_json::json;

#[tokio::test]
async fn endpoints_show_their_secret_once_and_are_per_tenant() {
    let api = TestApi::spawn().await;
    let a = api.merchant("A").await;
    let b = api.merchant("B").await;
    let created = api
        .post(
            &a.test_key,
            "/v1/webhook_endpoints",
            json!({"url": "https://shop.example/hooks", "enabled_events": ["payment.*", "refund.created"]}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text);
    let secret = created.body["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"));
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("we_"));
    let listed = api.get(&a.test_key, "/v1/webhook_endpoints").await;
    assert_eq!(listed.body["data"][0]["id"], id.as_str());
    assert!(listed.body["data"][0].get("secret").is_none(), "never shown again");
    assert!(!listed.text.contains(secret));
    assert_eq!(
        api.get(&b.test_key, "/v1/webhook_endpoints").await.body["data"],
        json!([])
    );
    assert_eq!(
        api.get(&a.live_key, "/v1/webhook_endpoints").await.body["data"],
        json!([])
    );

    for (body, param) in [
        (json!({"enabled_events": ["*"]}), "url"),
        (
            json!({"url": "http://shop.example/hooks", "enabled_events": ["*"]}),
            "url",
        ),
        (json!({"url": "https://shop.example/hooks"}), "enabled_events"),
        (
            json!({"url": "https://shop.example/hooks", "enabled_events": []}),
            "enabled_events",
        ),
        (
            json!({"url": "https://shop.example/hooks", "enabled_events": ["charge.succeeded"]}),
            "enabled_events[0]",
        ),
        (
            json!({"url": "https://shop.example/hooks", "enabled_events": ["*"], "secret": "mine"}),
            "secret",
        ),
    ] {
        let r = api.post(&a.test_key, "/v1/webhook_endpoints", body.clone()).await;
        assert_eq!(r.error(400).1.as_deref(), Some(param), "{body}");
    }

    let delete = |key: String, id: String| {
        let req = api
            .http
            .delete(api.url(&format!("/v1/webhook_endpoints/{id}")))
            .bearer_auth(key);
        async move { Reply::from(req.send().await.unwrap()).await }
    };
    assert_eq!(delete(b.test_key.clone(), id.clone()).await.status, 404);
    let r = delete(a.test_key.clone(), id.clone()).await;
    assert_eq!(r.body, json!({"id": id, "object": "webhook_endpoint", "deleted": true}));
    assert_eq!(delete(a.test_key.clone(), id.clone()).await.status, 404);
    assert_eq!(
        api.get(&a.test_key, "/v1/webhook_endpoints").await.body["data"],
        json!([])
    );
}
