//! GET /v1/payments over HTTP: limits, cursors both ways, every filter
//! combination, ties, exact has_more, isolation, a walk during writes, and
//! what each list costs in DynamoDB reads.

use std::collections::HashSet;

use paynectra::domain::{AccountId, CustomerId, ListWindow, Mode, Payment, PaymentFilter, PaymentStatus, Tenant};
use paynectra_tests::{usd_payment, Reply, TestApi};
use serde_json::json;

const BASE: i64 = 1_790_000_000;

fn payment(mode: Mode, created: i64, customer: Option<&CustomerId>, status: PaymentStatus) -> Payment {
    Payment {
        status,
        ..Payment::create(usd_payment(1000, customer), mode, created)
    }
}

/// Stores payments straight through the store (the lifecycle that moves
/// statuses comes later), returning them.
async fn seed(api: &TestApi, t: &Tenant, payments: Vec<Payment>) -> Vec<Payment> {
    for chunk in payments.chunks(25) {
        futures::future::try_join_all(
            chunk
                .iter()
                .map(|p| api.app.store.insert(t, p, paynectra::store::Writes::NONE)),
        )
        .await
        .unwrap();
    }
    payments
}

/// Stores a customer with this id (so payments can name it).
async fn seed_customer(api: &TestApi, t: &Tenant, id: &CustomerId) {
    let customer = paynectra::domain::Customer {
        id: id.clone(),
        ..paynectra::domain::Customer::create(Default::default(), Mode::Test, BASE)
    };
    api.app
        .store
        .insert(t, &customer, paynectra::store::Writes::NONE)
        .await
        .unwrap();
}

/// Newest first, ties by id: the list order.
fn ordered(mut v: Vec<&Payment>) -> Vec<String> {
    v.sort_by(|a, b| (b.created, b.id.as_str()).cmp(&(a.created, a.id.as_str())));
    v.into_iter().map(|p| p.id.to_string()).collect()
}

fn ids(r: &Reply) -> Vec<String> {
    list_ids(r, "/v1/payments")
}

/// A list page's ids, asserted a 200 list of `path`.
fn list_ids(r: &Reply, path: &str) -> Vec<String> {
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["object"], "list");
    assert_eq!(r.body["url"], path);
    r.ids()
}

fn has_more(r: &Reply) -> bool {
    r.body["has_more"].as_bool().unwrap()
}

/// A walk's page's `has_more`, asserted exact: there is more exactly when
/// the ids walked so far (`walked`, this page's included) are fewer than the
/// `expected` ones.
#[track_caller]
fn exact_has_more(r: &Reply, walked: usize, expected: usize, walk: &str, query: &str) -> bool {
    let more = has_more(r);
    assert_eq!(more, walked < expected, "{walk} has_more after {walked} ({query})");
    more
}

/// The query's `&starting_after=` for the page after `cursor`; nothing for
/// the first page.
fn starting_after(cursor: Option<&str>) -> String {
    cursor.map(|c| format!("&starting_after={c}")).unwrap_or_default()
}

/// Every page forward from the head, then every page backward from the
/// tail; both must give `expected` exactly, with exact `has_more`.
async fn walk_both_ways(api: &TestApi, key: &str, query: &str, limit: usize, expected: &[String]) {
    walk_list_both_ways(api, key, "/v1/payments", query, limit, expected).await
}

