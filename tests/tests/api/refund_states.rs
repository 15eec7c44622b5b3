//! Refunds through the simulated card network over HTTP: pending until the
//! network answers (the test helper, or the stream in the local stack),
//! failures that give the amount back, cancels, metadata, and the race of a
//! cancel against the network's answer.

use paynectra_tests::{Merchant, Reply, TestApi};
use serde_json::{json, Value};

/// The payment's `(amount_refunded, what is left to refund, refunded)`.
async fn balances(api: &TestApi, key: &str, pay: &str) -> (i64, i64, bool) {
    let p = api.get_payment(key, pay).await;
    assert_eq!(p.status, 200, "{}", p.text);
    let refunded = p.body["amount_refunded"].as_i64().unwrap();
    (
        refunded,
        p.body["amount_received"].as_i64().unwrap() - refunded,
        p.body["refunded"].as_bool().unwrap(),
    )
}

/// The types of the events about refund `id`, oldest first.
async fn refund_events(api: &TestApi, key: &str, id: &str) -> Vec<(String, Value)> {
    let list = api.list_events(key, "type=refund.*&limit=100").await;
    assert_eq!(list.status, 200, "{}", list.text);
    let mut out: Vec<(String, Value)> = list
        .data()
        .iter()
        .filter(|e| e["data"]["object"]["id"] == id)
        .map(|e| (e["type"].as_str().unwrap().to_owned(), e["data"].clone()))
        .collect();
    out.reverse();
    out
}

fn refund_of(r: &Reply) -> String {
    assert_eq!(r.status, 200, "{}", r.text);
    r.id()
}

#[tokio::test]
async fn a_refund_is_pending_until_the_network_answers_and_then_final() {
    let (api, [m]) = TestApi::with_merchants(["Pending"]).await;
    let key = &m.test_key;
    let pay = api.paid_with(key, "pm_card_visa", 1000).await;
    let created = api.refund(key, json!({"payment_id": pay, "amount": 300})).await;
    let re = refund_of(&created);
    assert_eq!(created.body["status"], "pending");
    assert!(created.body["failure_reason"].is_null());
    assert_eq!(
        balances(&api, key, &pay).await,
        (300, 700, false),
        "a pending refund holds its amount at once"
    );

    let answered = api.expire_refund(key, &re).await;
    assert_eq!(answered.status, 200, "{}", answered.text);
    assert_eq!(answered.body["status"], "succeeded");
    assert_eq!(api.get_refund(key, &re).await.body["status"], "succeeded");
    assert_eq!(balances(&api, key, &pay).await, (300, 700, false));

    // Final: neither cancelled nor answered again, and the error names the state.
    for r in [api.cancel_refund(key, &re).await, api.expire_refund(key, &re).await] {
        assert_eq!(r.error(400), (Some("refund_unexpected_state".into()), None));
        assert!(
            r.body["error"]["message"].as_str().unwrap().contains("'succeeded'"),
            "{}",
            r.text
        );
    }
    let events = refund_events(&api, key, &re).await;
    let types: Vec<&str> = events.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(types, ["refund.created", "refund.updated"]);
    assert_eq!(events[0].1["object"]["status"], "pending");
    assert_eq!(events[1].1["object"]["status"], "succeeded");
    assert_eq!(events[1].1["previous_attributes"], json!({"status": "pending"}));
}

#[tokio::test]
async fn refunds_of_the_refund_fail_card_fail_and_give_the_amount_back() {
    let (api, [m]) = TestApi::with_merchants(["Fails"]).await;
    let key = &m.test_key;
    let pay = api.paid_with(key, "pm_card_refundFail", 1000).await;
    let re = refund_of(&api.refund(key, json!({"payment_id": pay})).await);
    assert_eq!(balances(&api, key, &pay).await, (1000, 0, true));
    // Nothing more can be refunded while the refund holds it all.
    let more = api.refund(key, json!({"payment_id": pay, "amount": 1})).await;
    assert_eq!(more.error(400).0.as_deref(), Some("charge_already_refunded"));

    let failed = api.expire_refund(key, &re).await;
    assert_eq!(failed.status, 200, "{}", failed.text);
    assert_eq!(failed.body["status"], "failed");
    assert_eq!(failed.body["failure_reason"], "expired_or_canceled_card");
    assert_eq!(
        balances(&api, key, &pay).await,
        (0, 1000, false),
        "the amount is refundable again"
    );
    let events = refund_events(&api, key, &re).await;
    let types: Vec<&str> = events.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(types.len(), 3, "{types:?}");
    assert_eq!(types[0], "refund.created");
    // The update and the failure are one write: same second, either order.
    assert!(types[1..].contains(&"refund.updated") && types[1..].contains(&"refund.failed"));
    let failure = api.list_events(key, "type=refund.failed").await;
    assert_eq!(failure.data().len(), 1);
    assert_eq!(
        failure.data()[0]["data"]["object"]["failure_reason"],
        "expired_or_canceled_card"
    );

    // Filters: by status, and one payment's in one status.
    for q in ["status=failed", &format!("status=failed&payment_id={pay}")] {
        assert_eq!(api.list_refunds(key, q).await.ids(), std::slice::from_ref(&re), "{q}");
    }
    assert!(api.list_refunds(key, "status=pending").await.ids().is_empty());
    let bad = api.list_refunds(key, "status=refunded").await;
    assert_eq!(
        bad.error(400),
        (Some("parameter_invalid".into()), Some("status".into()))
    );

    // The amount given back can be refunded again.
    let again = api.refund(key, json!({"payment_id": pay})).await;
    assert_eq!(again.body["amount"], 1000, "{}", again.text);
}

