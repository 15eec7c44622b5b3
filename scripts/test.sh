#!/usr/bin/env bash
# `make test`: everything CI checks, on a fresh machine too.
#
# Formatting and clippy, then every test (unit, handler tests from events/
# fixtures, integration tests over HTTP) against a DynamoDB Local of its own,
# in memory, on a free port. DynamoDB Local is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/dynamodb-local.sh
source scripts/moto.sh

echo "==> cargo fmt --check" >&2
cargo fmt --all -- --check
echo "==> cargo clippy" >&2
cargo clippy --workspace --all-targets --locked -- -D warnings

ddb_install
moto_install
echo "==> Building tests" >&2
# --tests: every target with tests (libraries, integration tests, binaries
# with unit tests); the functions' one-line mains say `test = false`.
cargo test --workspace --tests --locked --no-run

trap 'ddb_stop; moto_stop' EXIT
port=$(free_port)
echo "==> Starting DynamoDB Local (in memory) on 127.0.0.1:$port" >&2
ddb_start "$port"
ddb_env "$port"
export PAYNECTRA_TEST_DYNAMODB="http://127.0.0.1:$port"
moto_port=$(free_port)
echo "==> Starting moto (SQS, API Gateway; in memory) on 127.0.0.1:$moto_port" >&2
moto_start "$moto_port"
moto_env "$moto_port"
export PAYNECTRA_TEST_MOTO="http://127.0.0.1:$moto_port"

echo "==> cargo test" >&2
log=$(mktemp -t paynectra-test.XXXXXX.log)
status=0
cargo test --workspace --tests --locked --no-fail-fast 2>&1 | tee "$log" || status=$?

echo "==> The hosted payment page and the dashboard in headless Chromium (axe-core; screenshots in target/e2e-screenshots)" >&2
scripts/e2e.sh 2>&1 | tee -a "$log" || status=$?

# Schemathesis: the API against openapi.yaml on the same DynamoDB Local
# (scripts/schemathesis.sh; its last line is `schemathesis: N cases, ...`,
# counted below as one test).
# summarized NAME CMD...: runs CMD into the log; a step that stops before its
# `NAME: ...: ok|FAILED` line (pip, a build, a server that did not start) is
# counted as failed all the same.
summarized() {
  local name=$1 rc=0 out
  shift
  out=$(mktemp -t paynectra-step.XXXXXX.log)
  "$@" 2>&1 | tee "$out" || rc=$?
  cat "$out" >>"$log"
  if ! grep -Eq "^$name: .*: (ok|FAILED)\$" "$out"; then
    echo "$name: stopped before its summary (exit $rc): FAILED" | tee -a "$log"
    [ "$rc" -ne 0 ] || rc=1
  fi
  rm -f "$out"
  return "$rc"
}

echo "==> Schemathesis against the local stack" >&2
summarized schemathesis scripts/schemathesis.sh || status=$?

# DynamoDB Local and moto are not needed any more: give their memory and CPU to sam build.
ddb_stop
moto_stop

# The deploy path (scripts/deploy-check.sh): cfn-lint, `sam validate --lint`,
# then `sam build` for arm64 with cargo-lambda and a check of every artefact
# (arm64 ELF, zip under 6 MB). Its last line, `deploy-check: ...`, counts as
# one test.
echo "==> The deploy path: cfn-lint, sam validate --lint, sam build" >&2
summarized deploy-check scripts/deploy-check.sh || status=$?

# One closing line for the whole run (cargo prints one per test binary; the
# browser test prints TAP; schemathesis and the deploy check a line each).
awk '/^test result:/ { passed += $4; failed += $6; ignored += $8 }
     /^# pass /      { passed += $3 }
     /^# fail /      { failed += $3 }
     /^# skipped /   { ignored += $3 }
     /^schemathesis: .*: ok$/     { passed += 1 }
     /^schemathesis: .*: FAILED$/ { failed += 1 }
     /^deploy-check: .*: ok$/     { passed += 1 }
     /^deploy-check: .*: FAILED$/ { failed += 1 }
     END { if (status != 0 && failed == 0) failed = 1  # a step failed before it could report (a build, say)
           printf "total: %d passed, %d failed, %d skipped\n", passed, failed, ignored }' status="$status" "$log"
rm -f "$log"
exit "$status"
