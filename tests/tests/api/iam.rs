//! The functions' IAM against the store's keys: every DynamoDB statement of
//! `template.yaml` is scoped with `dynamodb:LeadingKeys`, and the partitions
//! its patterns admit (matched against keys built by the store's own
//! builders, `store::partition_examples`) are exactly those the function's
//! code reads or writes, action by action.

use std::collections::{BTreeMap, BTreeSet};

use paynectra::store::{partition_examples, PartitionExample};
use paynectra_tests::repo_root;
use serde_yaml_ng::Value;

/// A function's access: action => partition names.
type Access = &'static [(&'static str, &'static [&'static str])];

/// What each function's code does to which partitions (read off
/// `functions/src/<resource>.rs` -> `service/*` -> `store/*`): action =>
/// partition names of [`partition_examples`]. `event` and `delivery` share
/// a partition (an event and its deliveries), and so do `webhook_endpoint`
/// and `breaker` (an endpoint and its circuit breaker), so IAM admits both
/// or neither.
const EXPECTED: &[(&str, Access)] = &[
    ("authorizer", &[("GetItem", &["api_key"])]),
    (
        "create_payment",
        &[
            ("PutItem", &["payment", "event", "delivery", "idempotency"]),
            ("ConditionCheckItem", &["customer"]),
            ("GetItem", &["idempotency"]),
            ("UpdateItem", &["idempotency"]),
        ],
    ),
    (
        "get_payment",
        &[
            ("GetItem", &["payment"]),
            ("PutItem", &["payment", "event", "delivery"]),
            ("DeleteItem", HOLD_INDEX),
        ],
    ),
    (
        "update_payment",
        &[
            ("GetItem", &["payment", "idempotency"]),
            ("PutItem", &["payment", "event", "delivery", "idempotency"]),
            ("UpdateItem", &["payment", "idempotency"]),
            ("DeleteItem", HOLD_INDEX),
        ],
    ),
    (
        "list_receipts",
        &[
            ("GetItem", &["receipt"]),
            (
                "Query",
                &["index:receipts", "index:receipts_shards", "index:receipts_of_payment"],
            ),
        ],
    ),
    (
        "list_payments",
        &[
            ("GetItem", &["payment"]),
            (
                "Query",
                &[
                    "index:payments",
                    "index:payments_shards",
                    "index:payments_of_customer",
                    "index:payments_by_status",
                    "index:payments_by_status_shards",
                ],
            ),
        ],
    ),
    (
        "create_customer",
        &[
            ("PutItem", &["customer", "event", "delivery", "idempotency"]),
            ("GetItem", &["idempotency"]),
            ("UpdateItem", &["idempotency"]),
        ],
    ),
    ("get_customer", &[("GetItem", &["customer"])]),
    ("get_payment_method", &[("GetItem", &["payment_method"])]),
    ("dashboard", &[]),
    (
        "update_customer",
        &[
            ("GetItem", &["customer", "idempotency"]),
            ("PutItem", &["customer", "event", "delivery", "idempotency"]),
            ("UpdateItem", &["idempotency"]),
        ],
    ),
    (
        "delete_customer",
        &[
            ("GetItem", &["customer"]),
            ("UpdateItem", &["customer"]),
            ("PutItem", &["event", "delivery"]),
        ],
    ),
    (
        "list_customers",
        &[
            ("GetItem", &["customer"]),
            (
                "Query",
                &["index:customers", "index:customers_shards", "index:customers_by_email"],
            ),
        ],
    ),
    (
        "create_refund",
        &[
            ("Query", &["balance", "balance_shards"]),
            ("GetItem", &["payment", "idempotency"]),
            ("UpdateItem", &["payment", "idempotency"]),
            (
                "PutItem",
                &[
                    "refund",
                    "event",
                    "delivery",
                    "idempotency",
                    "refund_due",
                    "balance_transaction",
                ],
            ),
        ],
    ),
    ("get_refund", &[("GetItem", &["refund"])]),
    (
        "list_refunds",
        &[
            ("GetItem", &["refund"]),
            (
                "Query",
                &[
                    "index:refunds",
                    "index:refunds_shards",
                    "index:refunds_of_payment",
                    "index:refunds_by_status",
                    "index:refunds_by_status_shards",
                ],
            ),
        ],
    ),
    (
        "update_refund",
        &[
            ("GetItem", &["refund", "idempotency"]),
            ("PutItem", &["refund", "event", "delivery", "idempotency"]),
            ("UpdateItem", &["idempotency"]),
        ],
    ),
    ("get_balance", &[("Query", &["balance", "balance_shards"])]),
    ("get_volume", &[("Query", &["volume", "volume_shards"])]),
    (
        "create_payout",
        &[
            ("GetItem", &["settings", "idempotency"]),
            ("Query", &["balance", "balance_shards"]),
            ("DeleteItem", &["balance", "balance_shards"]),
            ("UpdateItem", &["balance", "balance_shards", "idempotency"]),
            (
                "PutItem",
                &[
                    "payout",
                    "balance_transaction",
                    "event",
                    "delivery",
                    "payout_due",
                    "idempotency",
                ],
            ),
        ],
    ),
    ("get_payout", &[("GetItem", &["payout"])]),
    (
        "pay_out_daily",
        &[
            (
                "Query",
                &["autopay", "balance", "balance_shards", "ledger", "ledger_shards"],
            ),
            ("UpdateItem", &["autopay", "balance", "balance_shards"]),
            ("GetItem", &["settings"]),
            ("DeleteItem", &["balance", "balance_shards"]),
            (
                "PutItem",
                &["payout", "balance_transaction", "event", "delivery", "payout_due"],
            ),
        ],
    ),
    (
        "list_payouts",
        &[
            ("GetItem", &["payout"]),
            ("Query", &["index:payouts", "index:payouts_by_status"]),
        ],
    ),
    (
        "cancel_payout",
        &[
            ("GetItem", &["payout", "idempotency"]),
            (
                "PutItem",
                &[
                    "payout",
                    "event",
                    "delivery",
                    "balance_transaction",
                    "payout_due",
                    "idempotency",
                ],
            ),
            ("UpdateItem", &["balance", "balance_shards", "idempotency"]),
            ("DeleteItem", &["payout_due"]),
        ],
    ),
    (
        "sweep_payouts",
        &[
            ("Query", &["payout_due"]),
            ("GetItem", &["payout", "payout_sweep"]),
            (
                "PutItem",
                &[
                    "payout",
                    "event",
                    "delivery",
                    "balance_transaction",
                    "payout_due",
                    "payout_sweep",
                ],
            ),
            ("UpdateItem", &["balance", "balance_shards"]),
            ("DeleteItem", &["payout_due"]),
        ],
    ),
    ("get_balance_transaction", &[("GetItem", &["balance_transaction"])]),
    (
        "list_balance_transactions",
        &[
            ("GetItem", &["balance_transaction", "payout"]),
            (
                "Query",
                &[
                    "index:balance_transactions",
                    "index:balance_transactions_shards",
                    "index:balance_transactions_of_source",
                    "index:balance_transactions_by_type",
                    "index:balance_transactions_by_type_shards",
                ],
            ),
        ],
    ),
    ("cancel_refund", REFUND_CHANGE),
    ("expire_refund", REFUND_CHANGE),
    (
        "answer_refunds",
        &[
            ("GetItem", &["refund"]),
            (
                "PutItem",
                &["refund", "event", "delivery", "balance_transaction", "balance_due"],
            ),
            (
                "UpdateItem",
                &[
                    "payment",
                    "balance",
                    "balance_shards",
                    "ledger",
                    "ledger_shards",
                    "volume",
                    "volume_shards",
                ],
            ),
            ("DeleteItem", &["refund_due"]),
        ],
    ),
    (
        "sweep_balances",
        &[
            ("Query", &["balance_due", "balance", "balance_shards"]),
            ("DeleteItem", &["balance_due", "balance", "balance_shards"]),
            ("GetItem", &["balance_sweep"]),
            ("PutItem", &["balance_sweep", "event", "delivery"]),
            ("UpdateItem", &["balance", "balance_shards"]),
        ],
    ),
    (
        "sweep_refunds",
        &[
            ("Query", &["refund_due"]),
            ("DeleteItem", &["refund_due"]),
            ("GetItem", &["refund", "refund_sweep"]),
            (
                "PutItem",
                &["refund", "event", "delivery", "refund_sweep", "balance_transaction"],
            ),
            ("UpdateItem", &["payment"]),
        ],
    ),
    (
        "create_payment_method",
        &[
            ("PutItem", &["payment_method", "idempotency"]),
            ("GetItem", &["idempotency"]),
            ("UpdateItem", &["idempotency"]),
        ],
    ),
    (
        "attach_payment_method",
        &[
            ("GetItem", &["payment", "payment_method", "idempotency"]),
            ("UpdateItem", &["payment_method", "idempotency"]),
            ("ConditionCheckItem", &["customer"]),
            ("PutItem", &["idempotency"]),
        ],
    ),
    (
        "list_payment_methods",
        &[
            ("GetItem", &["customer", "payment_method"]),
            ("Query", &["index:customer_payment_methods"]),
        ],
    ),
    ("detach_payment_method", &[("UpdateItem", &["payment_method"])]),
    (
        "confirm_payment",
        &[
            ("GetItem", &["payment", "payment_method", "idempotency", "settings"]),
            (
                "PutItem",
                &[
                    "payment",
                    "event",
                    "delivery",
                    "hold",
                    "hold_sweep",
                    "hold_legacy",
                    "payment_method",
                    "idempotency",
                    "balance_transaction",
                ],
            ),
            ("UpdateItem", &["payment_method", "idempotency"]),
            ("DeleteItem", HOLD_INDEX),
        ],
    ),
    (
        "capture_payment",
        &[
            ("GetItem", &["payment", "idempotency", "settings"]),
            (
                "PutItem",
                &["payment", "event", "delivery", "idempotency", "balance_transaction"],
            ),
            ("UpdateItem", &["idempotency"]),
            ("DeleteItem", HOLD_INDEX),
        ],
    ),
    (
        "cancel_payment",
        &[
            ("GetItem", &["payment", "idempotency"]),
            ("PutItem", &["payment", "event", "delivery", "idempotency"]),
            ("UpdateItem", &["idempotency"]),
            ("DeleteItem", HOLD_INDEX),
        ],
    ),
    ("get_event", &[("Query", &["event", "delivery"])]),
    (
        "list_events",
        &[
            ("GetItem", &["event", "delivery"]),
            ("BatchGetItem", &["event", "delivery"]),
            (
                "Query",
                &[
                    "index:events",
                    "index:events_shards",
                    "index:events_by_group",
                    "index:events_by_group_shards",
                    "index:events_by_type",
                    "index:events_by_type_shards",
                    "index:payment_timeline",
                ],
            ),
        ],
    ),
    (
        "create_webhook_endpoint",
        &[
            ("PutItem", &["webhook_endpoint", "breaker", "idempotency"]),
            ("GetItem", &["idempotency"]),
            ("UpdateItem", &["webhook_endpoint_count", "idempotency"]),
        ],
    ),
    (
        "list_webhook_endpoints",
        &[
            ("GetItem", &["webhook_endpoint", "breaker"]),
            ("Query", &["index:webhook_endpoints"]),
        ],
    ),
    (
        "delete_webhook_endpoint",
        &[("UpdateItem", &["webhook_endpoint", "breaker", "webhook_endpoint_count"])],
    ),
    (
        "hosted_page",
        &[
            (
                // The account's name for a receipt: its item shares the
                // partition of its key records (ids and hashes, never a
                // secret), which IAM cannot tell apart; read only.
                "GetItem",
                &[
                    "api_key",
                    "payment",
                    "account",
                    "api_key_record",
                    "payment_method",
                    "refund",
                ],
            ),
            ("Query", &["index:refunds_of_payment"]),
            ("PutItem", &["payment", "event", "delivery"]),
            ("DeleteItem", HOLD_INDEX),
        ],
    ),
    (
        "deliver_webhooks",
        &[
            (
                "GetItem",
                &[
                    "webhook_endpoint",
                    "breaker",
                    "event",
                    "delivery",
                    "payment",
                    "refund",
                    "payment_method",
                    "customer",
                    "account",
                    // Beside the account's item (as for the hosted page).
                    "api_key_record",
                    "receipt",
                ],
            ),
            ("Query", &["index:webhook_endpoints"]),
            (
                "PutItem",
                &["event", "delivery", "retry", "retry_sweep", "retry_legacy", "receipt"],
            ),
            ("UpdateItem", &["event", "delivery", "receipt"]),
        ],
    ),
    // The worker: a delivery and its event, the endpoint and its breaker
    // (the endpoint's partition); the attempt (delivery, pending_webhooks,
    // the next retry-index entry); an event fanned out again (from the
    // dead-letter queue) as deliver_webhooks does.
    (
        "attempt_webhooks",
        &[
            ("GetItem", &["event", "delivery", "webhook_endpoint", "breaker"]),
            ("Query", &["index:webhook_endpoints", "webhook_endpoint", "breaker"]),
            (
                "PutItem",
                &[
                    "event",
                    "delivery",
                    "retry",
                    "retry_sweep",
                    "retry_legacy",
                    "webhook_endpoint",
                    "breaker",
                ],
            ),
            ("UpdateItem", &["event", "delivery"]),
        ],
    ),
    // The sweeps: their index's partitions (the current format's buckets,
    // the old day partitions) and their cursor item, all under one prefix.
    (
        "retry_webhooks",
        &[
            ("Query", RETRY_INDEX),
            ("DeleteItem", RETRY_INDEX),
            ("GetItem", RETRY_INDEX),
            ("PutItem", RETRY_INDEX),
        ],
    ),
    (
        "expire_holds",
        &[
            ("Query", HOLD_INDEX),
            ("DeleteItem", HOLD_INDEX),
            ("GetItem", &["payment", "hold", "hold_sweep", "hold_legacy"]),
            (
                "PutItem",
                &["payment", "event", "delivery", "hold", "hold_sweep", "hold_legacy"],
            ),
        ],
    ),
];

