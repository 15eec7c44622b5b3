//! Handler tests: the `events/` fixtures (the same files `sam local invoke
//! -e` takes) fed through each function's handler, against DynamoDB Local.

use lambda_http::{request::from_str, Body, Request};
use paynectra::{
    domain::{
        limits::anonymous_page_usage_key, usage_key, Account, AccountId, ApiKey, Customer, Mode, NewCustomer,
        NewPayment, Payment, RateClass, SecretKey, Tenant,
    },
    http::wire::CreatePaymentRequest,
};
use paynectra_functions::{
    authorizer, balance, customers, dashboard, deliveries, events, hosted_page, payment_methods, payments, refunds,
    webhook_endpoints,
};
use paynectra_tests::{fresh_app, repo_root};
use serde_json::{json, Value};

use crate::helpers::map_array;

const FIXTURE_ACCOUNT: &str = "acct_0fixture000000000000000000000001";
const FIXTURE_KEY: &str = "sk_test_0fixtureKeyNotARealSecret0000001";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(repo_root().join("events").join(format!("{name}.json")))
        .unwrap_or_else(|e| panic!("events/{name}.json: {e}"))
}

fn request(name: &str) -> Request {
    from_str(&fixture(name)).unwrap_or_else(|e| panic!("events/{name}.json is not an API Gateway event: {e}"))
}

/// Fixture `name` with the query string `query` instead of its own.
fn request_with_query(name: &str, query: &[(&str, &str)]) -> Request {
    let mut raw: Value = serde_json::from_str(&fixture(name)).unwrap();
    let single: serde_json::Map<String, Value> = query.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
    let multi: serde_json::Map<String, Value> = query.iter().map(|(k, v)| ((*k).into(), json!([v]))).collect();
    raw["queryStringParameters"] = single.into();
    raw["multiValueQueryStringParameters"] = multi.into();
    from_str(&raw.to_string()).unwrap()
}

fn tenant() -> Tenant {
    Tenant::new(FIXTURE_ACCOUNT.parse().unwrap(), Mode::Test)
}

fn json_body(res: &lambda_http::Response<Body>) -> Value {
    match res.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap(),
        other => panic!("unexpected body {other:?}"),
    }
}

fn request_id(res: &lambda_http::Response<Body>) -> &str {
    res.headers()["request-id"].to_str().unwrap()
}

/// The id the payment fixtures name.
const FIXTURE_PAYMENT: &str = "pay_0fixture000000000000000000000001";

/// The payment `events/create_payment.json` asks for, parsed as the
/// function parses its body.
fn fixture_new_payment() -> NewPayment {
    let raw: Value = serde_json::from_str(&fixture("create_payment")).unwrap();
    let dto: CreatePaymentRequest = serde_json::from_str(raw["body"].as_str().unwrap()).unwrap();
    dto.try_into().unwrap()
}

/// [`fixture_new_payment`] as stored under the fixtures' payment id.
fn fixture_pending_payment() -> Payment {
    Payment {
        id: FIXTURE_PAYMENT.parse().unwrap(),
        ..Payment::create(fixture_new_payment(), Mode::Test, 1_795_521_600)
    }
}

/// Stores `payment` in the fixtures' account, as it is (no event).
async fn store_payment(app: &paynectra::service::App, payment: &Payment) {
    app.store
        .insert(&tenant(), payment, paynectra::store::Writes::NONE)
        .await
        .unwrap();
}

