//! `template.yaml` against the code: the table, the functions, the fixtures
//! and the gateway responses must not drift apart.

use std::collections::{BTreeMap, BTreeSet};

use paynectra::{http::ApiError, store::schema};
use paynectra_local::Template;
use paynectra_tests::repo_root;
use serde_yaml_ng::Value;

/// Leading keys that name only balance partitions (`T#*#balance`, and its
/// shards `#s?`, `#s??`).
fn balance_only(leading: &Value) -> bool {
    leading.as_sequence().is_some_and(|k| {
        k.iter()
            .all(|p| p.as_str().is_some_and(|p| p.starts_with("T#*#balance")))
    })
}

fn template() -> Value {
    serde_yaml_ng::from_str(&std::fs::read_to_string(repo_root().join("template.yaml")).unwrap()).unwrap()
}

fn key_schema(v: &Value) -> (String, String) {
    let mut hash = String::new();
    let mut range = String::new();
    for k in v.as_sequence().unwrap() {
        let name = k["AttributeName"].as_str().unwrap().to_owned();
        match k["KeyType"].as_str().unwrap() {
            "HASH" => hash = name,
            "RANGE" => range = name,
            other => panic!("key type {other}"),
        }
    }
    (hash, range)
}

#[test]
fn table_matches_the_store_schema() {
    let t = template();
    let props = &t["Resources"]["Table"]["Properties"];
    assert_eq!(props["BillingMode"], "PAY_PER_REQUEST");
    let (pk, sk) = key_schema(&props["KeySchema"]);
    assert_eq!((pk.as_str(), sk.as_str()), schema::TABLE_KEY);
    let gsis: BTreeMap<String, (String, String)> = props["GlobalSecondaryIndexes"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|g| {
            assert_eq!(g["Projection"]["ProjectionType"], "ALL");
            (g["IndexName"].as_str().unwrap().to_owned(), key_schema(&g["KeySchema"]))
        })
        .collect();
    let expected: BTreeMap<String, (String, String)> = schema::GSIS
        .iter()
        .map(|(n, pk, sk)| (n.to_string(), (pk.to_string(), sk.to_string())))
        .collect();
    assert_eq!(gsis, expected);
    let attrs: BTreeSet<&str> = props["AttributeDefinitions"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| a["AttributeName"].as_str().unwrap())
        .collect();
    let mut want: BTreeSet<&str> = [schema::TABLE_KEY.0, schema::TABLE_KEY.1].into();
    want.extend(schema::GSIS.iter().flat_map(|(_, pk, sk)| [*pk, *sk]));
    assert_eq!(attrs, want);
    assert_eq!(props["TimeToLiveSpecification"]["AttributeName"], schema::TTL_ATTRIBUTE);
}

fn binary_of(res: &Value) -> &str {
    res["Metadata"]["BuildProperties"]["Binary"].as_str().unwrap_or("")
}