/// The hold index's partitions: entries (current and old format) and the
/// sweep's cursor.
const HOLD_INDEX: &[&str] = &["hold", "hold_sweep", "hold_legacy"];
/// The retry index's partitions, likewise.
const RETRY_INDEX: &[&str] = &["retry", "retry_sweep", "retry_legacy"];
/// A request's change of a refund that can give its amount back (cancel,
/// the test helper's expire).
const REFUND_CHANGE: Access = &[
    ("GetItem", &["refund", "idempotency"]),
    (
        "PutItem",
        &["refund", "event", "delivery", "idempotency", "balance_transaction"],
    ),
    ("UpdateItem", &["payment", "idempotency"]),
    ("DeleteItem", &["refund_due"]),
];

/// IAM's `StringLike`: `*` is any run of characters (`#` too), `?` one.
fn like(pattern: &str, s: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some((b'*', rest)) => (0..=s.len()).any(|i| go(rest, &s[i..])),
            Some((b'?', rest)) => !s.is_empty() && go(rest, &s[1..]),
            Some((c, rest)) => s.first() == Some(c) && go(rest, &s[1..]),
        }
    }
    go(pattern.as_bytes(), s.as_bytes())
}

#[test]
fn the_glob_is_iams() {
    assert!(like("K#*", "K#abc"));
    assert!(like("K#*", "K#"));
    assert!(!like("K#*", "T#K#abc"));
    assert!(like("T#*#pay_*", "T#acct_1#test#pay_1"));
    assert!(!like("T#*#pay_*", "T#acct_1#test#payment"));
    assert!(like("T#*#payment", "T#a#test#customer#cus_1#payment"));
    assert!(like("a?c", "abc") && !like("a?c", "ac"));
}