/// [`walk_both_ways`] over the list at `path`.
async fn walk_list_both_ways(api: &TestApi, key: &str, path: &str, query: &str, limit: usize, expected: &[String]) {
    let sep = if query.is_empty() { "" } else { "&" };
    let mut forward: Vec<String> = Vec::new();
    let mut pages: Vec<Vec<String>> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let after = starting_after(cursor.as_deref());
        let r = api.get(key, &format!("{path}?limit={limit}{sep}{query}{after}")).await;
        let page = list_ids(&r, path);
        assert!(page.len() <= limit);
        forward.extend(page.iter().cloned());
        if !exact_has_more(&r, forward.len(), expected.len(), "forward", query) {
            break;
        }
        assert_eq!(page.len(), limit, "a page before the last is full");
        cursor = page.last().cloned();
        pages.push(page);
    }
    assert_eq!(forward, expected, "forward walk ({query})");
    if expected.is_empty() {
        return;
    }

    // Backward: from the tail, ending_before the first item of each page.
    let mut backward: Vec<String> = expected[expected.len() - expected.len().min(limit)..].to_vec();
    let mut cursor = backward[0].clone();
    loop {
        let r = api
            .get(key, &format!("{path}?limit={limit}{sep}{query}&ending_before={cursor}"))
            .await;
        let page = list_ids(&r, path);
        let mut joined = page.clone();
        joined.extend(backward);
        backward = joined;
        if !exact_has_more(&r, backward.len(), expected.len(), "backward", query) {
            break;
        }
        assert_eq!(page.len(), limit);
        cursor = page[0].clone();
    }
    assert_eq!(backward, expected, "backward walk ({query})");
}

/// What a payment must meet to be listed under one filter.
type Pred = Box<dyn Fn(&Payment) -> bool>;

/// Every combination of filters the walks check: none, customer `c1`,
/// status, a `created` range `lo..=hi`, and their pairs and triple (the
/// last one matches nothing).
fn filter_combos(c1: &str, lo: i64, hi: i64) -> Vec<(String, Vec<Pred>)> {
    let c1 = c1.to_owned();
    let by_customer = |c: String| -> Pred {
        Box::new(move |p: &Payment| p.customer_id.as_ref().map(|x| x.to_string()) == Some(c.clone()))
    };
    let by_status = |s: PaymentStatus| -> Pred { Box::new(move |p: &Payment| p.status == s) };
    let in_range: Pred = Box::new(move |p: &Payment| (lo..=hi).contains(&p.created));
    vec![
        (String::new(), vec![]),
        (format!("customer={c1}"), vec![by_customer(c1.clone())]),
        ("status=succeeded".into(), vec![by_status(PaymentStatus::Succeeded)]),
        (
            format!("created[gte]={lo}&created[lte]={hi}"),
            vec![Box::new(move |p: &Payment| (lo..=hi).contains(&p.created))],
        ),
        (
            format!("customer={c1}&status=failed"),
            vec![by_customer(c1.clone()), by_status(PaymentStatus::Failed)],
        ),
        (
            format!("customer={c1}&created[gte]={lo}"),
            vec![by_customer(c1.clone()), Box::new(move |p: &Payment| p.created >= lo)],
        ),
        (
            format!("status=pending&created[lt]={hi}"),
            vec![
                by_status(PaymentStatus::Pending),
                Box::new(move |p: &Payment| p.created < hi),
            ],
        ),
        (
            format!("customer={c1}&status=cancelled&created[gte]={lo}&created[lte]={hi}"),
            vec![by_customer(c1.clone()), by_status(PaymentStatus::Cancelled), in_range],
        ),
        ("created[gt]=99999999999".into(), vec![Box::new(|_: &Payment| false)]),
    ]
}

