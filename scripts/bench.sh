#!/usr/bin/env bash
# `make bench`: the benchmarks in BENCHMARKS.md, each against a DynamoDB
# Local of its own (in memory), stopped afterwards.
#
#   scripts/bench.sh [all|list|lambda]     (make bench = all, make bench-lambda = lambda)
#
# list:   bench-list-payments. BENCH_SIZES=1000,100000 and BENCH_ITERATIONS=50
#         are the defaults.
# lambda: bench-lambda cold, overhead, sdk and throughput: cold starts of
#         every function's release binary, request overhead, the SDK's cost
#         per call, throughput (BENCH_COLD_RUNS=10,
#         BENCH_OVERHEAD_ITERATIONS=50, BENCH_THROUGHPUT_ROUNDS=3,
#         BENCH_THROUGHPUT_SECONDS=2, BENCH_FUNCTIONS=all; see
#         bench/src/lambda/main.rs). It builds every function with the
#         release profile first (no LTO: about 4.5 minutes on 2 cores; the time is shown).
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
case "$what" in all | list | lambda) ;; *)
  echo "usage: scripts/bench.sh [all|list|lambda]" >&2
  exit 2
  ;;
esac
source scripts/dynamodb-local.sh
ddb_install
if [ "$what" != list ]; then
  functions=$(ls functions/src/bin | wc -l)
  started=$(date +%s)
  cargo build --release --quiet -p paynectra-functions
  echo "==> release build of the $functions functions: $(($(date +%s) - started)) s (nothing to do if unchanged)" >&2
fi
cargo build --release --quiet -p paynectra-bench
trap ddb_stop EXIT
export RUST_LOG=${RUST_LOG:-warn}

# Runs a benchmark against a DynamoDB Local of its own: DynamoDB Local slows
# down as it accumulates tables and writes (a GetItem took 0.56 ms on a fresh
# one and 8.7 ms on one that had served a whole bench-lambda run), so no part
# inherits another's.
fresh() {
  local port
  port=$(free_port)
  DDB_JAVA_OPTS="-Xmx6g" ddb_start "$port"
  ddb_env "$port"
  export PAYNECTRA_TEST_DYNAMODB="http://127.0.0.1:$port"
  "$@"
  ddb_stop
}

if [ "$what" != lambda ]; then
  fresh target/release/bench-list-payments
fi
if [ "$what" != list ]; then
  fresh target/release/bench-lambda cold
  fresh target/release/bench-lambda overhead
  fresh target/release/bench-lambda sdk
  fresh target/release/bench-lambda throughput
fi