/// One DynamoDB statement of a function's role.
#[derive(Debug)]
struct Statement {
    actions: Vec<String>,
    /// The statement's resource is the table's indexes (else the table).
    on_index: bool,
    leading_keys: Vec<String>,
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Sequence(items) => items.iter().map(|x| x.as_str().unwrap().to_owned()).collect(),
        other => panic!("not a string or a list of strings: {other:?}"),
    }
}

/// Each function (by binary) with its DynamoDB statements.
fn dynamodb_statements() -> BTreeMap<String, Vec<Statement>> {
    let t: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(repo_root().join("template.yaml")).unwrap()).unwrap();
    let mut out = BTreeMap::new();
    for (name, res) in t["Resources"].as_mapping().unwrap() {
        if res["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let name = name.as_str().unwrap();
        let binary = res["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut statements = Vec::new();
        for p in res["Properties"]["Policies"].as_sequence().unwrap() {
            for s in p["Statement"].as_sequence().unwrap() {
                let actions = strings(&s["Action"]);
                if !actions.iter().any(|a| a.starts_with("dynamodb:")) {
                    continue;
                }
                assert_eq!(s["Effect"], "Allow", "{name}");
                assert!(
                    actions.iter().all(|a| a.starts_with("dynamodb:")),
                    "{name}: DynamoDB actions in a statement of their own: {actions:?}"
                );
                let resource = match &s["Resource"] {
                    Value::Tagged(t) => t.value.as_str().unwrap_or("").to_owned(),
                    other => panic!("{name}: Resource {other:?}"),
                };
                let on_index = match resource.as_str() {
                    "Table.Arn" => false,
                    "${Table.Arn}/index/*" => true,
                    other => panic!("{name}: a DynamoDB resource other than the table or its indexes: {other}"),
                };
                let condition = s["Condition"]
                    .as_mapping()
                    .unwrap_or_else(|| panic!("{name}: a DynamoDB statement without a condition: {actions:?}"));
                let operators: Vec<&str> = condition.keys().map(|k| k.as_str().unwrap()).collect();
                assert_eq!(operators, ["ForAllValues:StringLike"], "{name}: {actions:?}");
                let like = condition["ForAllValues:StringLike"].as_mapping().unwrap();
                for key in like.keys() {
                    let key = key.as_str().unwrap();
                    assert!(
                        matches!(key, "dynamodb:LeadingKeys" | "dynamodb:Attributes"),
                        "{name}: condition key {key}"
                    );
                }
                let leading_keys = strings(
                    like.get("dynamodb:LeadingKeys")
                        .unwrap_or_else(|| panic!("{name}: {actions:?} without dynamodb:LeadingKeys")),
                );
                assert!(!leading_keys.is_empty(), "{name}");
                statements.push(Statement {
                    actions: actions
                        .iter()
                        .map(|a| a.strip_prefix("dynamodb:").unwrap().to_owned())
                        .collect(),
                    on_index,
                    leading_keys,
                });
            }
        }
        out.insert(binary, statements);
    }
    out
}

fn admits(s: &Statement, p: &PartitionExample) -> bool {
    s.on_index == p.index.is_some() && s.leading_keys.iter().any(|pattern| like(pattern, &p.pk))
}

/// Action => the partitions the statements let it reach.
fn reach(statements: &[Statement]) -> BTreeMap<String, BTreeSet<&'static str>> {
    let examples = partition_examples();
    let mut out: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    for s in statements {
        for a in &s.actions {
            let reached = out.entry(a.clone()).or_default();
            reached.extend(examples.iter().filter(|p| admits(s, p)).map(|p| p.name));
        }
    }
    out
}