#[tokio::test]
async fn walks_with_every_filter_combination() {
    let (api, [a, b]) = TestApi::with_merchants(["A", "B"]).await;
    let ta = a.tenant(Mode::Test);
    let customers: Vec<CustomerId> = (0..3).map(|_| CustomerId::generate()).collect();
    for c in &customers {
        seed_customer(&api, &ta, c).await;
    }
    // 240 payments, three per second (ties), four customers (one "none"),
    // four statuses, in an order that does not match creation.
    let mine = seed(
        &api,
        &ta,
        (0..240)
            .map(|i: i64| {
                let customer = customers.get((i % 4) as usize);
                let status = PaymentStatus::ALL[((i * 7) % 4) as usize];
                payment(Mode::Test, BASE + (i * 37 % 240) / 3, customer, status)
            })
            .collect(),
    )
    .await;
    // Noise: another account, and the live mode of the same account.
    let noise = |mode| {
        (0..40)
            .map(|i| payment(mode, BASE + i, None, PaymentStatus::Pending))
            .collect()
    };
    seed(&api, &b.tenant(Mode::Test), noise(Mode::Test)).await;
    seed(&api, &a.tenant(Mode::Live), noise(Mode::Live)).await;

    let combos = filter_combos(&customers[1].to_string(), BASE + 20, BASE + 60);
    for (query, preds) in &combos {
        let expected = ordered(mine.iter().filter(|p| preds.iter().all(|f| f(p))).collect());
        walk_both_ways(&api, &a.test_key, query, 7, &expected).await;
    }
    // Exact has_more when the set divides evenly into pages.
    let all = ordered(mine.iter().collect());
    walk_both_ways(&api, &a.test_key, "", 24, &all).await;
    walk_both_ways(&api, &a.test_key, "", 100, &all).await;

    // The other account and the other mode list only their own.
    let r = api.list_payments(&b.test_key, "limit=100").await;
    assert_eq!(ids(&r).len(), 40);
    let r = api.list_payments(&a.live_key, "limit=100").await;
    assert_eq!(ids(&r).len(), 40);
    assert!(r.data().iter().all(|p| p["livemode"] == true));
    let mine_ids: HashSet<String> = all.into_iter().collect();
    assert!(ids(&r).iter().all(|id| !mine_ids.contains(id)));
}

#[tokio::test]
async fn limits_and_ties() {
    let (api, [m]) = TestApi::with_merchants(["Limits"]).await;
    // 25 payments created in the same second: the id breaks the tie.
    let tied = seed(
        &api,
        &m.tenant(Mode::Test),
        (0..25)
            .map(|_| payment(Mode::Test, BASE, None, PaymentStatus::Pending))
            .collect(),
    )
    .await;
    let expected = ordered(tied.iter().collect());

    let r = api.list_payments(&m.test_key, "").await;
    assert_eq!(ids(&r), expected[..20], "default limit is 20");
    assert!(has_more(&r));
    let r = api.list_payments(&m.test_key, "limit=25").await;
    assert_eq!(ids(&r), expected);
    assert!(!has_more(&r), "exactly 25 left: no more");
    let r = api.list_payments(&m.test_key, "limit=24").await;
    assert!(has_more(&r));
    let r = api.list_payments(&m.test_key, "limit=100").await;
    assert_eq!(ids(&r).len(), 25);
    walk_both_ways(&api, &m.test_key, "", 4, &expected).await;

    for bad in ["0", "101", "-1", "abc", "2.5", ""] {
        let r = api.list_payments(&m.test_key, &format!("limit={bad}")).await;
        assert_eq!(r.error(400).1.as_deref(), Some("limit"), "limit={bad}");
    }
}

#[tokio::test]
async fn cursor_and_parameter_errors() {
    let (api, [a, b]) = TestApi::with_merchants(["A", "B"]).await;
    let one = |mode| vec![payment(mode, BASE, None, PaymentStatus::Pending)];
    let pa = seed(&api, &a.tenant(Mode::Test), one(Mode::Test)).await;
    let pb = seed(&api, &b.tenant(Mode::Test), one(Mode::Test)).await;
    let live = seed(&api, &a.tenant(Mode::Live), one(Mode::Live)).await;
    let own = &pa[0].id;

    for (query, code, param) in [
        (
            "starting_after=pay_00000000000000000000000000000000".to_string(),
            "resource_missing",
            "starting_after",
        ),
        (
            "ending_before=pay_00000000000000000000000000000000".to_string(),
            "resource_missing",
            "ending_before",
        ),
        (
            format!("starting_after={}", pb[0].id),
            "resource_missing",
            "starting_after",
        ),
        (
            format!("ending_before={}", live[0].id),
            "resource_missing",
            "ending_before",
        ),
        (
            "starting_after=cus_123".to_string(),
            "resource_missing",
            "starting_after",
        ),
        (
            "starting_after=pay_1%27%20OR%201%3D1".to_string(),
            "resource_missing",
            "starting_after",
        ),
        (
            format!("starting_after={own}&ending_before={own}"),
            "parameter_invalid",
            "ending_before",
        ),
        ("customer=pay_1".to_string(), "resource_missing", "customer"),
        ("status=paid".to_string(), "parameter_invalid", "status"),
        (
            "created[gte]=yesterday".to_string(),
            "parameter_invalid_integer",
            "created[gte]",
        ),
        (
            "created[lte]=-5".to_string(),
            "parameter_invalid_integer",
            "created[lte]",
        ),
        ("sort=asc".to_string(), "parameter_unknown", "sort"),
        (
            "status=pending&status=failed".to_string(),
            "parameter_repeated",
            "status",
        ),
        ("limit=1&limit=2".to_string(), "parameter_repeated", "limit"),
    ] {
        let r = api.list_payments(&a.test_key, &query).await;
        assert_eq!(r.error(400), (Some(code.to_owned()), Some(param.to_owned())), "{query}");
    }
    // A customer filter that names nobody is simply an empty list.
    let r = api
        .list_payments(&a.test_key, "customer=cus_00000000000000000000000000000000")
        .await;
    assert!(ids(&r).is_empty() && !has_more(&r));
    // The own cursor works.
    let r = api.list_payments(&a.test_key, &format!("starting_after={own}")).await;
    assert!(ids(&r).is_empty());
}