#[tokio::test]
async fn a_pending_refund_can_be_cancelled_and_gives_its_amount_back() {
    let (api, [m]) = TestApi::with_merchants(["Cancels"]).await;
    let key = &m.test_key;
    let pay = api.paid_with(key, "pm_card_visa", 1000).await;
    let first = refund_of(&api.refund(key, json!({"payment_id": pay, "amount": 600})).await);
    let second = refund_of(&api.refund(key, json!({"payment_id": pay, "amount": 400})).await);
    assert_eq!(balances(&api, key, &pay).await, (1000, 0, true));

    let cancelled = api.cancel_refund(key, &first).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    assert_eq!(cancelled.body["status"], "cancelled");
    assert!(cancelled.body["failure_reason"].is_null());
    assert_eq!(balances(&api, key, &pay).await, (400, 600, false));
    // Cancelled is final: not cancelled twice, not answered after.
    assert_eq!(
        api.cancel_refund(key, &first).await.error(400).0.as_deref(),
        Some("refund_unexpected_state")
    );
    assert_eq!(
        api.expire_refund(key, &first).await.error(400).0.as_deref(),
        Some("refund_unexpected_state")
    );
    assert_eq!(balances(&api, key, &pay).await, (400, 600, false), "given back once");
    // The other refund still succeeds.
    assert_eq!(api.expire_refund(key, &second).await.body["status"], "succeeded");
    assert_eq!(
        api.list_refunds(key, "status=cancelled").await.ids(),
        std::slice::from_ref(&first)
    );
    assert_eq!(api.list_refunds(key, "status=succeeded").await.ids(), [second]);
    let types: Vec<String> = refund_events(&api, key, &first)
        .await
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(types, ["refund.created", "refund.updated"]);
}

#[tokio::test]
async fn only_metadata_can_be_updated_with_the_customers_merge_rules() {
    let (api, [m]) = TestApi::with_merchants(["Meta"]).await;
    let key = &m.test_key;
    let pay = api.paid_with(key, "pm_card_visa", 1000).await;
    let re = refund_of(
        &api.refund(
            key,
            json!({"payment_id": pay, "amount": 100, "metadata": {"a": "1", "b": "2"}}),
        )
        .await,
    );
    let updated = api
        .update_refund(key, &re, json!({"metadata": {"a": "", "c": "3"}}))
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(updated.body["metadata"], json!({"b": "2", "c": "3"}));
    assert_eq!(updated.body["status"], "pending", "the status is the network's");
    // Metadata changes in any status; nothing else changes by request.
    api.expire_refund(key, &re).await.ok();
    let after = api.update_refund(key, &re, json!({"metadata": {"d": "4"}})).await;
    assert_eq!(after.body["metadata"], json!({"b": "2", "c": "3", "d": "4"}));
    assert_eq!(after.body["status"], "succeeded");
    for (body, param) in [
        (json!({"amount": 5}), "amount"),
        (json!({"status": "failed"}), "status"),
        (json!({"metadata": {"[x]": "1"}}), "metadata"),
    ] {
        let r = api.update_refund(key, &re, body).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(r.body["error"]["param"], param, "{}", r.text);
    }
    let cancel_with_params = api
        .post(key, &format!("/v1/refunds/{re}/cancel"), json!({"reason": "x"}))
        .await;
    assert_eq!(
        cancel_with_params.error(400),
        (Some("parameter_unknown".into()), Some("reason".into()))
    );
    let events = refund_events(&api, key, &re).await;
    let last = &events.last().unwrap().1;
    assert_eq!(last["previous_attributes"], json!({"metadata": {"b": "2", "c": "3"}}));
    assert_eq!(balances(&api, key, &pay).await, (100, 900, false));
}

