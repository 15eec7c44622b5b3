//! Receipts: made when a payment succeeds or a refund of it does, kept in
//! the test-mode outbox (`GET /v1/receipts`), sent through SES in live mode
//! (moto here), and the hosted receipt page behind each payment's
//! `receipt_url`.

use std::time::Duration;

use paynectra::{
    domain::{Email, Event, EventRequest, EventType, Mode, Payment, ReceiptStatus},
    http::wire::PaymentObject,
    service::{mail::Mailer, receipts, App},
    store::Writes,
};
use paynectra_tests::{moto_endpoint, usd_payment, TestApi};
use serde_json::{json, Value};

/// The tenant's receipts once `n` are there (the stream makes them).
async fn receipts_when(api: &TestApi, key: &str, query: &str, n: usize) -> Vec<Value> {
    for _ in 0..150 {
        let page = api.get(key, &format!("/v1/receipts?{query}")).await;
        assert_eq!(page.status, 200, "{}", page.text);
        if page.data().len() >= n {
            return page.data().clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("fewer than {n} receipts after 15 s");
}

async fn page(url: &str) -> (u16, String) {
    let res = reqwest::get(url).await.expect("the receipt page answers");
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

#[tokio::test]
async fn a_payment_and_its_refund_each_leave_a_receipt_in_the_test_outbox_and_on_its_page() {
    let api = TestApi::spawn_with_webhooks().await;
    let m = api.merchant("Corner Bakery <&>").await;
    let other = api.merchant("Other").await;
    let key = &m.test_key;
    let pay = api
        .create_payment(
            key,
            json!({"amount": 2500, "currency": "usd", "description": "Two <b>loaves</b>", "receipt_email": "jenny@example.com"}),
        )
        .await
        .ok();
    assert_eq!(pay.body["receipt_email"], "jenny@example.com");
    assert!(pay.body["receipt_url"].is_null(), "no receipt before it succeeds");
    let id = pay.id();
    let paid = api.confirm(key, &id, "pm_card_visa").await.ok();
    let url = paid.body["receipt_url"]
        .as_str()
        .expect("a receipt URL once paid")
        .to_owned();
    assert!(url.starts_with(&api.url("/receipts/")), "{url}");

    let outbox = receipts_when(&api, key, "", 1).await;
    let r = &outbox[0];
    assert_eq!(
        (r["object"].as_str(), r["kind"].as_str(), r["status"].as_str()),
        (Some("receipt"), Some("payment"), Some("not_sent")),
        "test mode sends nothing: {r}"
    );
    assert_eq!(
        (r["to"].as_str(), r["amount"].as_i64()),
        (Some("jenny@example.com"), Some(2500))
    );
    assert_eq!(r["subject"], "[Test mode] Your receipt from Corner Bakery <&>");
    let body = r["body"].as_str().unwrap();
    assert!(body.contains("Amount paid: $25.00"), "{body}");
    assert!(body.contains("Visa \u{2022}\u{2022}\u{2022}\u{2022} 4242"), "{body}");
    assert!(body.contains(&url), "{body}");
    assert_eq!(r["receipt_url"], url.as_str());

    let (status, html) = page(&url).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Receipt from Corner Bakery &lt;&amp;&gt;"),
        "escaped: {html}"
    );
    assert!(html.contains("Two &lt;b&gt;loaves&lt;/b&gt;"), "{html}");
    assert!(html.contains("$25.00") && html.contains("Visa"), "{html}");

    // A partial refund: a second receipt, and the page lists the refund.
    api.refund(key, json!({"payment_id": id, "amount": 700})).await.ok();
    let outbox = receipts_when(&api, key, &format!("payment_id={id}"), 2).await;
    let refund = &outbox[0];
    assert_eq!(
        (refund["kind"].as_str(), refund["amount"].as_i64()),
        (Some("refund"), Some(700))
    );
    assert!(refund["body"].as_str().unwrap().contains("Amount refunded: $7.00"));
    let (_, html) = page(&url).await;
    assert!(html.contains("$7.00 refunded on"), "{html}");

    // The token is the key: a changed secret, or another account's keys,
    // find nothing.
    let forged = format!("{}0", &url[..url.len() - 1]);
    let forged = if forged == url {
        format!("{}1", &url[..url.len() - 1])
    } else {
        forged
    };
    assert_eq!(page(&forged).await.0, 404);
    assert_eq!(page(&api.url("/receipts/nonsense")).await.0, 404);
    let theirs = api.get(&other.test_key, "/v1/receipts").await;
    assert_eq!(theirs.data().len(), 0, "another merchant's outbox is its own");
}

#[tokio::test]
async fn receipts_go_to_the_customers_email_unless_the_payment_names_one() {
    let api = TestApi::spawn_with_webhooks().await;
    let m = api.merchant("Shop").await;
    let key = &m.test_key;
    let cus = api.new_customer(key, json!({"email": "cus@example.com"})).await;
    let id = api
        .new_payment(key, json!({"amount": 1000, "currency": "usd", "customer_id": cus}))
        .await;
    // The update sets where receipts go (and says so in payment.updated).
    let updated = api
        .post(
            key,
            &format!("/v1/payments/{id}"),
            json!({"receipt_email": "billing@example.com", "metadata": {"order": "7"}}),
        )
        .await
        .ok();
    assert_eq!(updated.body["receipt_email"], "billing@example.com");
    let events = api.list_events(key, "type=payment.updated").await;
    assert_eq!(
        events.data()[0]["data"]["previous_attributes"]["receipt_email"],
        Value::Null
    );
    let cleared = api
        .post(key, &format!("/v1/payments/{id}"), json!({"receipt_email": ""}))
        .await
        .ok();
    assert!(cleared.body["receipt_email"].is_null());
    assert_eq!(cleared.body["metadata"], json!({"order": "7"}), "metadata kept");
    let bad = api
        .post(key, &format!("/v1/payments/{id}"), json!({"receipt_email": "nope"}))
        .await;
    assert_eq!(bad.error(400).1.as_deref(), Some("receipt_email"));
    let unknown = api.post(key, &format!("/v1/payments/{id}"), json!({"amount": 5})).await;
    assert_eq!(unknown.error(400).1.as_deref(), Some("amount"));

    api.confirm(key, &id, "pm_card_visa").await.ok();
    let outbox = receipts_when(&api, key, "", 1).await;
    assert_eq!(
        outbox[0]["to"], "cus@example.com",
        "the customer's email, with none of its own"
    );

    // No address at all: no receipt.
    let anonymous = api.paid_with(key, "pm_card_visa", 500).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let none = api.get(key, &format!("/v1/receipts?payment_id={anonymous}")).await;
    assert_eq!(none.data().len(), 0);
}

/// A live payment (the stack has no live network: stored as succeeded) and
/// its `payment.succeeded` event, handled as the stream handler does.
async fn live_receipt(app: &App, m: &paynectra_tests::Merchant) -> paynectra::domain::Receipt {
    let tenant = m.tenant(Mode::Live);
    let mut new = usd_payment(1999, None);
    new.receipt_email = Some(Email::parse("e", "buyer@example.com".into()).unwrap());
    let pending = Payment::create(new, Mode::Live, app.clock.now()).with_receipt_url("https://pay.example", &tenant);
    let paid = pending.clone().captured();
    let event = Event::new(
        EventType::PaymentSucceeded,
        Mode::Live,
        &PaymentObject::from(&paid),
        None,
        EventRequest::default(),
        app.clock.now(),
    );
    app.store
        .insert(&tenant, &paid, Writes::new(&event, None))
        .await
        .unwrap();
    let receipt = receipts::on_event(app, &tenant, &event.head())
        .await
        .unwrap()
        .expect("a receipt");
    let again = receipts::on_event(app, &tenant, &event.head()).await.unwrap().unwrap();
    assert_eq!(
        again.id, receipt.id,
        "one receipt per event, however often it is handled"
    );
    receipt
}

#[tokio::test]
async fn live_receipts_are_sent_through_ses_from_the_configured_sender_only() {
    let api = TestApi::spawn().await;
    let m = api.merchant("Live Shop").await;
    let config = aws_sdk_sesv2::config::Builder::from(&paynectra_local::sdk::config().await)
        .endpoint_url(moto_endpoint())
        .build();
    let ses = aws_sdk_sesv2::Client::from_conf(config);
    let sender = format!("receipts-{}@shop.example", uuid::Uuid::new_v4().simple());
    ses.create_email_identity()
        .email_identity(&sender)
        .send()
        .await
        .expect("verify the sender in moto");
    let app: &'static App = Box::leak(Box::new(App {
        mailer: Some(Mailer::new(ses.clone(), &sender)),
        ..api.app.clone()
    }));
    let sent = live_receipt(app, &m).await;
    assert_eq!(sent.status, ReceiptStatus::Sent, "{sent:?}");
    assert!(sent.message_id.as_deref().is_some_and(|id| !id.is_empty()));
    assert_eq!(sent.subject, "Your receipt from Live Shop");
    let listed = api.get(&m.live_key, "/v1/receipts").await;
    assert_eq!(listed.data()[0]["status"], "sent");
    assert_eq!(listed.data()[0]["livemode"], true);

    // Without a sender, nothing is sent, and the receipt says why.
    let unconfigured: &'static App = Box::leak(Box::new(App {
        mailer: None,
        ..api.app.clone()
    }));
    let failed = live_receipt(unconfigured, &m).await;
    assert_eq!(failed.status, ReceiptStatus::Failed);
    assert!(failed.failure_message.unwrap().contains("ReceiptSender"));

    // A sender SES does not know is refused: recorded as failed.
    let unknown: &'static App = Box::leak(Box::new(App {
        mailer: Some(Mailer::new(ses, "nobody@unverified.example")),
        ..api.app.clone()
    }));
    let refused = live_receipt(unknown, &m).await;
    assert_eq!(refused.status, ReceiptStatus::Failed, "{refused:?}");
}