#[tokio::test]
async fn a_walk_during_creation_sees_each_existing_payment_once() {
    let (api, [m]) = TestApi::with_merchants(["Busy"]).await;
    // Created through the API, so new ones land in the same seconds.
    for chunk in 0..6 {
        futures::future::join_all(
            (0..20)
                .map(|i| api.create_payment(&m.test_key, json!({"amount": 1000 + chunk * 20 + i, "currency": "usd"}))),
        )
        .await;
    }
    let snapshot = ids(&api.list_payments(&m.test_key, "limit=100").await);
    let rest = ids(&api
        .list_payments(&m.test_key, &format!("limit=100&starting_after={}", snapshot[99]))
        .await);
    let expected: Vec<String> = snapshot.into_iter().chain(rest).collect();
    assert_eq!(expected.len(), 120);

    let writer = async {
        let mut created = 0;
        for i in 0..60 {
            let r = api
                .create_payment(&m.test_key, json!({"amount": 5000 + i, "currency": "usd"}))
                .await;
            assert_eq!(r.status, 200);
            created += 1;
        }
        created
    };
    let walker = async {
        let mut seen: Vec<String> = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let after = starting_after(cursor.as_deref());
            let r = api.list_payments(&m.test_key, &format!("limit=5{after}")).await;
            let page = ids(&r);
            if cursor.is_none() {
                // The first page may already include new payments: they are
                // at the head, newer than everything that existed.
                let fresh = page.iter().take_while(|id| !expected.contains(id)).count();
                seen.extend(page[fresh..].iter().cloned());
            } else {
                seen.extend(page.iter().cloned());
            }
            if !has_more(&r) {
                break;
            }
            cursor = page.last().cloned();
            tokio::task::yield_now().await;
        }
        seen
    };
    let (created, seen) = tokio::join!(writer, walker);
    assert_eq!(created, 60);
    assert_eq!(
        seen, expected,
        "every existing payment once, in order, none of the new ones inside the walk"
    );
}

/// What a list reads does not depend on how many payments the account has:
/// one Query reading at most limit + 2 items (one GetItem more for a cursor).
#[tokio::test]
async fn each_list_reads_about_limit_plus_one_items() {
    let (api, [m]) = TestApi::with_merchants(["Costs"]).await;
    let t = m.tenant(Mode::Test);
    let customer = CustomerId::generate();
    seed_customer(&api, &t, &customer).await;
    let seeded = seed(
        &api,
        &t,
        (0..300)
            .map(|i| {
                let c = (i % 3 == 0).then_some(&customer);
                payment(Mode::Test, BASE + i, c, PaymentStatus::ALL[(i % 4) as usize])
            })
            .collect(),
    )
    .await;
    let deep = ordered(seeded.iter().collect())[150].clone();
    let limit = 10;
    let filters = [
        PaymentFilter::default(),
        PaymentFilter {
            customer: Some(customer.clone()),
            ..Default::default()
        },
        PaymentFilter {
            status: Some(PaymentStatus::Failed),
            ..Default::default()
        },
        PaymentFilter {
            created: paynectra::domain::CreatedRange::new(None, Some(BASE + 100), None, Some(BASE + 200)).unwrap(),
            ..Default::default()
        },
    ];
    for filter in &filters {
        for cursor in [None, Some(deep.parse().unwrap())] {
            let window = ListWindow::new(Some(limit), cursor.clone(), None).unwrap();
            let (page, stats) = api.app.store.list_payments(&t, filter, &window).await.unwrap();
            assert_eq!(page.data.len(), limit as usize, "{filter:?}");
            assert_eq!(stats.queries, 1, "{filter:?}");
            assert_eq!(stats.get_items, u32::from(cursor.is_some()));
            assert!(
                stats.items_read <= limit as u32 + 2,
                "{filter:?} read {}",
                stats.items_read
            );
        }
    }
}

