//! `bench-lambda [cold|overhead|throughput|all]` (`make bench`): what the
//! functions cost beyond the DynamoDB calls they make. See BENCHMARKS.md.
//!
//! - cold: every function's release binary, one fresh process per run,
//!   under a Runtime API stand-in: init (exec to the first poll) and the
//!   first request against DynamoDB Local, with and without the init-time
//!   connection warm-up, beside a hello-world `lambda_http` binary; the
//!   first request's DynamoDB calls replayed on a new connection; binary
//!   and zip sizes.
//! - overhead: every endpoint through the local HTTP stack against the same
//!   calls replayed raw; calls and consumed capacity per endpoint.
//! - throughput: create and get payment with 1, 4 and 16 clients.
//! - sdk: one GetItem by a bare HTTP client and by the SDK as configured.
//! - cold-tls (not in `all`): init with the root certificates of the whole
//!   system store against the bundle file alone (`SSL_CERT_FILE`).
//! - cold-secrets (not in `all`): init fetching both keys from Secrets
//!   Manager (the local one) against naming none.
//! - cold-builds (not in `all`): the binaries of `BENCH_BIN_DIR` against
//!   those of `BENCH_COMPARE_DIR` (two release profiles, say).
//!
//! `make bench-lambda` runs cold, overhead, sdk and throughput one by one,
//! each against a fresh DynamoDB Local (it slows down as it fills); `all`
//! runs them in one process against one, for quick looks.
//!
//! Environment: `PAYNECTRA_TEST_DYNAMODB` (DynamoDB Local's URL; `make
//! bench` starts one), `BENCH_BIN_DIR` (default `target/release`),
//! `BENCH_FUNCTIONS` (a comma list, default all), `BENCH_COLD_RUNS` (10),
//! `BENCH_WARM_INVOCATIONS` (3), `BENCH_OVERHEAD_ITERATIONS` (50),
//! `BENCH_THROUGHPUT_ROUNDS` (3), `BENCH_THROUGHPUT_SECONDS` (2).

mod cold;
#[path = "../operation.rs"]
mod operation;
mod overhead;
mod proxy;
mod runtime;
mod sdk;
mod throughput;
mod world;

use std::time::Instant;

fn bin_dir() -> std::path::PathBuf {
    std::env::var("BENCH_BIN_DIR")
        .map(Into::into)
        .unwrap_or_else(|_| world::repo_root().join("target/release"))
}

