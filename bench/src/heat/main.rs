//! `bench-heat`: where every write and read lands, per partition, and what
//! that makes of each partition at 5,000 payments/s (BENCHMARKS.md,
//! "Partition heat").
//!
//! The whole local stack runs in this process (`TestApi::spawn_with_webhooks`:
//! the API, the stream consumer, the delivery workers on moto's SQS, the
//! retry sweep) on a clock the workload moves, over DynamoDB Local reached
//! through the ledger's proxy. Knobs (environment):
//!
//! - `BENCH_HEAT_MERCHANTS` (200): merchants simulated, one of them the big one;
//! - `BENCH_HEAT_PAYMENTS` (1000): payments, 40% the big merchant's;
//! - `BENCH_HEAT_SEED` (16): the workload's random choices;
//! - `BENCH_HEAT_TARGET_MERCHANTS` (10000): merchants the projection scales to;
//! - `BENCH_HEAT_CONCURRENCY` (8): payments in flight;
//! - `BENCH_HEAT_BIG_SHARDS` (64): the big merchant's list shard count (1:
//!   unsharded, as before the sharding).
//!
//! Needs `PAYNECTRA_TEST_DYNAMODB` and `PAYNECTRA_TEST_MOTO` (scripts/bench.sh).

mod ledger;
#[path = "../operation.rs"]
mod operation;
mod proxy;
mod report;
mod workload;

#[tokio::main]
async fn main() {
    let cfg = workload::Config::from_env();
    let upstream = paynectra_tests::endpoint();
    let proxy = proxy::Proxy::start(&upstream, ledger::Schema::paynectra()).await;
    // The test stack reaches DynamoDB where this names: the proxy. (Edition
    // 2021: set before any other task reads it.)
    std::env::set_var("PAYNECTRA_TEST_DYNAMODB", &proxy.url);
    let started = std::time::Instant::now();
    let run = workload::run(&cfg, &proxy).await;
    eprintln!("==> workload: {:.0} s", started.elapsed().as_secs_f64());
    print!("{}", report::render(&cfg, &run, &proxy.ledger()));
}