#[test]
fn every_dynamodb_statement_is_scoped_to_the_partitions_its_function_touches() {
    let all = dynamodb_statements();
    let expected: BTreeMap<&str, BTreeMap<String, BTreeSet<&str>>> = EXPECTED
        .iter()
        .map(|(f, actions)| {
            let by_action = actions
                .iter()
                .map(|(a, names)| (a.to_string(), names.iter().copied().collect()))
                .collect();
            (*f, by_action)
        })
        .collect();
    assert_eq!(
        all.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        expected.keys().copied().collect::<BTreeSet<_>>(),
        "EXPECTED lists every function of the template"
    );
    let examples = partition_examples();
    for (f, statements) in &all {
        for s in statements {
            // Examples of one name (a sharded list's one- and two-digit
            // shards) are admitted together or not at all.
            for p in &examples {
                for q in examples.iter().filter(|q| q.name == p.name) {
                    assert_eq!(admits(s, p), admits(s, q), "{f}: {} vs {}", p.pk, q.pk);
                }
            }
            // Item operations and Query on the table meet the table's
            // partition key; Query on an index, the index's.
            if s.on_index {
                assert_eq!(s.actions, ["Query"], "{f}: only Query reads an index");
            }
            for pattern in &s.leading_keys {
                assert!(
                    examples
                        .iter()
                        .any(|p| p.index.is_some() == s.on_index && like(pattern, &p.pk)),
                    "{f}: {pattern} matches no partition the store builds"
                );
            }
        }
        assert_eq!(&reach(statements), &expected[f.as_str()], "{f}");
    }
    // Accounts and keys' records are paynectra-admin's alone, but for the
    // merchant's name on receipts: the two functions that show one may
    // read (GetItem, nothing else) the account's partition. The warm-up
    // read may be denied (it still warms the connection).
    let reads_merchant_name = ["hosted_page", "deliver_webhooks"];
    for (f, statements) in &all {
        for p in examples
            .iter()
            .filter(|p| matches!(p.name, "account" | "api_key_record" | "warm_up"))
        {
            for s in statements.iter().filter(|s| admits(s, p)) {
                assert!(
                    p.name != "warm_up" && reads_merchant_name.contains(&f.as_str()) && s.actions == ["GetItem"],
                    "{f} reaches {}: {s:?}",
                    p.name
                );
            }
        }
    }
}