/// How many items gsi1's partition `pk` holds (the test's own look at
/// where the store put them).
async fn gsi1_count(api: &TestApi, pk: &str) -> usize {
    let out = api
        .app
        .store
        .client()
        .query()
        .table_name(api.app.store.table())
        .index_name("gsi1")
        .key_condition_expression("gsi1pk = :pk")
        .expression_attribute_values(":pk", aws_sdk_dynamodb::types::AttributeValue::S(pk.into()))
        .select(aws_sdk_dynamodb::types::Select::Count)
        .send()
        .await
        .unwrap();
    usize::try_from(out.count()).unwrap()
}

#[tokio::test]
async fn a_sharded_merchants_lists_walk_exactly_as_an_unsharded_ones() {
    let (api, [a, b]) = TestApi::with_merchants(["Big", "Small"]).await;
    let account: AccountId = a.account_id.parse().unwrap();
    let store = &api.app.store;
    let one = a.tenant(Mode::Test);
    let customers: Vec<CustomerId> = (0..2).map(|_| CustomerId::generate()).collect();
    for c in &customers {
        seed_customer(&api, &one, c).await;
    }
    let spread = |range: std::ops::Range<i64>| -> Vec<Payment> {
        range
            .map(|i| {
                let status = PaymentStatus::ALL[((i * 7) % 5) as usize];
                payment(
                    Mode::Test,
                    BASE + (i * 37 % 180) / 3,
                    customers.get((i % 3) as usize),
                    status,
                )
            })
            .collect()
    };
    // 90 payments written while the lists had one partition, 90 after they
    // grew to four (straight through the store, with the tenant's count)...
    let mut mine = seed(&api, &one, spread(0..90)).await;
    assert_eq!(store.list_shards(&account).await.unwrap(), 1);
    store.set_list_shards(&account, 4).await.unwrap();
    assert_eq!(store.list_shards(&account).await.unwrap(), 4);
    let four = one.clone().with_list_shards(4);
    mine.extend(seed(&api, &four, spread(90..180)).await);
    // ...and 16 through the API: the authorizer hands the key's count to
    // the function, so they spread over the shards too.
    let base = format!("T#{}#test#payment", a.account_id);
    let before: usize = gsi1_count(&api, &format!("{base}#s1")).await
        + gsi1_count(&api, &format!("{base}#s2")).await
        + gsi1_count(&api, &format!("{base}#s3")).await;
    for _ in 0..16 {
        let r = api
            .create_payment(&a.test_key, json!({"amount": 500, "currency": "usd"}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        mine.push(
            store
                .get_payment(&four, &r.id().parse().unwrap())
                .await
                .unwrap()
                .unwrap(),
        );
    }
    let after: usize = gsi1_count(&api, &format!("{base}#s1")).await
        + gsi1_count(&api, &format!("{base}#s2")).await
        + gsi1_count(&api, &format!("{base}#s3")).await;
    assert!(after > before, "the API's writes use the account's shard count");
    assert!(gsi1_count(&api, &base).await > 90, "shard 0 is the unsharded partition");

    let combos = filter_combos(&customers[1].to_string(), BASE + 10, BASE + 40);
    let mut walked = 0;
    for (query, preds) in &combos {
        let expected = ordered(mine.iter().filter(|p| preds.iter().all(|f| f(p))).collect());
        walked += usize::from(!expected.is_empty());
        walk_both_ways(&api, &a.test_key, query, 7, &expected).await;
    }
    assert!(walked >= 7, "most filters find payments: {walked}");
    let all = ordered(mine.iter().collect());
    assert_eq!(all.len(), 196);
    walk_both_ways(&api, &a.test_key, "", 28, &all).await;
    walk_both_ways(&api, &a.test_key, "", 100, &all).await;

    // The count only grows; growing to it again changes nothing.
    assert!(matches!(
        store.set_list_shards(&account, 2).await,
        Err(paynectra::store::StoreError::Conflict)
    ));
    store.set_list_shards(&account, 4).await.unwrap();
    // A rolled key carries it: its lists read every shard.
    let (secret, key, _) = paynectra::service::accounts::roll_key(store, &account, Mode::Test, api.now())
        .await
        .unwrap();
    assert_eq!(key.list_shards, 4);
    walk_both_ways(&api, secret.expose(), "", 50, &all).await;
    // The live mode and the other merchant are untouched.
    assert!(ids(&api.list_payments(&a.live_key, "").await).is_empty());
    assert!(ids(&api.list_payments(&b.test_key, "").await).is_empty());
}

#[tokio::test]
async fn a_sharded_merchants_events_list_every_event_once_in_order() {
    let (api, [m]) = TestApi::with_merchants(["Busy"]).await;
    let account: AccountId = m.account_id.parse().unwrap();
    let key = &m.test_key;
    let activity = |n: usize| {
        let api = &api;
        async move {
            for i in 0..n {
                api.create_customer(key, json!({"name": format!("c{i}")})).await;
                let pay = api
                    .create_payment(key, json!({"amount": 100 + i, "currency": "usd"}))
                    .await;
                if i % 3 == 0 {
                    api.cancel(key, &pay.id(), json!({})).await;
                }
                api.advance(1);
            }
        }
    };
    activity(6).await;
    api.app.store.set_list_shards(&account, 8).await.unwrap();
    activity(18).await;

    // The events, brute force: every event item of the tenant, newest first.
    let prefix = format!("T#{}#test#evt_", m.account_id);
    let mut stored: Vec<(i64, String, String)> = Vec::new();
    let mut start = None;
    loop {
        let out = api.scan().set_exclusive_start_key(start.take()).send().await.unwrap();
        for item in out.items() {
            let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            if text("pk").starts_with(&prefix) && text("sk") == "event" {
                let created = item["created"].as_n().unwrap().parse().unwrap();
                stored.push((created, text("id"), text("type")));
            }
        }
        start = out.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    stored.sort_by(|a, b| (b.0, &b.1).cmp(&(a.0, &a.1)));
    let expected = |keep: &dyn Fn(&str) -> bool| -> Vec<String> {
        stored.iter().filter(|e| keep(&e.2)).map(|e| e.1.clone()).collect()
    };
    let all = expected(&|_| true);
    assert_eq!(
        all.len(),
        24 * 2 + 8,
        "customer.created, payment.created, payment.cancelled"
    );
    walk_list_both_ways(&api, key, "/v1/events", "", 5, &all).await;
    walk_list_both_ways(&api, key, "/v1/events", "", 56, &all).await;
    let payments = expected(&|t| t.starts_with("payment."));
    walk_list_both_ways(&api, key, "/v1/events", "type=payment.*", 4, &payments).await;
    let cancelled = expected(&|t| t == "payment.cancelled");
    walk_list_both_ways(&api, key, "/v1/events", "type=payment.cancelled", 3, &cancelled).await;
    let customers = expected(&|t| t == "customer.created");
    walk_list_both_ways(&api, key, "/v1/events", "type=customer.created", 6, &customers).await;
    // The customers' list merges its shards too.
    let r = api.get(key, "/v1/customers?limit=100").await;
    assert_eq!(list_ids(&r, "/v1/customers").len(), 24);
}
