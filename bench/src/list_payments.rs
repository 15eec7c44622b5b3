//! `make bench`: what GET /v1/payments costs at 1,000 and at 100,000
//! payments in one account, side by side in one run.
//!
//! Two tables on the same DynamoDB Local, each with one measured account
//! (test mode) and the same noise (three other accounts and the account's
//! live mode, 1,000 payments each). For each scenario it reports the items
//! DynamoDB read (`ScannedCount`) and the read capacity it reported, from the
//! store, and the median and p90 latency of the request through the local
//! HTTP stack (authorizer, handler, DynamoDB Local), alternating between the
//! two sizes on every iteration so that machine noise hits both alike.

use std::time::{Duration, Instant};

use futures::StreamExt;
use paynectra::domain::{
    Amount, CaptureMethod, CreatedRange, Currency, Customer, CustomerId, ListWindow, Metadata, Mode, NewCustomer,
    NewPayment, Payment, PaymentFilter, PaymentId, PaymentStatus, Tenant,
};
use paynectra_tests::{Merchant, TestApi};

const BASE: i64 = 1_790_000_000;
const LIMIT: i64 = 20;

struct Fixture {
    api: TestApi,
    merchant: Merchant,
    tenant: Tenant,
    customer: CustomerId,
    size: usize,
    /// The id halfway down the list, for the deep page.
    middle: PaymentId,
}

fn payment(mode: Mode, i: usize, customer: Option<&CustomerId>) -> Payment {
    let usd = Currency::from_code("usd").unwrap();
    let new = NewPayment {
        amount: Amount::for_charge("amount", 1000 + (i % 5000) as i64, usd).unwrap(),
        currency: usd,
        customer_id: customer.cloned(),
        description: Some(format!("Order #{i}")),
        capture_method: CaptureMethod::Automatic,
        metadata: Metadata::default(),
        return_url: None,
        receipt_email: None,
    };
    Payment {
        status: PaymentStatus::ALL[i % 4],
        // Two payments per second: ties are part of the workload.
        ..Payment::create(new, mode, BASE + (i / 2) as i64)
    }
}

async fn seed(api: &TestApi, t: &Tenant, payments: Vec<Payment>) {
    let store = &api.app.store;
    let mut done = futures::stream::iter(
        payments
            .iter()
            .map(|p| store.insert(t, p, paynectra::store::Writes::NONE)),
    )
    .buffer_unordered(48);
    while let Some(r) = done.next().await {
        r.expect("seed payment");
    }
}

async fn fixture(size: usize) -> Fixture {
    let api = TestApi::spawn().await;
    let merchant = api.merchant("Measured").await;
    let tenant = Tenant::new(merchant.account_id.parse().unwrap(), Mode::Test);
    let customer = Customer::create(NewCustomer::default(), Mode::Test, BASE);
    api.app
        .store
        .insert(&tenant, &customer, paynectra::store::Writes::NONE)
        .await
        .unwrap();
    let started = Instant::now();
    let payments: Vec<Payment> = (0..size)
        .map(|i| payment(Mode::Test, i, (i % 3 == 0).then_some(&customer.id)))
        .collect();
    let mut sorted: Vec<&Payment> = payments.iter().collect();
    sorted.sort_by(|a, b| (b.created, b.id.as_str()).cmp(&(a.created, a.id.as_str())));
    let middle = sorted[size / 2].id.clone();
    seed(&api, &tenant, payments).await;
    for n in 0..3 {
        let other = api.merchant(&format!("Noise {n}")).await;
        let t = Tenant::new(other.account_id.parse().unwrap(), Mode::Test);
        seed(&api, &t, (0..1000).map(|i| payment(Mode::Test, i, None)).collect()).await;
    }
    let live = Tenant::new(tenant.account_id.clone(), Mode::Live);
    seed(&api, &live, (0..1000).map(|i| payment(Mode::Live, i, None)).collect()).await;
    eprintln!("seeded {size} payments (+4,000 noise) in {:.1?}", started.elapsed());
    Fixture {
        api,
        merchant,
        tenant,
        customer: customer.id,
        size,
        middle,
    }
}

struct Scenario {
    name: &'static str,
    query: fn(&Fixture) -> String,
    filter: fn(&Fixture) -> PaymentFilter,
    deep: bool,
}