#[test]
fn the_hosted_page_cannot_write_api_keys() {
    let all = dynamodb_statements();
    let key = partition_examples().into_iter().find(|p| p.name == "api_key").unwrap();
    assert!(key.pk.starts_with("K#"));
    for s in &all["hosted_page"] {
        let writes = s.actions.iter().any(|a| a != "GetItem");
        assert!(!(writes && admits(s, &key)), "{s:?}");
        for pattern in &s.leading_keys {
            assert!(
                !writes || !like(pattern, "K#"),
                "a write pattern that admits K#...: {pattern}"
            );
        }
    }
    let reach = reach(&all["hosted_page"]);
    assert_eq!(
        reach.keys().map(String::as_str).collect::<Vec<_>>(),
        ["DeleteItem", "GetItem", "PutItem", "Query"]
    );
    assert_eq!(reach["DeleteItem"], HOLD_INDEX.iter().copied().collect());
    assert!(!reach["PutItem"].contains("api_key"));
}

#[test]
fn the_authorizer_reads_only_key_items() {
    let all = dynamodb_statements();
    let statements = &all["authorizer"];
    for s in statements {
        assert_eq!(s.actions, ["GetItem"]);
        assert!(!s.on_index);
        for pattern in &s.leading_keys {
            assert!(pattern.starts_with("K#"), "{pattern}");
        }
    }
    let reach = reach(statements);
    assert_eq!(reach["GetItem"], BTreeSet::from(["api_key"]));
}