#[test]
fn every_function_is_in_the_template_with_a_fixture_and_least_privilege() {
    let t = template();
    let mut in_template = BTreeSet::new();
    for (name, res) in t["Resources"].as_mapping().unwrap() {
        if res["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let name = name.as_str().unwrap();
        assert_eq!(res["Metadata"]["BuildMethod"], "rust-cargolambda", "{name}");
        let binary = res["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap()
            .to_owned();
        let policies = res["Properties"]["Policies"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{name} has no policies"));
        for p in policies {
            let statements = p["Statement"]
                .as_sequence()
                .unwrap_or_else(|| panic!("{name}: only inline statements"));
            for s in statements {
                let actions: Vec<&str> = match &s["Action"] {
                    Value::String(a) => vec![a.as_str()],
                    Value::Sequence(a) => a.iter().map(|x| x.as_str().unwrap()).collect(),
                    other => panic!("{name}: Action {other:?}"),
                };
                for a in actions {
                    // Receiving and deleting: the worker's queue mapping only (on its queue, below).
                    let polls = binary_of(res) == "attempt_webhooks"
                        && matches!(a, "sqs:ReceiveMessage" | "sqs:DeleteMessage" | "sqs:GetQueueAttributes");
                    // Sending mail: the fan-out's live receipts, from the one
                    // sender the stack names.
                    let mails = binary_of(res) == "deliver_webhooks"
                        && a == "ses:SendEmail"
                        && matches!(&s["Condition"]["StringEquals"]["ses:FromAddress"],
                            Value::Tagged(t) if t.tag == "!Ref" && t.value.as_str() == Some("ReceiptSender"));
                    let allowed = a.starts_with("dynamodb:")
                        || a == "sqs:SendMessage"
                        || a == "secretsmanager:GetSecretValue"
                        || polls
                        || mails;
                    assert!(allowed && !a.contains('*'), "{name}: {a}");
                    assert!(!matches!(a, "dynamodb:Scan" | "dynamodb:DeleteTable"), "{name}: {a}");
                    // Nothing is deleted but sweep-index entries: handled webhook
                    // retries (the retry sweep), ended holds (in the hold's end's
                    // transaction, or by the hold sweep), answered refunds' entries
                    // (in the answer's transaction, or by the refund sweep), folded
                    // balances' entries and the buckets a fold moved to available (in the
                    // fold's transaction), moved payouts' entries (in the change's).
                    let leading = &s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"];
                    let only = |prefix: &str| leading.as_sequence().is_some_and(|k| k.len() == 1 && k[0] == prefix);
                    assert!(
                        a != "dynamodb:DeleteItem"
                            || (binary_of(res) == "retry_webhooks" && only("WHRETRY#*"))
                            || only("HOLD#*")
                            || only("REFUND#*#*")
                            || only("AVAIL#*#*")
                            || only("PAYOUT#*#*")
                            || balance_only(leading),
                        "{name}: {a}"
                    );
                }
            }
        }
        assert!(
            repo_root().join("events").join(format!("{binary}.json")).exists(),
            "events/{binary}.json exists for sam local invoke"
        );
        in_template.insert(binary);
    }
    let on_disk: BTreeSet<String> = std::fs::read_dir(repo_root().join("functions/src/bin"))
        .unwrap()
        .filter_map(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .strip_suffix(".rs")
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(
        in_template, on_disk,
        "functions/src/bin/* and the template's functions are the same set"
    );
}

#[test]
fn gateway_responses_use_the_api_error_shape() {
    let t = Template::load(&repo_root().join("template.yaml")).unwrap();
    let r = &t.gateway_responses;
    for kind in ["UNAUTHORIZED", "ACCESS_DENIED"] {
        assert_eq!(r[kind].status, Some(401), "{kind}");
        assert_eq!(r[kind].body, ApiError::unauthorized().body(), "{kind}");
    }
    for kind in ["AUTHORIZER_FAILURE", "DEFAULT_5XX"] {
        assert_eq!(r[kind].body, ApiError::internal().body(), "{kind}");
    }
    for (kind, g) in r {
        let v: serde_json::Value = serde_json::from_str(&g.body).unwrap_or_else(|e| panic!("{kind}: {e}"));
        let keys: BTreeSet<&str> = v["error"].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, BTreeSet::from(["code", "message", "param", "type"]), "{kind}");
    }
    assert_eq!(r["THROTTLED"].status, Some(429));
    // API Gateway's throttle and DynamoDB's (mapped by the handlers) answer alike.
    assert_eq!(r["THROTTLED"].body, ApiError::rate_limited().body());
    assert_eq!(r["MISSING_AUTHENTICATION_TOKEN"].status, Some(404));
    assert_eq!(t.authorizers["ApiKeyAuthorizer"].function, "authorizer");
    // Past an account's limit: the 429, and when to retry.
    assert_eq!(r["THROTTLED"].headers, [("Retry-After".to_owned(), "1".to_owned())]);
    // A usage key API Gateway does not know is our missing provisioning.
    assert_eq!(r["INVALID_API_KEY"].status, Some(500));
    assert_eq!(r["INVALID_API_KEY"].body, ApiError::internal().body());
}

/// Per-account rate limits: every method with an authorizer requires an API
/// key, which the authorizer answers (key source AUTHORIZER); the API's
/// authorizer caches per key and method (a read's usage key is never
/// reused for a write); the hosted page has its own uncached authorizer;
/// only the static assets (paynectra.js, the dashboard's page, script and
/// style sheet) have neither, and method throttles of their own.
#[test]
fn every_authorized_method_counts_against_a_usage_key() {
    let t = Template::load(&repo_root().join("template.yaml")).unwrap();
    assert_eq!(t.api_key_source, "AUTHORIZER");
    for r in &t.routes {
        let what = format!("{} {}", r.method, r.path);
        if [
            "/pay/paynectra.js",
            "/dashboard",
            "/dashboard/{asset}",
            "/receipts/{token}",
        ]
        .contains(&r.path.as_str())
        {
            assert_eq!((r.authorizer.as_deref(), r.api_key_required), (None, false), "{what}");
            continue;
        }
        assert!(r.authorizer.is_some() && r.api_key_required, "{what}");
        assert!(t.usage_plan_applies(r), "{what}");
        let expected = if r.path == paynectra_functions::authorizer::HOSTED_PAGE_RESOURCE {
            "PageAuthorizer"
        } else {
            "ApiKeyAuthorizer"
        };
        assert_eq!(r.authorizer.as_deref(), Some(expected), "{what}");
    }
    let raw = template();
    let auth = &raw["Resources"]["Api"]["Properties"]["Auth"];
    assert_eq!(auth["ApiKeyRequired"], true);
    assert_eq!(
        auth["AddApiKeyRequiredToCorsPreflight"], false,
        "preflights need no key"
    );
    let api_identity = &auth["Authorizers"]["ApiKeyAuthorizer"]["Identity"];
    assert_eq!(
        api_identity["Headers"],
        serde_yaml_ng::to_value(["Authorization"]).unwrap()
    );
    assert_eq!(
        api_identity["Context"],
        serde_yaml_ng::to_value(["httpMethod"]).unwrap()
    );
    let page = &auth["Authorizers"]["PageAuthorizer"];
    assert_eq!(
        page["Identity"]["ReauthorizeEvery"], 0,
        "uncached: it runs without a key too"
    );
    assert!(t.authorizers["PageAuthorizer"].identity_headers.is_empty());
    assert_eq!(reference_of(&page["FunctionArn"], "!GetAtt"), "AuthorizerFunction.Arn");
    let outputs = &raw["Outputs"];
    assert_eq!(reference(&outputs["RestApiId"]["Value"]), "Api");
    assert_eq!(reference(&outputs["StageName"]["Value"]), "Api.Stage");
}

/// The template's usage plans are the domain's defaults, named as the admin
/// tool looks plans up, on the API's stage.
#[test]
fn default_usage_plans_are_the_domain_defaults() {
    use paynectra::domain::{
        limits::{default_limits, plan_name, ANONYMOUS_PAGE_LIMITS},
        Mode,
    };
    let t = template();
    let live = default_limits(Mode::Live);
    let test = default_limits(Mode::Test);
    assert_eq!(
        test.read, ANONYMOUS_PAGE_LIMITS,
        "the anonymous page key shares the test plan"
    );
    for (plan, limits) in [
        ("LiveDefaultUsagePlan", [live.read, live.write]),
        ("TestDefaultUsagePlan", [test.read, test.write]),
    ] {
        let p = &t["Resources"][plan];
        assert_eq!(p["Type"], "AWS::ApiGateway::UsagePlan", "{plan}");
        let props = &p["Properties"];
        for l in limits {
            assert_eq!(props["Throttle"]["RateLimit"], u64::from(l.rate()), "{plan}");
            assert_eq!(props["Throttle"]["BurstLimit"], u64::from(l.burst()), "{plan}");
            assert_eq!(
                reference_of(&props["UsagePlanName"], "!Sub"),
                plan_name("${Api}", "${StageName}", l),
                "{plan}"
            );
        }
        let stages = props["ApiStages"].as_sequence().unwrap();
        assert_eq!(stages.len(), 1, "{plan}");
        assert_eq!(reference(&stages[0]["ApiId"]), "Api");
        assert_eq!(reference(&stages[0]["Stage"]), "Api.Stage");
    }
}

/// The scalar under a tag (`!Sub "..."`, `!GetAtt X.Arn`).
fn reference_of(v: &Value, tag: &str) -> String {
    match v {
        Value::Tagged(t) if t.tag == tag => t.value.as_str().unwrap_or("").to_owned(),
        other => panic!("not a {tag}: {other:?}"),
    }
}

/// `openapi.yaml` describes exactly the routes `template.yaml` serves.
#[test]
fn openapi_paths_equal_the_template_routes() {
    let spec: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(repo_root().join("openapi.yaml")).unwrap()).unwrap();
    let mut documented = BTreeSet::new();
    for (path, ops) in spec["paths"].as_mapping().unwrap() {
        for (method, _) in ops.as_mapping().unwrap() {
            documented.insert(format!(
                "{} {}",
                method.as_str().unwrap().to_uppercase(),
                path.as_str().unwrap()
            ));
        }
    }
    let template = Template::load(&repo_root().join("template.yaml")).unwrap();
    let served: BTreeSet<String> = template
        .routes
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(documented, served);
}

/// The confirm body's test payment methods are exactly `TestCard::ALL`.
#[test]
fn openapi_test_payment_methods_equal_the_test_cards() {
    let spec: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(repo_root().join("openapi.yaml")).unwrap()).unwrap();
    let pm = &spec["paths"]["/v1/payments/{id}/confirm"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"]["properties"]["payment_method"];
    let documented: Vec<&str> = pm["anyOf"][1]["enum"]
        .as_sequence()
        .unwrap_or_else(|| panic!("no alias enum in {pm:?}"))
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let known: Vec<&str> = paynectra::domain::TestCard::ALL.iter().map(|c| c.alias()).collect();
    assert_eq!(documented, known);
}

/// The API's access logs: JSON lines with what an operator needs to follow a
/// request (its id, the account, the route, the outcome and its timings),
/// and nothing a URL carries: the hosted page's query holds the publishable
/// key and the client secret, so only the resource path is logged.
#[test]
fn access_logs_are_json_without_paths_or_query_strings_and_expire() {
    let t = template();
    let setting = &t["Resources"]["Api"]["Properties"]["AccessLogSetting"];
    let format = setting["Format"].as_str().expect("the API has an access log format");
    let fields: serde_json::Value = serde_json::from_str(format).expect("the format is one JSON object");
    let fields = fields.as_object().unwrap();
    for (field, variable) in [
        ("requestId", "$context.requestId"),
        ("accountId", "$context.authorizer.account_id"),
        ("route", "$context.resourcePath"),
        ("method", "$context.httpMethod"),
        ("status", "$context.status"),
        ("latency", "$context.responseLatency"),
        ("integrationLatency", "$context.integrationLatency"),
    ] {
        assert_eq!(fields.get(field).and_then(|v| v.as_str()), Some(variable), "{field}");
    }
    for value in fields.values() {
        let v = value
            .as_str()
            .expect("every field is a quoted string (a missing value stays valid JSON)");
        assert!(v.starts_with("$context.") && !v.contains(' '), "{v}");
    }
    let lower = format.to_lowercase();
    for forbidden in [
        "$context.path",
        "querystring",
        "$input",
        "$method.request",
        "$context.requestoverride",
        "$context.identity.apikey",
        "authorization",
    ] {
        assert!(!lower.contains(forbidden), "the access log format has {forbidden}");
    }
    // The destination: a log group of the template that expires its lines.
    let Value::Tagged(arn) = &setting["DestinationArn"] else {
        panic!("DestinationArn: {:?}", setting["DestinationArn"]);
    };
    let group = arn.value.as_str().unwrap().strip_suffix(".Arn").unwrap();
    let group = &t["Resources"][group];
    assert_eq!(group["Type"], "AWS::Logs::LogGroup");
    let days = group["Properties"]["RetentionInDays"]
        .as_u64()
        .expect("a retention period");
    assert!((90..=731).contains(&days), "{days} days");
}

/// `!Ref Name` as `Name`.
fn reference(v: &Value) -> String {
    reference_of(v, "!Ref")
}

/// The deployment's keys are Secrets Manager secrets the template generates:
/// no function's environment holds a key, and each function names, and may
/// read, exactly the secrets its code uses: the card fingerprint key only
/// the two card functions, the request fingerprint key every POST function
/// (idempotency), the webhook secret key the three that seal or sign.
#[test]
fn keys_live_in_secrets_manager_and_each_function_reads_only_its_own() {
    let t = template();
    let resources = t["Resources"].as_mapping().unwrap();
    for secret in [
        "CardFingerprintKeySecret",
        "RequestFingerprintKeySecret",
        "WebhookSecretKeySecret",
    ] {
        let r = &t["Resources"][secret];
        assert_eq!(r["Type"], "AWS::SecretsManager::Secret", "{secret}");
        assert!(
            r["Properties"]["GenerateSecretString"]["PasswordLength"]
                .as_u64()
                .unwrap()
                >= 32,
            "{secret}: generated, 32+ characters"
        );
    }
    let plaintext = ["CARD_FINGERPRINT_KEY", "REQUEST_FINGERPRINT_KEY", "WEBHOOK_SECRET_KEY"];
    let globals = &t["Globals"]["Function"]["Environment"]["Variables"];
    assert!(plaintext.iter().all(|k| globals.get(k).is_none()), "no key in Globals");
    assert!(t["Parameters"].get("CardFingerprintKey").is_none() && t["Parameters"].get("WebhookSecretKey").is_none());
    let card = ["create_payment_method", "confirm_payment"];
    // Sealing (creation) and signing (the worker): the stream consumer and
    // the sweep make no attempt, and have no key.
    let webhook = ["create_webhook_endpoint", "attempt_webhooks"];
    let mut checked = 0;
    for (name, res) in resources {
        if res["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let name = name.as_str().unwrap();
        let binary = binary_of(res);
        let posts = res["Properties"]["Events"]
            .as_mapping()
            .is_some_and(|events| events.values().any(|e| e["Properties"]["Method"] == "post"));
        let mut expected = BTreeSet::new();
        if card.contains(&binary) {
            expected.insert("CardFingerprintKeySecret".to_owned());
        }
        if posts {
            expected.insert("RequestFingerprintKeySecret".to_owned());
        }
        if webhook.contains(&binary) {
            expected.insert("WebhookSecretKeySecret".to_owned());
        }
        let env = &res["Properties"]["Environment"]["Variables"];
        assert!(
            plaintext.iter().all(|k| env.get(k).is_none()),
            "{name}: a key in its environment"
        );
        let named: BTreeSet<String> = env
            .as_mapping()
            .map(|vars| {
                vars.iter()
                    .filter(|(k, _)| k.as_str().unwrap().ends_with("_SECRET"))
                    .map(|(_, v)| reference(v))
                    .collect()
            })
            .unwrap_or_default();
        let mut readable = BTreeSet::new();
        for p in res["Properties"]["Policies"].as_sequence().unwrap() {
            for st in p["Statement"].as_sequence().unwrap() {
                let actions = match &st["Action"] {
                    Value::Sequence(a) => a.iter().map(|x| x.as_str().unwrap().to_owned()).collect(),
                    Value::String(a) => vec![a.clone()],
                    _ => vec![],
                };
                if actions.iter().any(|a| a.starts_with("secretsmanager:")) {
                    assert_eq!(actions, ["secretsmanager:GetSecretValue"], "{name}");
                    for r in st["Resource"].as_sequence().expect("a list of !Ref") {
                        readable.insert(reference(r));
                    }
                }
            }
        }
        assert_eq!(named, expected, "{name}: the secrets its environment names");
        assert_eq!(readable, expected, "{name}: the secrets its role may read");
        checked += 1;
    }
    assert_eq!(checked, 49);
}

/// `!GetAtt Name.Arn` (or `!Ref Name`) as `Name`.
fn resource_named(v: &Value) -> String {
    match v {
        Value::Tagged(t) => {
            let s = t.value.as_str().unwrap_or("");
            s.strip_suffix(".Arn").unwrap_or(s).to_owned()
        }
        other => panic!("not a !GetAtt or !Ref: {other:?}"),
    }
}

/// Webhook delivery's queues as the code assumes them: FIFO lanes with
/// deduplication per message group, a visibility timeout of 6x the
/// worker's timeout, five receives before the dead-letter queue (FIFO too,
/// 14 days, encrypted), the worker's mapping (batches of ten, partial
/// failures, the concurrency the local stack emulates), who may send and
/// receive, and the queue URLs each function's environment names.
#[test]
fn webhook_queues_and_their_mapping() {
    let t = template();
    let r = &t["Resources"];
    let queue = &r["WebhookDeliveryQueue"]["Properties"];
    let dlq = &r["WebhookDeadLetterQueue"]["Properties"];
    for q in [queue, dlq] {
        assert_eq!(q["FifoQueue"], true);
        assert_eq!(q["DeduplicationScope"], "messageGroup");
        assert_eq!(q["FifoThroughputLimit"], "perMessageGroupId");
        assert_eq!(q["MessageRetentionPeriod"], 1_209_600);
        assert_eq!(q["SqsManagedSseEnabled"], true);
    }
    let worker = &r["AttemptWebhooksFunction"]["Properties"];
    let timeout = worker["Timeout"].as_u64().unwrap();
    assert!(queue["VisibilityTimeout"].as_u64().unwrap() >= 6 * timeout);
    let redrive = &queue["RedrivePolicy"];
    assert_eq!(
        resource_named(&redrive["deadLetterTargetArn"]),
        "WebhookDeadLetterQueue"
    );
    assert_eq!(
        redrive["maxReceiveCount"].as_u64(),
        Some(u64::from(paynectra_local::queue::MAX_RECEIVES))
    );
    let mapping = &r["AttemptWebhooksMapping"]["Properties"];
    assert_eq!(reference(&mapping["FunctionName"]), "AttemptWebhooksFunction");
    assert_eq!(resource_named(&mapping["EventSourceArn"]), "WebhookDeliveryQueue");
    assert_eq!(mapping["BatchSize"], 10);
    assert_eq!(mapping["FunctionResponseTypes"][0], "ReportBatchItemFailures");
    assert_eq!(
        mapping["ScalingConfig"]["MaximumConcurrency"].as_u64(),
        Some(paynectra_local::queue::MAX_CONCURRENCY as u64)
    );
    // No SQS event on the worker: SAM would attach a policy that reaches every queue.
    assert!(
        worker["Events"].is_null(),
        "the worker's mapping is declared on its own"
    );

    // Who sends where, who receives; and the URLs the environment names.
    let mut sends = BTreeMap::new();
    let mut receives = BTreeMap::new();
    for (name, res) in r.as_mapping().unwrap() {
        if res["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let binary = binary_of(res).to_owned();
        for p in res["Properties"]["Policies"].as_sequence().unwrap() {
            for st in p["Statement"].as_sequence().unwrap() {
                let actions: Vec<String> = match &st["Action"] {
                    Value::Sequence(a) => a.iter().map(|x| x.as_str().unwrap().to_owned()).collect(),
                    Value::String(a) => vec![a.clone()],
                    _ => vec![],
                };
                if !actions.iter().any(|a| a.starts_with("sqs:")) {
                    continue;
                }
                let resources: Vec<String> = match &st["Resource"] {
                    Value::Sequence(rs) => rs.iter().map(resource_named).collect(),
                    other => vec![resource_named(other)],
                };
                let into = if actions == ["sqs:SendMessage"] {
                    &mut sends
                } else {
                    &mut receives
                };
                into.entry(binary.clone())
                    .or_insert_with(BTreeSet::new)
                    .extend(resources);
            }
        }
        let env = &res["Properties"]["Environment"]["Variables"];
        for (var, queue) in [
            ("WEBHOOK_QUEUE_URL", "WebhookDeliveryQueue"),
            ("WEBHOOK_DEAD_LETTER_QUEUE_URL", "WebhookDeadLetterQueue"),
        ] {
            if let Some(v) = env.get(var) {
                assert_eq!(reference(v), queue, "{name:?}: {var}");
            }
        }
    }
    let set = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(
        sends,
        BTreeMap::from([
            (
                "deliver_webhooks".to_owned(),
                set(&[
                    "WebhookDeliveryQueue",
                    "WebhookDeadLetterQueue",
                    "DeliveryDeadLetterQueue"
                ])
            ),
            ("attempt_webhooks".to_owned(), set(&["WebhookDeliveryQueue"])),
            ("retry_webhooks".to_owned(), set(&["WebhookDeliveryQueue"])),
        ])
    );
    assert_eq!(
        receives,
        BTreeMap::from([("attempt_webhooks".to_owned(), set(&["WebhookDeliveryQueue"]))])
    );
}

/// Every function of the template is one the local stack runs (an HTTP
/// route, the authorizer, or a background function of `local/src/functions.rs`).
#[test]
fn the_local_stack_knows_every_function() {
    let t = template();
    let in_template: BTreeSet<&str> = t["Resources"]
        .as_mapping()
        .unwrap()
        .values()
        .filter(|res| res["Type"] == "AWS::Serverless::Function")
        .map(binary_of)
        .collect();
    assert_eq!(in_template, paynectra_local::function_names());
}

/// The references (`!Ref X`, `!GetAtt X.Y`, `${X}`/`${X.Y}` in a `!Sub`) of
/// a value, as resource or parameter names.
fn names_referenced(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Tagged(t) => {
            let tag = t.tag.to_string();
            match (tag.trim_start_matches('!'), t.value.as_str()) {
                ("Ref" | "GetAtt", Some(s)) => {
                    out.insert(s.split('.').next().unwrap().to_owned());
                }
                ("Sub", Some(s)) => {
                    for part in s.split("${").skip(1) {
                        let name = part.split('}').next().unwrap();
                        out.insert(name.split('.').next().unwrap().to_owned());
                    }
                }
                _ => names_referenced(&t.value, out),
            }
        }
        Value::Sequence(s) => s.iter().for_each(|v| names_referenced(v, out)),
        Value::Mapping(m) => m.values().for_each(|v| names_referenced(v, out)),
        _ => {}
    }
}

/// The alarms the README's operators' table describes: each exists,
/// notifies AlarmTopic when it fires and when it clears, and watches
/// resources of this stack; the dashboard shows every alarm.
#[test]
fn every_alarm_notifies_the_topic_and_the_dashboard_shows_it() {
    let t = template();
    let r = t["Resources"].as_mapping().unwrap();
    let alarms: BTreeSet<String> = r
        .iter()
        .filter(|(_, v)| v["Type"].as_str() == Some("AWS::CloudWatch::Alarm"))
        .map(|(k, _)| k.as_str().unwrap().to_owned())
        .collect();
    let expected: BTreeSet<String> = [
        "Api5xxRateAlarm",
        "DynamoDbThrottleAlarm",
        "LambdaThrottleAlarm",
        "WebhookDeadLettersAlarm",
        "StreamFailuresAlarm",
        "StreamIteratorAgeAlarm",
        "DeliveryBacklogAlarm",
        "RetrySweepAlarm",
    ]
    .map(String::from)
    .into();
    assert_eq!(alarms, expected);
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let known: BTreeSet<String> = r
        .keys()
        .chain(t["Parameters"].as_mapping().unwrap().keys())
        .map(|k| k.as_str().unwrap().to_owned())
        .chain(["AWS::StackName".to_owned(), "AWS::Region".to_owned()])
        .collect();
    for name in &alarms {
        let p = &r[name.as_str()]["Properties"];
        for actions in ["AlarmActions", "OKActions"] {
            let targets: Vec<String> = p[actions].as_sequence().unwrap().iter().map(reference).collect();
            assert_eq!(targets, ["AlarmTopic"], "{name} {actions}");
        }
        assert_eq!(p["TreatMissingData"].as_str(), Some("notBreaching"), "{name}");
        let mut refs = BTreeSet::new();
        names_referenced(p, &mut refs);
        refs.remove("AlarmTopic");
        // Lambda's throttles are the AWS account's (every function shares its concurrency).
        if name != "LambdaThrottleAlarm" {
            assert!(!refs.is_empty(), "{name} watches nothing of this stack");
        }
        for reference in &refs {
            assert!(
                known.contains(reference),
                "{name} refers to {reference}, which is not in the template"
            );
        }
        assert!(
            readme.contains(&format!("| `{name}` |")),
            "{name} is not in the README's alarm table"
        );
    }
    let mut shown = BTreeSet::new();
    names_referenced(&r["Dashboard"]["Properties"]["DashboardBody"], &mut shown);
    for name in &alarms {
        assert!(shown.contains(name), "the dashboard does not show {name}");
    }
    for reference in &shown {
        assert!(
            known.contains(reference),
            "the dashboard refers to {reference}, which is not in the template"
        );
    }
    let body = reference_of(&r["Dashboard"]["Properties"]["DashboardBody"], "!Sub");
    let widgets: serde_json::Value = serde_json::from_str(&body).expect("the dashboard body is JSON");
    assert!(widgets["widgets"].as_array().is_some_and(|w| w.len() >= 8));
}