/// One list request of `scenario` on `f`'s merchant: the URL and the answer.
async fn list(f: &Fixture, scenario: &Scenario) -> (String, reqwest::Response) {
    let url = f.api.url(&format!("/v1/payments?limit={LIMIT}{}", (scenario.query)(f)));
    let r = f
        .api
        .http
        .get(&url)
        .bearer_auth(&f.merchant.test_key)
        .send()
        .await
        .unwrap();
    (url, r)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let iterations: usize = std::env::var("BENCH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let sizes: Vec<usize> = std::env::var("BENCH_SIZES")
        .ok()
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().parse().expect("BENCH_SIZES: numbers"))
                .collect()
        })
        .unwrap_or_else(|| vec![1_000, 100_000]);
    let mut fixtures = Vec::new();
    for size in &sizes {
        fixtures.push(fixture(*size).await);
    }
    let scenarios = [
        Scenario {
            name: "first page",
            query: |_| String::new(),
            filter: |_| PaymentFilter::default(),
            deep: false,
        },
        Scenario {
            name: "deep page (starting_after the middle)",
            query: |f| format!("&starting_after={}", f.middle),
            filter: |_| PaymentFilter::default(),
            deep: true,
        },
        Scenario {
            name: "customer filter",
            query: |f| format!("&customer={}", f.customer),
            filter: |f| PaymentFilter {
                customer: Some(f.customer.clone()),
                ..Default::default()
            },
            deep: false,
        },
        Scenario {
            name: "status filter",
            query: |_| "&status=failed".into(),
            filter: |_| PaymentFilter {
                status: Some(PaymentStatus::Failed),
                ..Default::default()
            },
            deep: false,
        },
        Scenario {
            name: "created range (middle 10%)",
            query: |f| {
                format!(
                    "&created[gte]={}&created[lte]={}",
                    BASE + (f.size / 4) as i64 - (f.size / 40) as i64,
                    BASE + (f.size / 4) as i64 + (f.size / 40) as i64
                )
            },
            filter: |f| PaymentFilter {
                created: CreatedRange::new(
                    None,
                    Some(BASE + (f.size / 4) as i64 - (f.size / 40) as i64),
                    None,
                    Some(BASE + (f.size / 4) as i64 + (f.size / 40) as i64),
                )
                .unwrap(),
                ..Default::default()
            },
            deep: false,
        },
        Scenario {
            name: "status filter, deep page",
            query: |f| format!("&status=failed&starting_after={}", f.middle),
            filter: |_| PaymentFilter {
                status: Some(PaymentStatus::Failed),
                ..Default::default()
            },
            deep: true,
        },
    ];

    println!("GET /v1/payments?limit={LIMIT}: {iterations} requests per cell, sizes alternating every request\n");
    let header: Vec<String> = sizes.iter().map(|s| format!("{s} payments")).collect();
    println!(
        "| scenario | {} |",
        header
            .iter()
            .map(|h| format!("{h}: items read / RCU / queries+gets / median ms / p90 ms"))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    println!("|---|{}", "---|".repeat(sizes.len()));
    let mut ratios = Vec::new();
    for sc in &scenarios {
        let mut cells = Vec::new();
        let mut latencies: Vec<Vec<Duration>> = vec![Vec::new(); fixtures.len()];
        // Warm each path once.
        for f in &fixtures {
            let (url, r) = list(f, sc).await;
            assert_eq!(r.status(), 200, "{url}");
        }
        for _ in 0..iterations {
            for (i, f) in fixtures.iter().enumerate() {
                let started = Instant::now();
                let (_, r) = list(f, sc).await;
                let body = r.bytes().await.unwrap();
                latencies[i].push(started.elapsed());
                assert!(!body.is_empty());
            }
        }
        let mut medians = Vec::new();
        for (i, f) in fixtures.iter().enumerate() {
            let cursor = sc.deep.then(|| f.middle.clone());
            let window = ListWindow::new(Some(LIMIT), cursor, None).unwrap();
            let (page, stats) = f
                .api
                .app
                .store
                .list_payments(&f.tenant, &(sc.filter)(f), &window)
                .await
                .unwrap();
            assert_eq!(page.data.len(), LIMIT as usize, "{} at {}", sc.name, f.size);
            let lat = &mut latencies[i];
            lat.sort();
            let median = percentile(lat, 0.5);
            medians.push(median);
            cells.push(format!(
                "{} / {:.1} / {}+{} / {:.2} / {:.2}",
                stats.items_read,
                stats.read_capacity,
                stats.queries,
                stats.get_items,
                median,
                percentile(lat, 0.9)
            ));
        }
        if medians.len() == 2 {
            ratios.push((sc.name, medians[1] / medians[0]));
        }
        println!("| {} | {} |", sc.name, cells.join(" | "));
    }
    if !ratios.is_empty() {
        println!("\nMedian latency ratio, {} vs {} payments:", sizes[1], sizes[0]);
        for (name, r) in ratios {
            println!("- {name}: {r:.2}x");
        }
    }
}