#[tokio::test]
async fn refund_changes_are_the_accounts_own_and_the_test_helper_is_test_mode_only() {
    let (api, [a, b]) = TestApi::with_merchants(["A", "B"]).await;
    let pay = api.paid_with(&a.test_key, "pm_card_visa", 1000).await;
    let re = refund_of(&api.refund(&a.test_key, json!({"payment_id": pay, "amount": 100})).await);
    let items = api.item_count().await;
    let other = |m: &Merchant| [m.test_key.clone(), m.live_key.clone()];
    for key in other(&b).iter().chain([a.live_key.clone()].iter()) {
        for r in [
            api.cancel_refund(key, &re).await,
            api.update_refund(key, &re, json!({"metadata": {"x": "1"}})).await,
        ] {
            assert_eq!(
                r.error(404),
                (Some("resource_missing".into()), Some("id".into())),
                "{}",
                r.text
            );
        }
        let r = api.expire_refund(key, &re).await;
        assert_eq!(r.status, 404, "{}", r.text);
    }
    // With a live key the helper does not exist, whatever the id.
    let live = api.expire_refund(&a.live_key, "re_0000000000000000000000000000").await;
    assert_eq!(live.error(404).0.as_deref(), Some("resource_missing"));
    assert!(
        live.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("test mode only"),
        "{}",
        live.text
    );
    // Malformed ids are the 404 they would be if well formed.
    assert_eq!(api.cancel_refund(&a.test_key, "pay_123").await.status, 404);
    assert_eq!(api.item_count().await, items, "nothing written by refused changes");
    assert_eq!(api.get_refund(&a.test_key, &re).await.body["status"], "pending");
}

/// Cancel against the network's answer, many times over: exactly one wins
/// each race, and the payment's balance is exactly what the refunds that
/// still hold their amount add up to.
#[tokio::test]
async fn a_cancel_racing_the_networks_answer_exactly_one_wins() {
    let (api, [m]) = TestApi::with_merchants(["Race"]).await;
    let key = &m.test_key;
    for (round, card) in ["pm_card_visa", "pm_card_refundFail"]
        .into_iter()
        .cycle()
        .take(12)
        .enumerate()
    {
        let pay = api.paid_with(key, card, 1000).await;
        let re = refund_of(&api.refund(key, json!({"payment_id": pay, "amount": 700})).await);
        // Two of each, at once (a redelivered stream record answers twice).
        let (c1, e1, c2, e2) = tokio::join!(
            api.cancel_refund(key, &re),
            api.expire_refund(key, &re),
            api.cancel_refund(key, &re),
            api.expire_refund(key, &re),
        );
        let replies = [&c1, &e1, &c2, &e2];
        let won: Vec<&&Reply> = replies.iter().filter(|r| r.status == 200).collect();
        assert_eq!(won.len(), 1, "round {round}: {:?}", replies.map(|r| &r.text));
        for r in replies.iter().filter(|r| r.status != 200) {
            assert_eq!(r.error(400).0.as_deref(), Some("refund_unexpected_state"), "{}", r.text);
        }
        let status = won[0].body["status"].as_str().unwrap().to_owned();
        let expected = match (card, std::ptr::eq(*won[0], &c1) || std::ptr::eq(*won[0], &c2)) {
            (_, true) => "cancelled",
            ("pm_card_visa", false) => "succeeded",
            (_, false) => "failed",
        };
        assert_eq!(status, expected, "round {round}");
        assert_eq!(api.get_refund(key, &re).await.body["status"], expected);
        let held = if expected == "succeeded" { 700 } else { 0 };
        assert_eq!(
            balances(&api, key, &pay).await,
            (held, 1000 - held, false),
            "round {round}: given back at most once"
        );
        let types: Vec<String> = refund_events(&api, key, &re)
            .await
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        let updates = types.iter().filter(|t| *t == "refund.updated").count();
        assert_eq!(updates, 1, "round {round}: one change, one event: {types:?}");
    }
}

#[tokio::test]
async fn in_the_local_stack_the_network_answers_by_itself_within_seconds() {
    let api = TestApi::spawn_with_webhooks().await;
    let m = api.merchant("Network").await;
    let key = &m.test_key;
    let ok = api.paid_with(key, "pm_card_visa", 1000).await;
    let fails = api.paid_with(key, "pm_card_refundFail", 1000).await;
    let r_ok = refund_of(&api.refund(key, json!({"payment_id": ok, "amount": 250})).await);
    let r_fails = refund_of(&api.refund(key, json!({"payment_id": fails, "amount": 250})).await);
    let mut last = (String::new(), String::new());
    for _ in 0..100 {
        last = (
            api.get_refund(key, &r_ok).await.body["status"]
                .as_str()
                .unwrap()
                .to_owned(),
            api.get_refund(key, &r_fails).await.body["status"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        if last.0 != "pending" && last.1 != "pending" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!((last.0.as_str(), last.1.as_str()), ("succeeded", "failed"));
    assert_eq!(
        api.get_refund(key, &r_fails).await.body["failure_reason"],
        "expired_or_canceled_card"
    );
    assert_eq!(balances(&api, key, &ok).await, (250, 750, false));
    assert_eq!(balances(&api, key, &fails).await, (0, 1000, false));
}