#[test]
fn only_sweep_index_entries_are_ever_deleted() {
    let all = dynamodb_statements();
    let retry = reach(&all["retry_webhooks"]);
    let deleted = &retry["DeleteItem"];
    assert!(!deleted.is_empty());
    let retry_index: BTreeSet<&str> = RETRY_INDEX.iter().copied().collect();
    assert_eq!(deleted, &retry_index);
    // A hold's end deletes its entry (the transitions and the hold sweep); a
    // refund's answer or cancel deletes its entry (the refund sweep too),
    // never the sweep's cursor.
    let hold_index: BTreeSet<&str> = HOLD_INDEX.iter().copied().collect();
    let refund_entry = BTreeSet::from(["refund_due"]);
    assert_eq!(reach(&all["sweep_refunds"])["DeleteItem"], refund_entry);
    // A fold deletes the buckets it moved to available (in its own
    // transaction), and the balance sweep the entries of folded balances.
    let folded = BTreeSet::from(["balance", "balance_shards", "balance_due"]);
    assert_eq!(reach(&all["sweep_balances"])["DeleteItem"], folded);
    // A payout's fold of its balance first; a payout's change moves its
    // entry in the payout index.
    let fold = BTreeSet::from(["balance", "balance_shards"]);
    let payout_entry = BTreeSet::from(["payout_due"]);
    for (f, statements) in &all {
        if f == "retry_webhooks" {
            continue;
        }
        if let Some(deleted) = reach(statements).get("DeleteItem") {
            assert!(
                [&hold_index, &refund_entry, &folded, &fold, &payout_entry].contains(&deleted),
                "{f} deletes {deleted:?}"
            );
        }
    }
}