#[tokio::test]
async fn create_payment_fixture() {
    let app = fresh_app().await;
    let res = payments::create(app, request("create_payment")).await.unwrap();
    assert_eq!(res.status(), 200, "{:?}", res.body());
    assert_eq!(request_id(&res), "c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
    let body = json_body(&res);
    assert_eq!(body["object"], "payment");
    assert_eq!(body["amount"], 4999);
    assert_eq!(body["status"], "pending");
    assert_eq!(body["metadata"]["order_id"], "6735");
    let id = body["id"].as_str().unwrap().parse().unwrap();
    let stored = app.store.get_payment(&tenant(), &id).await.unwrap().expect("stored");
    assert_eq!(stored.amount.get(), 4999);
    // The receipt page's link, on the host and stage the request came
    // through, is shown once the payment succeeds.
    assert!(body["receipt_url"].is_null(), "pending: no receipt yet");
    let url = stored.receipt_url.as_deref().unwrap();
    let token = url
        .strip_prefix("https://abcdef1234.execute-api.us-east-1.amazonaws.com/prod/receipts/")
        .unwrap_or_else(|| panic!("{url}"));
    let token = paynectra::domain::ReceiptToken::parse(token).unwrap();
    assert_eq!((token.payment_id, token.mode), (id, Mode::Test));
    assert!(stored.receipt_secret_matches(&token.secret));
}

#[tokio::test]
async fn update_payment_fixture() {
    let app = fresh_app().await;
    let res = payments::update(app, request("update_payment")).await.unwrap();
    assert_eq!(res.status(), 404, "not there yet");
    store_payment(app, &fixture_pending_payment()).await;
    let res = payments::update(app, request("update_payment")).await.unwrap();
    assert_eq!(res.status(), 200, "{:?}", res.body());
    let body = json_body(&res);
    assert_eq!(body["description"], "Order 6735 (gift wrapped)");
    assert_eq!(body["receipt_email"], "jenny.rosen@example.com");
    assert_eq!(
        body["metadata"],
        serde_json::json!({"gift": "yes"}),
        "merged, order_id removed"
    );
    let stored = app
        .store
        .get_payment(&tenant(), &FIXTURE_PAYMENT.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.receipt_email.unwrap().as_str(), "jenny.rosen@example.com");
    assert_eq!(stored.amount.get(), 4999, "nothing else moved");
}

#[tokio::test]
async fn list_receipts_fixture() {
    let app = fresh_app().await;
    let res = paynectra_functions::receipts::list(app, request("list_receipts"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{:?}", res.body());
    let body = json_body(&res);
    assert_eq!(
        (body["object"].as_str(), body["data"].as_array().map(Vec::len)),
        (Some("list"), Some(0))
    );
    assert_eq!(body["url"], "/v1/receipts");
}

#[tokio::test]
async fn get_payment_fixture() {
    let app = fresh_app().await;
    let res = payments::get(app, request("get_payment")).await.unwrap();
    assert_eq!(res.status(), 404, "not there yet");

    store_payment(app, &fixture_pending_payment()).await;
    let res = payments::get(app, request("get_payment")).await.unwrap();
    assert_eq!(res.status(), 200);
    let body = json_body(&res);
    assert_eq!(body["id"], FIXTURE_PAYMENT);
    assert_eq!(body["created"], 1_795_521_600);
}

#[tokio::test]
async fn create_customer_fixture() {
    let app = fresh_app().await;
    let res = customers::create(app, request("create_customer")).await.unwrap();
    assert_eq!(res.status(), 200, "{:?}", res.body());
    let body = json_body(&res);
    assert_eq!(body["object"], "customer");
    assert_eq!(body["address"]["country"], "US");
    let id = body["id"].as_str().unwrap().parse().unwrap();
    assert!(app.store.get_customer(&tenant(), &id).await.unwrap().is_some());
}

#[tokio::test]
async fn get_customer_fixture() {
    let app = fresh_app().await;
    let customer = Customer {
        id: "cus_0fixture000000000000000000000001".parse().unwrap(),
        ..Customer::create(NewCustomer::default(), Mode::Test, 1_795_521_600)
    };
    app.store
        .insert(&tenant(), &customer, paynectra::store::Writes::NONE)
        .await
        .unwrap();
    let res = customers::get(app, request("get_customer")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(json_body(&res)["id"], "cus_0fixture000000000000000000000001");
}

const HTTP_FUNCTIONS: [&str; 37] = [
    "get_payment_method",
    "create_webhook_endpoint",
    "list_webhook_endpoints",
    "delete_webhook_endpoint",
    "get_event",
    "list_events",
    "create_payment_method",
    "attach_payment_method",
    "list_payment_methods",
    "detach_payment_method",
    "confirm_payment",
    "capture_payment",
    "cancel_payment",
    "create_payment",
    "get_payment",
    "list_payments",
    "update_payment",
    "list_receipts",
    "create_customer",
    "get_customer",
    "update_customer",
    "delete_customer",
    "list_customers",
    "create_refund",
    "get_refund",
    "list_refunds",
    "update_refund",
    "cancel_refund",
    "expire_refund",
    "get_balance",
    "get_volume",
    "get_balance_transaction",
    "list_balance_transactions",
    "create_payout",
    "get_payout",
    "list_payouts",
    "cancel_payout",
];

async fn run(name: &str, app: &'static paynectra::service::App, req: Request) -> lambda_http::Response<Body> {
    match name {
        "create_payment" => payments::create(app, req).await,
        "get_payment" => payments::get(app, req).await,
        "list_payments" => payments::list(app, req).await,
        "update_payment" => payments::update(app, req).await,
        "list_receipts" => paynectra_functions::receipts::list(app, req).await,
        "create_customer" => customers::create(app, req).await,
        "get_customer" => customers::get(app, req).await,
        "get_payment_method" => payment_methods::get(app, req).await,
        "update_customer" => customers::update(app, req).await,
        "delete_customer" => customers::delete(app, req).await,
        "list_customers" => customers::list(app, req).await,
        "create_refund" => refunds::create(app, req).await,
        "get_refund" => refunds::get(app, req).await,
        "list_refunds" => refunds::list(app, req).await,
        "update_refund" => refunds::update(app, req).await,
        "cancel_refund" => refunds::cancel(app, req).await,
        "expire_refund" => refunds::expire(app, req).await,
        "get_balance" => balance::balance(app, req).await,
        "get_volume" => balance::volume(app, req).await,
        "create_payout" => paynectra_functions::payouts::create(app, req).await,
        "get_payout" => paynectra_functions::payouts::get(app, req).await,
        "list_payouts" => paynectra_functions::payouts::list(app, req).await,
        "cancel_payout" => paynectra_functions::payouts::cancel(app, req).await,
        "get_balance_transaction" => balance::get(app, req).await,
        "list_balance_transactions" => balance::list(app, req).await,
        "create_payment_method" => payment_methods::create(app, req).await,
        "attach_payment_method" => payment_methods::attach(app, req).await,
        "list_payment_methods" => payment_methods::list(app, req).await,
        "detach_payment_method" => payment_methods::detach(app, req).await,
        "confirm_payment" => payments::confirm(app, req).await,
        "capture_payment" => payments::capture(app, req).await,
        "cancel_payment" => payments::cancel(app, req).await,
        "get_event" => events::get(app, req).await,
        "list_events" => events::list(app, req).await,
        "create_webhook_endpoint" => webhook_endpoints::create(app, req).await,
        "list_webhook_endpoints" => webhook_endpoints::list(app, req).await,
        "delete_webhook_endpoint" => webhook_endpoints::delete(app, req).await,
        other => panic!("no handler {other}"),
    }
    .unwrap()
}

/// A captured payment with the fixtures' payment id.
async fn fixture_payment(app: &paynectra::service::App) -> Payment {
    let payment = fixture_pending_payment().captured();
    store_payment(app, &payment).await;
    payment
}

/// The fixtures' customer, with the email list_customers looks for.
async fn fixture_customer(app: &paynectra::service::App) -> Customer {
    let raw: Value = serde_json::from_str(&fixture("create_customer")).unwrap();
    let dto: paynectra::http::wire::CreateCustomerRequest =
        serde_json::from_str(raw["body"].as_str().unwrap()).unwrap();
    let customer = Customer {
        id: "cus_0fixture000000000000000000000001".parse().unwrap(),
        ..Customer::create(dto.try_into().unwrap(), Mode::Test, 1_795_521_600)
    };
    app.store
        .insert(&tenant(), &customer, paynectra::store::Writes::NONE)
        .await
        .unwrap();
    customer
}

#[tokio::test]
async fn refund_fixtures() {
    let app = fresh_app().await;
    let res = run("create_refund", app, request("create_refund")).await;
    assert_eq!(res.status(), 404, "no payment yet");
    assert_eq!(json_body(&res)["error"]["param"], "payment_id");

    fixture_payment(app).await;
    let res = run("create_refund", app, request("create_refund")).await;
    assert_eq!(res.status(), 200, "{:?}", res.body());
    let refund = json_body(&res);
    assert_eq!(refund["object"], "refund");
    assert_eq!(refund["amount"], 1000);
    assert_eq!(refund["reason"], "customer_request");
    let payment = stored_fixture_payment(app).await;
    assert_eq!(
        (payment.amount_refunded.get(), payment.amount_refundable.get()),
        (1000, 3999)
    );

    let res = run("list_refunds", app, request("list_refunds")).await;
    assert_eq!(res.status(), 200);
    let list = json_body(&res);
    assert_eq!(list["url"], "/v1/refunds");
    assert_eq!(list["data"][0]["id"], refund["id"]);

    assert_eq!(refund["status"], "pending", "submitted to the network");

    // The other fixtures name fixed ids: store pending refunds under them.
    for name in ["update_refund", "cancel_refund", "expire_refund"] {
        assert_eq!(
            run(name, app, request(name)).await.status(),
            404,
            "{name}: no refund yet"
        );
    }
    store_fixture_refund(app, &refund, 1).await;
    store_fixture_refund(app, &refund, 2).await;
    let res = run("get_refund", app, request("get_refund")).await;
    assert_eq!(res.status(), 200, "{:?}", res.body());
    assert_eq!(json_body(&res)["id"], "re_0fixture000000000000000000000001");

    let res = run("update_refund", app, request("update_refund")).await;
    assert_eq!(res.status(), 200, "{:?}", res.body());
    assert_eq!(
        json_body(&res)["metadata"],
        serde_json::json!({"ticket": "T-123"}),
        "merged: ticket set, order_id removed"
    );
    let res = run("cancel_refund", app, request("cancel_refund")).await;
    assert_eq!(res.status(), 200, "{:?}", res.body());
    assert_eq!(json_body(&res)["status"], "cancelled");
    let res = run("cancel_refund", app, request("cancel_refund")).await;
    assert_eq!(res.status(), 400, "only a pending refund can be cancelled");
    assert_eq!(json_body(&res)["error"]["code"], "refund_unexpected_state");
    let res = run("expire_refund", app, request("expire_refund")).await;
    assert_eq!(res.status(), 200, "{:?}", res.body());
    assert_eq!(json_body(&res)["status"], "succeeded", "a 4242 payment's refund");
    // The create took 1000, each stored refund 1000 more; the cancelled one
    // gave its 1000 back.
    let payment = stored_fixture_payment(app).await;
    assert_eq!(payment.amount_refunded.get(), 2000);
}

/// The fixtures' payment as stored.
async fn stored_fixture_payment(app: &paynectra::service::App) -> Payment {
    app.store
        .get_payment(&tenant(), &FIXTURE_PAYMENT.parse().unwrap())
        .await
        .unwrap()
        .expect("the fixtures' payment")
}

/// Stores a copy of the refund `object` (an API object) as pending, under
/// the fixtures' refund id number `n`.
async fn store_fixture_refund(app: &paynectra::service::App, object: &Value, n: u8) {
    let fixed = paynectra::domain::Refund {
        id: format!("re_0fixture00000000000000000000000{n}").parse().unwrap(),
        ..serde_json::from_value::<paynectra::domain::Refund>(json_refund(object)).unwrap()
    };
    app.store
        .insert_refund(&tenant(), &fixed, paynectra::store::Writes::NONE)
        .await
        .unwrap();
}

#[tokio::test]
async fn balance_transaction_fixtures() {
    let app = fresh_app().await;
    assert_eq!(
        run("get_balance_transaction", app, request("get_balance_transaction"))
            .await
            .status(),
        404
    );
    // The fixtures' payment captured, with its balance transaction under
    // the fixtures' id, as a capture writes them.
    let pending = fixture_pending_payment();
    store_payment(app, &pending).await;
    let mut captured = pending.clone().captured();
    let txn = paynectra::domain::BalanceTransaction {
        id: "txn_0fixture000000000000000000000001".parse().unwrap(),
        ..paynectra::domain::BalanceTransaction::for_capture(
            &captured,
            &paynectra::domain::Pricing::default(),
            paynectra::domain::balance::DEFAULT_DELAY_DAYS,
            1_795_521_600,
        )
    };
    captured.balance_transaction = Some(txn.id.clone());
    app.store
        .transition_payment(
            &tenant(),
            &pending,
            &captured,
            paynectra::store::Writes::NONE.moving(Some(&txn)),
        )
        .await
        .unwrap();
    let res = run("get_balance_transaction", app, request("get_balance_transaction")).await;
    assert_eq!(res.status(), 200, "{:?}", res.body());
    let body = json_body(&res);
    assert_eq!(body["object"], "balance_transaction");
    assert_eq!(
        (body["amount"].as_i64(), body["fee"].as_i64(), body["net"].as_i64()),
        (Some(4999), Some(175), Some(4824))
    );
    assert_eq!(body["source"], FIXTURE_PAYMENT);
    let res = run("list_balance_transactions", app, request("list_balance_transactions")).await;
    assert_eq!(res.status(), 200, "{:?}", res.body());
    assert_eq!(json_body(&res)["data"][0]["id"], "txn_0fixture000000000000000000000001");

    // The balance writer's stream record of that transaction (in the
    // `answer_refunds` fixture, beside a refund's): applied once, however
    // often it is delivered.
    let zero = json!([{"amount": 0, "currency": "usd"}]);
    let res = run("get_balance", app, request("get_balance")).await;
    assert_eq!(res.status(), 200, "{:?}", res.body());
    let body = json_body(&res);
    assert_eq!((&body["object"], &body["livemode"]), (&json!("balance"), &json!(false)));
    assert_eq!(
        (&body["available"], &body["pending"]),
        (&zero, &zero),
        "nothing applied yet"
    );
    let batch: aws_lambda_events::dynamodb::Event = serde_json::from_str(&fixture("answer_refunds")).unwrap();
    for _ in 0..2 {
        assert!(paynectra_functions::settle(app, batch.clone())
            .await
            .batch_item_failures
            .is_empty());
    }
    // Its day is past (the fixtures' dates are): available at once, and the
    // balance sweep (EventBridge's event is ignored) folds it into the
    // stored available amount.
    let body = json_body(&run("get_balance", app, request("get_balance")).await);
    assert_eq!(
        body["available"],
        json!([{"amount": 4824, "currency": "usd"}]),
        "{body}"
    );
    assert_eq!(body["pending"], zero);
    let _event: Value = serde_json::from_str(&fixture("sweep_balances")).unwrap();
    let now = paynectra::service::now_unix();
    let swept = balance::sweep(app, now + 60).await.unwrap();
    assert_eq!(swept["folded"], 1, "{swept}");
    let tenant = tenant();
    let stored = app.store.balance_parts(&tenant, None, true).await.unwrap().0;
    assert!(stored.buckets.is_empty(), "{stored:?}");
    assert_eq!(stored.available.iter().map(|(_, a)| *a).collect::<Vec<_>>(), [4824]);
    assert!(
        run(
            "get_balance",
            app,
            request_with_query("get_balance", &[("expand", "x")])
        )
        .await
        .status()
            == 400,
        "an unknown parameter is refused"
    );

    // The gross volume: the writer above added the capture to its day's
    // entry (the fixtures' day, 2026-11-24); the chart covers the last
    // `days` days, today included, each day once.
    let usd = paynectra::domain::Currency::from_code("usd").unwrap();
    let fixture_day = 1_795_521_600 / 86_400;
    assert_eq!(
        app.store
            .volume(&tenant, usd, fixture_day - 1, fixture_day + 1)
            .await
            .unwrap(),
        [(fixture_day, 4999, 0)]
    );
    let res = run(
        "get_volume",
        app,
        request_with_query("get_volume", &[("currency", "usd"), ("days", "90")]),
    )
    .await;
    assert_eq!(res.status(), 200, "{:?}", res.body());
    let body = json_body(&res);
    assert_eq!(
        (&body["object"], &body["currency"], &body["livemode"]),
        (&json!("volume"), &json!("usd"), &json!(false))
    );
    let days = map_array(&body["data"], |d| d["date"].as_i64().unwrap());
    assert_eq!(days.len(), 90);
    assert!(
        days.windows(2).all(|w| w[1] - w[0] == 86_400),
        "every day, oldest first"
    );
    assert_eq!(days[89], now.div_euclid(86_400) * 86_400, "today last");
    let res = run("get_volume", app, request("get_volume")).await;
    assert_eq!(json_body(&res)["data"].as_array().unwrap().len(), 30);
    let res = run("get_volume", app, request_with_query("get_volume", &[("days", "30")])).await;
    assert_eq!(json_body(&res)["error"]["param"], "currency");
}

#[tokio::test]
async fn simulated_network_fixtures() {
    let app = fresh_app().await;
    fixture_payment(app).await;
    let res = run("create_refund", app, request("create_refund")).await;
    let refund = json_body(&res);
    // The stream record of a new refund, as the event source mapping sends
    // it (its refund not stored yet: nothing to answer, nothing failed).
    let batch: aws_lambda_events::dynamodb::Event =
        serde_json::from_str(&fixture("answer_refunds")).expect("events/answer_refunds.json is a stream event");
    assert!(refunds::answer(app, batch.clone()).await.batch_item_failures.is_empty());
    store_fixture_refund(app, &refund, 3).await;
    assert!(refunds::answer(app, batch.clone()).await.batch_item_failures.is_empty());
    let id = "re_0fixture000000000000000000000003".parse().unwrap();
    let answered = app.store.get_refund(&tenant(), &id).await.unwrap().unwrap();
    assert_eq!(answered.status, paynectra::domain::RefundStatus::Succeeded);
    // A redelivered record finds it answered: nothing changes.
    assert!(refunds::answer(app, batch).await.batch_item_failures.is_empty());
    assert_eq!(app.store.get_refund(&tenant(), &id).await.unwrap().unwrap(), answered);

    // The scheduled sweep takes EventBridge's event (ignored): the created
    // refund is not overdue yet; a minute later it is answered.
    let _event: Value = serde_json::from_str(&fixture("sweep_refunds")).unwrap();
    let now = paynectra::service::now_unix();
    let swept = refunds::sweep(app, now).await.unwrap();
    assert_eq!(swept["answered"], 0, "{swept}");
    let swept = refunds::sweep(app, now + 120).await.unwrap();
    assert_eq!(swept["answered"], 1, "{swept}");
    let created: paynectra::domain::RefundId = refund["id"].as_str().unwrap().parse().unwrap();
    let stored = app.store.get_refund(&tenant(), &created).await.unwrap().unwrap();
    assert_eq!(stored.status, paynectra::domain::RefundStatus::Succeeded);
}

/// The stored shape of a refund from its API object.
fn json_refund(object: &Value) -> Value {
    let mut v = object.clone();
    let o = v.as_object_mut().unwrap();
    o.remove("object");
    let live = o.remove("livemode").unwrap();
    o.insert("mode".into(), if live == true { "live".into() } else { "test".into() });
    v
}

#[tokio::test]
async fn customer_fixtures() {
    let app = fresh_app().await;
    for name in ["update_customer", "delete_customer"] {
        assert_eq!(
            run(name, app, request(name)).await.status(),
            404,
            "{name} before the customer exists"
        );
    }
    fixture_customer(app).await;

    let res = run("list_customers", app, request("list_customers")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(json_body(&res)["data"][0]["id"], "cus_0fixture000000000000000000000001");

    let res = run("update_customer", app, request("update_customer")).await;
    assert_eq!(res.status(), 200, "{:?}", res.body());
    let updated = json_body(&res);
    assert_eq!(updated["name"], "Jenny Rosen-Smith");
    assert!(updated["phone"].is_null(), "an empty string clears");
    assert_eq!(
        updated["metadata"],
        serde_json::json!({"plan": "pro"}),
        "metadata merged, user_id removed"
    );
    assert_eq!(updated["email"], "jenny.rosen@example.com", "untouched fields stay");

    let res = run("delete_customer", app, request("delete_customer")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        json_body(&res),
        serde_json::json!({"id": "cus_0fixture000000000000000000000001", "object": "customer", "deleted": true})
    );
    assert_eq!(
        run("delete_customer", app, request("delete_customer")).await.status(),
        404,
        "only once"
    );
    let res = run("list_customers", app, request("list_customers")).await;
    assert_eq!(
        json_body(&res)["data"],
        serde_json::json!([]),
        "deleted customers are not listed"
    );
}

/// The fixtures' payment method (a 4242 card).
async fn fixture_payment_method(app: &paynectra::service::App) {
    let card = paynectra::domain::CardInput {
        number: "4242424242424242".into(),
        exp_month: 12,
        exp_year: 2034,
        cvc: "123".into(),
    }
    .validate(b"fixture", paynectra::service::now_unix())
    .unwrap();
    let pm = paynectra::domain::PaymentMethod {
        id: "pm_0fixture000000000000000000000001".parse().unwrap(),
        ..paynectra::domain::PaymentMethod::create(card, Mode::Test, 1_795_521_600)
    };
    app.store
        .insert(&tenant(), &pm, paynectra::store::Writes::NONE)
        .await
        .unwrap();
}

#[tokio::test]
async fn payment_method_fixtures() {
    let app = fresh_app().await;
    let res = run("create_payment_method", app, request("create_payment_method")).await;
    assert_eq!(res.status(), 200, "{:?}", res.body());
    assert_eq!(json_body(&res)["card"]["last4"], "4242");

    assert_eq!(
        run("get_payment_method", app, request("get_payment_method"))
            .await
            .status(),
        404
    );
    fixture_customer(app).await;
    fixture_payment_method(app).await;
    let res = run("get_payment_method", app, request("get_payment_method")).await;
    assert_eq!(
        (
            json_body(&res)["id"].as_str(),
            json_body(&res)["card"]["brand"].as_str()
        ),
        (Some("pm_0fixture000000000000000000000001"), Some("visa"))
    );
    let res = run("attach_payment_method", app, request("attach_payment_method")).await;
    assert_eq!(res.status(), 200, "{:?}", res.body());
    let res = run("list_payment_methods", app, request("list_payment_methods")).await;
    assert_eq!(json_body(&res)["data"][0]["id"], "pm_0fixture000000000000000000000001");
    let res = run("detach_payment_method", app, request("detach_payment_method")).await;
    assert_eq!(res.status(), 200, "{:?}", res.body());
    assert!(json_body(&res)["customer"].is_null());
}

#[tokio::test]
async fn lifecycle_fixtures() {
    let app = fresh_app().await;
    fixture_payment_method(app).await;
    let mut new = fixture_new_payment();
    new.capture_method = paynectra::domain::CaptureMethod::Manual;
    let payment = Payment {
        id: FIXTURE_PAYMENT.parse().unwrap(),
        ..Payment::create(new, Mode::Test, 1_795_521_600)
    };
    store_payment(app, &payment).await;

    let res = run("confirm_payment", app, request("confirm_payment")).await;
    assert_eq!(res.status(), 200, "{:?}", res.body());
    assert_eq!(json_body(&res)["status"], "requires_capture");
    let res = run("capture_payment", app, request("capture_payment")).await;
    assert_eq!(res.status(), 200, "{:?}", res.body());
    assert_eq!(json_body(&res)["amount_received"], 2000);
    let res = run("cancel_payment", app, request("cancel_payment")).await;
    assert_eq!(res.status(), 400, "a captured payment cannot be cancelled");

    // The scheduled sweep takes EventBridge's event (ignored) and runs.
    let _event: Value = serde_json::from_str(&fixture("expire_holds")).unwrap();
    let swept = payments::expire_holds(app, paynectra::service::now_unix())
        .await
        .unwrap();
    assert_eq!(swept["cancelled"], 0);
}

#[tokio::test]
async fn webhook_delivery_fixtures() {
    let app = fresh_app().await;
    // The stream record of a new event, as the event source mapping sends it.
    let batch: aws_lambda_events::dynamodb::Event =
        serde_json::from_str(&fixture("deliver_webhooks")).expect("events/deliver_webhooks.json is a stream event");
    let res = deliveries::deliver(app, batch).await;
    assert!(
        res.batch_item_failures.is_empty(),
        "no endpoints: nothing to do, nothing failed"
    );
    let _schedule: Value = serde_json::from_str(&fixture("retry_webhooks")).unwrap();
    let out = deliveries::retry(app, paynectra::service::now_unix()).await.unwrap();
    assert_eq!(out["enqueued"], 0, "nothing due");
    // A delivery queue message, as the SQS event source mapping sends it:
    // no such delivery (stale), so handled, nothing failed.
    let batch: aws_lambda_events::sqs::SqsEvent =
        serde_json::from_str(&fixture("attempt_webhooks")).expect("events/attempt_webhooks.json is an SQS event");
    assert_eq!(batch.records[0].attributes["MessageGroupId"].split('#').count(), 2);
    let res = deliveries::attempt(app, batch.clone()).await;
    assert!(res.batch_item_failures.is_empty(), "{:?}", res.batch_item_failures);
    // An unreadable message is reported failed (the queue retries it, then
    // dead-letters it).
    let mut broken = batch;
    broken.records[0].body = Some("{\"kind\":\"nothing\"}".into());
    let res = deliveries::attempt(app, broken).await;
    assert_eq!(res.batch_item_failures.len(), 1);
    assert_eq!(
        res.batch_item_failures[0].item_identifier,
        "059f36b4-87a3-44ab-83d2-661975830a7d"
    );
}

#[tokio::test]
async fn webhook_endpoint_fixtures() {
    let app = fresh_app().await;
    assert_eq!(
        run("delete_webhook_endpoint", app, request("delete_webhook_endpoint"))
            .await
            .status(),
        404
    );
    let res = run("create_webhook_endpoint", app, request("create_webhook_endpoint")).await;
    assert_eq!(res.status(), 200, "{:?}", res.body());
    assert!(json_body(&res)["secret"].as_str().unwrap().starts_with("whsec_"));
    let res = run("list_webhook_endpoints", app, request("list_webhook_endpoints")).await;
    assert_eq!(json_body(&res)["data"].as_array().unwrap().len(), 1);

    // As deployed (not the local stack), internal addresses are refused.
    let deployed: &'static paynectra::service::App = Box::leak(Box::new(paynectra::service::App {
        allow_local_webhook_urls: false,
        ..app.clone()
    }));
    for url in [
        "http://localhost:9001/2018-06-01/runtime",
        "https://169.254.169.254/latest/meta-data",
        "https://10.1.2.3/hooks",
    ] {
        let mut raw: Value = serde_json::from_str(&fixture("create_webhook_endpoint")).unwrap();
        raw["body"] = serde_json::json!({"url": url, "enabled_events": ["*"]})
            .to_string()
            .into();
        let res = run("create_webhook_endpoint", deployed, from_str(&raw.to_string()).unwrap()).await;
        assert_eq!(res.status(), 400, "{url}");
        assert_eq!(json_body(&res)["error"]["param"], "url");
    }
}

#[tokio::test]
async fn event_fixtures() {
    let app = fresh_app().await;
    assert_eq!(run("get_event", app, request("get_event")).await.status(), 404);
    let event = paynectra::domain::Event {
        id: "evt_0fixture000000000000000000000001".parse().unwrap(),
        ..paynectra::domain::Event::new(
            paynectra::domain::EventType::PaymentCreated,
            Mode::Test,
            &serde_json::json!({"id": "pay_1"}),
            None,
            Default::default(),
            paynectra::service::now_unix(),
        )
    };
    let payment = fixture_payment(app).await;
    let after = Payment {
        status: paynectra::domain::PaymentStatus::Cancelled,
        ..payment.clone()
    };
    app.store
        .transition_payment(&tenant(), &payment, &after, paynectra::store::Writes::new(&event, None))
        .await
        .unwrap();
    let res = run("get_event", app, request("get_event")).await;
    assert_eq!(res.status(), 200, "{:?}", res.body());
    let res = run("list_events", app, request("list_events")).await;
    assert_eq!(json_body(&res)["data"][0]["id"], "evt_0fixture000000000000000000000001");
}

#[tokio::test]
async fn dashboard_fixture() {
    let app = fresh_app().await;
    let res = dashboard::handler(app, request("dashboard")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/javascript; charset=utf-8");
    let Body::Text(script) = res.body() else { panic!("text") };
    assert_eq!(script, dashboard::SCRIPT);
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    for (asset, status, kind) in [
        (None, 200, "text/html; charset=utf-8"),
        (Some("app.css"), 200, "text/css; charset=utf-8"),
        (Some("secrets.txt"), 404, "text/plain; charset=utf-8"),
    ] {
        let mut raw: Value = serde_json::from_str(&fixture("dashboard")).unwrap();
        raw["pathParameters"] = asset.map_or(Value::Null, |a| json!({ "asset": a }));
        let res = dashboard::handler(app, from_str(&raw.to_string()).unwrap())
            .await
            .unwrap();
        assert_eq!(
            (res.status().as_u16(), res.headers()["content-type"].to_str().unwrap()),
            (status, kind),
            "{asset:?}"
        );
        assert_eq!(res.headers()["x-frame-options"], "DENY");
    }
}

#[tokio::test]
async fn hosted_page_fixture() {
    let app = fresh_app().await;
    let res = hosted_page::handler(app, request("hosted_page")).await.unwrap();
    assert_eq!(res.status(), 404, "no such key or payment yet");
    assert_eq!(
        res.headers()["x-content-type-options"],
        "nosniff",
        "the not-valid page too"
    );

    let pk = SecretKey::parse("pk_test_0fixturePublishableKey000001").unwrap();
    let account = Account {
        id: FIXTURE_ACCOUNT.parse().unwrap(),
        name: "Fixture".into(),
        created: 0,
    };
    app.store
        .create_account(&account, &[ApiKey::new(account.id.clone(), &pk, 0)])
        .await
        .unwrap();
    let payment = Payment {
        client_secret: format!("{FIXTURE_PAYMENT}_secret_0fixture"),
        ..fixture_pending_payment()
    };
    store_payment(app, &payment).await;
    let res = hosted_page::handler(app, request("hosted_page")).await.unwrap();
    assert_eq!(res.status(), 200);
    let Body::Text(html) = res.body() else { panic!("html") };
    assert!(html.contains("$49.99") && html.contains("Order #6735"), "{html}");
    for field in ["number", "expiry", "cvc"] {
        assert!(
            !html.contains(&format!("name=\"{field}\"")),
            "card inputs have no names: a native submit cannot carry them"
        );
    }
    assert!(res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("script-src 'self'"));
    // The URL carries the publishable key and the client secret.
    assert_eq!(res.headers()["referrer-policy"], "no-referrer");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");

    let mut script: Value = serde_json::from_str(&fixture("hosted_page")).unwrap();
    script["path"] = "/pay/paynectra.js".into();
    script["resource"] = "/pay/paynectra.js".into();
    script["pathParameters"] = Value::Null;
    let res = hosted_page::handler(app, from_str(&script.to_string()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "application/javascript; charset=utf-8");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
}

/// A request that did not come through the authorizer has no tenant: 401,
/// whatever the function.
#[tokio::test]
async fn fixtures_without_authorizer_context_are_refused() {
    let app = fresh_app().await;
    for name in HTTP_FUNCTIONS {
        let mut raw: Value = serde_json::from_str(&fixture(name)).unwrap();
        raw["requestContext"].as_object_mut().unwrap().remove("authorizer");
        let req = from_str(&raw.to_string()).unwrap();
        let res = run(name, app, req).await;
        assert_eq!(res.status(), 401, "{name}");
        assert_eq!(json_body(&res)["error"]["code"], "api_key_invalid");
    }
}

fn authorizer_event() -> authorizer::Event {
    serde_json::from_str(&fixture("authorizer")).expect("events/authorizer.json is a REQUEST authorizer event")
}

#[tokio::test]
async fn authorizer_fixture_allows_an_active_key_and_denies_others() {
    let app = fresh_app().await;
    let account_id: AccountId = FIXTURE_ACCOUNT.parse().unwrap();

    // Unknown key: Deny, for the whole stage.
    let out = serde_json::to_value(authorizer::handler(app, authorizer_event()).await.unwrap()).unwrap();
    assert_eq!(out["policyDocument"]["Statement"][0]["Effect"], "Deny");
    assert!(out["context"].is_null() || out["context"].get("account_id").is_none());

    let secret = SecretKey::parse(FIXTURE_KEY).unwrap();
    let key = ApiKey::new(account_id.clone(), &secret, 0);
    let account = Account {
        id: account_id.clone(),
        name: "Fixture".into(),
        created: 0,
    };
    app.store
        .create_account(&account, std::slice::from_ref(&key))
        .await
        .unwrap();
    let out = serde_json::to_value(authorizer::handler(app, authorizer_event()).await.unwrap()).unwrap();
    let statement = &out["policyDocument"]["Statement"][0];
    assert_eq!(statement["Effect"], "Allow");
    assert_eq!(
        statement["Resource"][0],
        "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/*"
    );
    assert_eq!(out["context"]["account_id"], FIXTURE_ACCOUNT);
    assert_eq!(out["context"]["mode"], "test");
    assert_eq!(out["context"]["key_id"], key.id.as_str());
    // The fixture is a GET: counted against the account's test-mode reads.
    assert_eq!(
        out["usageIdentifierKey"],
        usage_key(&tenant(), RateClass::Read).as_str()
    );
    for (method, class) in [
        ("POST", RateClass::Write),
        ("DELETE", RateClass::Write),
        ("HEAD", RateClass::Read),
    ] {
        let mut raw: Value = serde_json::from_str(&fixture("authorizer")).unwrap();
        raw["httpMethod"] = method.into();
        raw["requestContext"]["httpMethod"] = method.into();
        let event: authorizer::Event = serde_json::from_value(raw).unwrap();
        let out = serde_json::to_value(authorizer::handler(app, event).await.unwrap()).unwrap();
        assert_eq!(
            out["usageIdentifierKey"],
            usage_key(&tenant(), class).as_str(),
            "{method}"
        );
    }

    // Revoked: Deny again.
    paynectra::service::accounts::revoke_key(&app.store, &account_id, &key.id)
        .await
        .unwrap();
    let out = serde_json::to_value(authorizer::handler(app, authorizer_event()).await.unwrap()).unwrap();
    assert_eq!(out["policyDocument"]["Statement"][0]["Effect"], "Deny");
    assert!(out["usageIdentifierKey"].is_null(), "a denial counts against no one");
}

/// The hosted page's authorizer (the same function on the page's route):
/// always Allow, counted against the account's read usage key for an
/// active publishable key in `?key=`, else the one anonymous page key.
#[tokio::test]
async fn hosted_page_authorizer_picks_the_accounts_read_key_or_the_anonymous_one() {
    let app = fresh_app().await;
    let account_id: AccountId = FIXTURE_ACCOUNT.parse().unwrap();
    let publishable = SecretKey::generate_publishable(Mode::Test);
    let secret = SecretKey::parse(FIXTURE_KEY).unwrap();
    let account = Account {
        id: account_id.clone(),
        name: "Fixture".into(),
        created: 0,
    };
    let keys = [&publishable, &secret].map(|k| ApiKey::new(account_id.clone(), k, 0));
    app.store.create_account(&account, &keys).await.unwrap();
    let page_event = |key: Option<&str>| {
        let mut raw: Value = serde_json::from_str(&fixture("hosted_page")).unwrap();
        raw["type"] = "REQUEST".into();
        raw["methodArn"] =
            "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/pay/pay_0fixture000000000000000000000001"
                .into();
        raw["headers"] = serde_json::json!({});
        raw["multiValueHeaders"] = serde_json::json!({});
        raw.as_object_mut().unwrap().remove("body");
        match key {
            Some(k) => {
                raw["queryStringParameters"] = serde_json::json!({ "key": k });
                raw["multiValueQueryStringParameters"] = serde_json::json!({ "key": [k] });
            }
            None => {
                raw["queryStringParameters"] = Value::Null;
                raw["multiValueQueryStringParameters"] = Value::Null;
            }
        }
        serde_json::from_value::<authorizer::Event>(raw).expect("a REQUEST authorizer event")
    };
    let anonymous = anonymous_page_usage_key();
    for (key, expected) in [
        (Some(publishable.expose()), usage_key(&tenant(), RateClass::Read)),
        (Some(FIXTURE_KEY), anonymous.clone()),
        (Some("pk_test_junk"), anonymous.clone()),
        (None, anonymous.clone()),
    ] {
        let event = page_event(key);
        assert_eq!(event.resource.as_deref(), Some(authorizer::HOSTED_PAGE_RESOURCE));
        let out = serde_json::to_value(authorizer::handler(app, event).await.unwrap()).unwrap();
        assert_eq!(out["policyDocument"]["Statement"][0]["Effect"], "Allow", "{key:?}");
        assert_eq!(out["usageIdentifierKey"], expected.as_str(), "{key:?}");
    }
}

#[tokio::test]
async fn list_payments_fixture() {
    let app = fresh_app().await;
    for created in [100, 200, 300] {
        store_payment(app, &Payment::create(fixture_new_payment(), Mode::Test, created)).await;
    }
    let res = run("list_payments", app, request("list_payments")).await;
    assert_eq!(res.status(), 200, "{:?}", res.body());
    let body = json_body(&res);
    assert_eq!(body["object"], "list");
    assert_eq!(body["url"], "/v1/payments");
    assert_eq!(body["has_more"], true, "limit=2 of 3");
    let created = map_array(&body["data"], |p| p["created"].as_i64().unwrap());
    assert_eq!(created, [300, 200]);
}

#[tokio::test]
async fn payout_fixtures() {
    use paynectra::domain::{BalanceTransaction, BankAccount, Currency, Metadata, MinorUnits, NewPayout, Payout};
    let app = fresh_app().await;
    let tenant = tenant();
    let usd = Currency::from_code("usd").unwrap();
    assert_eq!(run("get_payout", app, request("get_payout")).await.status(), 404);
    let res = run("create_payout", app, request("create_payout")).await;
    assert_eq!(
        json_body(&res)["error"]["code"],
        "no_external_account",
        "{:?}",
        res.body()
    );
    let bank = BankAccount::parse("110000000", "000123456789", usd).unwrap();
    app.store.set_bank_account(&tenant, &bank).await.unwrap();
    let res = run("create_payout", app, request("create_payout")).await;
    assert_eq!(res.status(), 400);
    assert_eq!(json_body(&res)["error"]["code"], "balance_insufficient");

    // Funds available at once (the test card that bypasses pending), as
    // the balance writer applies them: 4,999 less 175.
    let pending = Payment {
        bypass_pending: true,
        ..fixture_pending_payment()
    };
    store_payment(app, &pending).await;
    let captured = pending.clone().captured();
    let now = paynectra::service::now_unix();
    let txn = BalanceTransaction::for_capture(&captured, &paynectra::domain::Pricing::default(), 2, now);
    app.store
        .transition_payment(
            &tenant,
            &pending,
            &captured,
            paynectra::store::Writes::NONE.moving(Some(&txn)),
        )
        .await
        .unwrap();
    assert!(
        paynectra::service::balance::apply(app, vec![(tenant.clone(), txn)], now)
            .await
            .is_empty()
    );

    let res = run("create_payout", app, request("create_payout")).await;
    assert_eq!(res.status(), 200, "{:?}", res.body());
    let created = json_body(&res);
    assert_eq!(
        (
            &created["object"],
            &created["status"],
            &created["amount"],
            &created["destination"]["last4"]
        ),
        (&json!("payout"), &json!("pending"), &json!(4000), &json!("6789"))
    );
    let body = json_body(&run("get_balance", app, request("get_balance")).await);
    assert_eq!(body["available"], json!([{"amount": 824, "currency": "usd"}]), "{body}");

    // The fixtures' payout, under their id.
    let new = NewPayout {
        amount: MinorUnits::new(500).unwrap(),
        currency: usd,
        description: None,
        metadata: Metadata::default(),
    };
    let mut fixed = Payout {
        id: "po_0fixture000000000000000000000001".parse().unwrap(),
        ..Payout::create(&new, &bank, Mode::Test, now)
    };
    let txn = BalanceTransaction::for_payout(&fixed, now);
    fixed.balance_transaction = Some(txn.id.clone());
    app.store
        .insert_payout(&tenant, &fixed, paynectra::store::Writes::NONE.moving(Some(&txn)), None)
        .await
        .unwrap();
    let res = run("get_payout", app, request("get_payout")).await;
    assert_eq!(res.status(), 200, "{:?}", res.body());
    assert_eq!(json_body(&res)["id"], "po_0fixture000000000000000000000001");
    let listed = json_body(&run("list_payouts", app, request("list_payouts")).await);
    assert_eq!(
        map_array(&listed["data"], |p| p["status"].clone()),
        [json!("pending"), json!("pending")]
    );
    let res = run("cancel_payout", app, request("cancel_payout")).await;
    assert_eq!(res.status(), 200, "{:?}", res.body());
    assert_eq!(json_body(&res)["status"], "cancelled");
    assert!(json_body(&res)["failure_balance_transaction"].is_string());
    let again = run("cancel_payout", app, request("cancel_payout")).await;
    assert_eq!(json_body(&again)["error"]["code"], "payout_unexpected_state");
    let body = json_body(&run("get_balance", app, request("get_balance")).await);
    assert_eq!(
        body["available"],
        json!([{"amount": 824, "currency": "usd"}]),
        "the cancelled one's back"
    );

    // The simulated bank (EventBridge's event is ignored): in transit a
    // minute after creation, paid at the arrival date.
    let _event: Value = serde_json::from_str(&fixture("sweep_payouts")).unwrap();
    let swept = paynectra_functions::payouts::sweep(app, now + 30).await.unwrap();
    assert_eq!(swept["moved"], 0, "{swept}");
    let swept = paynectra_functions::payouts::sweep(app, now + 60).await.unwrap();
    assert_eq!(swept["moved"], 1, "{swept}");
    let swept = paynectra_functions::payouts::sweep(app, now + 120).await.unwrap();
    assert_eq!(swept["moved"], 1, "{swept}");
    let id: paynectra::domain::PayoutId = created["id"].as_str().unwrap().parse().unwrap();
    let paid = app.store.get_payout(&tenant, &id).await.unwrap().unwrap();
    assert_eq!(paid.status, paynectra::domain::PayoutStatus::Paid);

    // The payouts' own transactions reach the settlement ledger through the
    // balance writer too (they moved the available amount themselves).
    let (all, _) = app
        .store
        .list_balance_transactions(
            &tenant,
            &paynectra::store::BalanceTransactionFilter::default(),
            &paynectra::domain::ListWindow {
                limit: 100,
                cursor: None,
            },
        )
        .await
        .unwrap();
    let own: Vec<_> = all
        .data
        .into_iter()
        .filter(|t| t.kind.settles_itself())
        .map(|t| (tenant.clone(), t))
        .collect();
    assert_eq!(own.len(), 3, "two payouts and a cancellation");
    assert!(paynectra::service::balance::apply(app, own, now).await.is_empty());

    // A daily payout schedule (EventBridge's hourly event is ignored): an
    // hour after midnight, the net of the day just ended, once.
    let _event: Value = serde_json::from_str(&fixture("pay_out_daily")).unwrap();
    let ran = paynectra_functions::payouts::pay_out_daily(app, now).await.unwrap();
    assert_eq!(ran["accounts"], 0, "no account is on a schedule: {ran}");
    app.store.set_automatic_payouts(&tenant, true).await.unwrap();
    let ran = paynectra_functions::payouts::pay_out_daily(app, now).await.unwrap();
    assert_eq!(
        (&ran["accounts"], &ran["paid"]),
        (&json!(1), &json!(0)),
        "today is not settled: {ran}"
    );
    let settled = (now.div_euclid(86_400) + 1) * 86_400 + 3_601;
    let ran = paynectra_functions::payouts::pay_out_daily(app, settled).await.unwrap();
    assert_eq!((&ran["accounts"], &ran["paid"]), (&json!(1), &json!(1)), "{ran}");
    let ran = paynectra_functions::payouts::pay_out_daily(app, settled + 3_600)
        .await
        .unwrap();
    assert_eq!(ran["paid"], 0, "once a day: {ran}");
    let listed = json_body(
        &run(
            "list_payouts",
            app,
            request_with_query("list_payouts", &[("limit", "10")]),
        )
        .await,
    );
    let auto: Vec<&Value> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["automatic"] == true)
        .collect();
    assert_eq!(auto.len(), 1, "{listed}");
    assert_eq!(auto[0]["amount"], 824);
    // Reconciliation: everything of the settled day, the automatic payout's
    // own transaction included, nets to zero.
    let reconciled = json_body(
        &run(
            "list_balance_transactions",
            app,
            request_with_query(
                "list_balance_transactions",
                &[("payout", auto[0]["id"].as_str().unwrap()), ("limit", "10")],
            ),
        )
        .await,
    );
    let nets = map_array(&reconciled["data"], |t| t["net"].clone());
    assert_eq!(nets.len(), 5, "{reconciled}");
    assert_eq!(nets.iter().map(|n| n.as_i64().unwrap()).sum::<i64>(), 0, "{reconciled}");
}
