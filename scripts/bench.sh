#!/usr/bin/env bash
# `make bench`: the benchmarks in BENCHMARKS.md, against a DynamoDB Local of
# their own (in memory), stopped on exit. BENCH_SIZES=1000,100000 and
# BENCH_ITERATIONS=50 are the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/dynamodb-local.sh
ddb_install
cargo build --release --quiet -p paynectra-bench
trap ddb_stop EXIT
port=$(free_port)
DDB_JAVA_OPTS="-Xmx6g" ddb_start "$port"
ddb_env "$port"
export PAYNECTRA_TEST_DYNAMODB="http://127.0.0.1:$port" RUST_LOG=${RUST_LOG:-warn}
target/release/bench-list-payments
