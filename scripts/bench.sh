#!/usr/bin/env bash
# `make bench`: the benchmarks in BENCHMARKS.md, each against a DynamoDB
# Local of its own (in memory), stopped afterwards.
#
#   scripts/bench.sh [all|list|lambda|heat]   (make bench = all, make bench-lambda = lambda,
#                                              make bench-heat = heat)
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
# heat:   bench-heat: where every read and write lands, per partition, projected
#         to 5,000 payments/s, against DynamoDB Local and moto (SQS) of its own
#         (BENCH_HEAT_MERCHANTS=200, BENCH_HEAT_PAYMENTS=1000, BENCH_HEAT_SEED=16,
#         BENCH_HEAT_TARGET_MERCHANTS=10000; see bench/src/heat/main.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
case "$what" in all | list | lambda | heat) ;; *)
  echo "usage: scripts/bench.sh [all|list|lambda|heat]" >&2
  exit 2
  ;;
esac
source scripts/dynamodb-local.sh
ddb_install
if [ "$what" = all ] || [ "$what" = lambda ]; then
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

if [ "$what" = all ] || [ "$what" = list ]; then
  fresh target/release/bench-list-payments
fi
if [ "$what" = all ] || [ "$what" = heat ]; then
  source scripts/moto.sh
  moto_install
  trap 'ddb_stop; moto_stop' EXIT
  port=$(free_port)
  moto_start "$port"
  moto_env "$port"
  export PAYNECTRA_TEST_MOTO="http://127.0.0.1:$port"
  # Open circuit breakers (the failing endpoints) warn on every attempt:
  # only errors beside the tables.
  RUST_LOG=${BENCH_HEAT_LOG:-error} fresh target/release/bench-heat
  moto_stop
  trap ddb_stop EXIT
fi
if [ "$what" = all ] || [ "$what" = lambda ]; then
  fresh target/release/bench-lambda cold
  fresh target/release/bench-lambda overhead
  fresh target/release/bench-lambda sdk
  fresh target/release/bench-lambda throughput
fi