/// The experiments (`cold-tls`, `cold-builds`): every function's cold start
/// under each variant, side by side, without warm invocations.
async fn compare_variants(
    world: &world::World,
    proxy: &proxy::Proxy,
    twin: &mut proxy::Twin,
    functions: &[String],
    variants: &[cold::Variant],
    runs: usize,
) {
    let mut c = cold::Cold {
        bin_dir: bin_dir(),
        world,
        proxy,
        twin,
        warm_invocations: 0,
        log: std::fs::File::create(std::env::temp_dir().join("bench-lambda-functions.log")).expect("log"),
    };
    let results = c.measure(functions, variants, runs).await;
    cold::report_variants(&results, runs);
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let what = std::env::args().nth(1).unwrap_or_else(|| "all".into());
    if !matches!(
        what.as_str(),
        "cold" | "cold-tls" | "cold-secrets" | "cold-builds" | "overhead" | "throughput" | "sdk" | "all"
    ) {
        eprintln!("usage: bench-lambda [cold|cold-tls|cold-secrets|cold-builds|overhead|throughput|sdk|all]");
        std::process::exit(2);
    }
    let ddb = std::env::var("PAYNECTRA_TEST_DYNAMODB")
        .expect("PAYNECTRA_TEST_DYNAMODB: DynamoDB Local's URL (make bench sets it)");
    let all = what == "all";
    let functions = cold::functions();
    let started = Instant::now();
    println!(
        "bench-lambda {what}: {} cores, load average before: {}",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
    );

    if all || what.starts_with("cold") || what == "overhead" {
        let proxy = proxy::Proxy::start(&ddb, true).await;
        let hop = proxy::Proxy::start(&ddb, false).await;
        let world = world::World::start(&proxy.url).await;
        let mut twin = proxy::Twin::new(&hop.url, world.table());
        twin.catch_up(&proxy).await;

        if all || what == "cold" {
            let bin_dir = bin_dir();
            let runs = env_or("BENCH_COLD_RUNS", 10);
            let log_path = std::env::temp_dir().join("bench-lambda-functions.log");
            let log = std::fs::File::create(&log_path).expect("function log");
            eprintln!(
                "cold start: {} functions, {runs} runs each; their logs in {}",
                functions.len(),
                log_path.display()
            );
            let mut names = functions.clone();
            names.push(cold::HELLO.into());
            let sizes = cold::sizes(&bin_dir, &names);
            let mut c = cold::Cold {
                bin_dir,
                world: &world,
                proxy: &proxy,
                twin: &mut twin,
                warm_invocations: env_or("BENCH_WARM_INVOCATIONS", 3),
                log,
            };
            let results = c.measure(&functions, &cold::warm_up_variants(), runs).await;
            cold::report(&results, &sizes, runs);
        }
        if what == "cold-tls" {
            // The TLS setup: root certificates from the whole system store
            // (the bundle file and every file of the certificate
            // directory, as rustls-native-certs finds them) or from the
            // bundle file alone (SSL_CERT_FILE).
            let runs = env_or("BENCH_COLD_RUNS", 10);
            let bundle: &'static str = Box::leak(
                std::env::var("BENCH_CERT_FILE")
                    .unwrap_or_else(|_| "/etc/ssl/certs/ca-certificates.crt".into())
                    .into_boxed_str(),
            );
            let variants = vec![
                cold::Variant {
                    label: "system store (default)",
                    env: vec![],
                    bin_dir: None,
                },
                cold::Variant {
                    label: "SSL_CERT_FILE (bundle only)",
                    env: vec![("SSL_CERT_FILE", bundle)],
                    bin_dir: None,
                },
            ];
            compare_variants(&world, &proxy, &mut twin, &functions, &variants, runs).await;
        }
        if what == "cold-secrets" {
            // What fetching the keys from Secrets Manager at init costs:
            // both secrets (GetSecretValue, concurrently) against none.
            let runs = env_or("BENCH_COLD_RUNS", 10);
            let variants = vec![
                cold::Variant {
                    label: "keys from Secrets Manager",
                    env: vec![],
                    bin_dir: None,
                },
                cold::Variant {
                    label: "no secrets named",
                    env: vec![
                        ("CARD_FINGERPRINT_KEY_SECRET", ""),
                        ("REQUEST_FINGERPRINT_KEY_SECRET", ""),
                        ("WEBHOOK_SECRET_KEY_SECRET", ""),
                    ],
                    bin_dir: None,
                },
            ];
            compare_variants(&world, &proxy, &mut twin, &functions, &variants, runs).await;
        }
        if what == "cold-builds" {
            // Two builds of the same functions (say two release profiles),
            // side by side: BENCH_BIN_DIR against BENCH_COMPARE_DIR.
            let runs = env_or("BENCH_COLD_RUNS", 10);
            let other = std::env::var("BENCH_COMPARE_DIR").expect("BENCH_COMPARE_DIR: the other build's binaries");
            let variants = vec![
                cold::Variant {
                    label: "BENCH_BIN_DIR",
                    env: vec![],
                    bin_dir: None,
                },
                cold::Variant {
                    label: "BENCH_COMPARE_DIR",
                    env: vec![],
                    bin_dir: Some(other.into()),
                },
            ];
            compare_variants(&world, &proxy, &mut twin, &functions, &variants, runs).await;
        }
        if all || what == "overhead" {
            let iterations = env_or("BENCH_OVERHEAD_ITERATIONS", 50);
            let endpoints = overhead::endpoints(&functions);
            let samples = overhead::measure(&world, &proxy, &mut twin, &endpoints, iterations).await;
            overhead::report(&samples, iterations);
        }
    }
    if all || what == "throughput" || what == "sdk" {
        let world = world::World::start(&ddb).await;
        if all || what == "sdk" {
            sdk::measure(&ddb, world.table(), env_or("BENCH_SDK_CALLS", 2000)).await;
            sdk::measure_event_read(&world, env_or("BENCH_SDK_CALLS", 2000) / 4).await;
        }
    }
    if all || what == "throughput" {
        let world = world::World::start(&ddb).await;
        let rounds = env_or("BENCH_THROUGHPUT_ROUNDS", 3);
        let seconds = env_or("BENCH_THROUGHPUT_SECONDS", 2.0);
        let cells = throughput::measure(&world, &[1, 4, 16], rounds, seconds).await;
        throughput::report(&cells, rounds, seconds);
    }
    println!(
        "\nTook {:.0} s; load average after: {}",
        started.elapsed().as_secs_f64(),
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
    );
}
