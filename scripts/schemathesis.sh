#!/usr/bin/env bash
# Schemathesis against the local stack: every operation of openapi.yaml with
# generated requests (examples, coverage, fuzzing) and the stateful phase
# (create a payment, then read, confirm, capture, refund and list it through
# the spec's `links`; customers; webhook endpoints), with every check on: no
# 5xx, every response matches its schema, every status code is documented,
# schema-valid requests are accepted and invalid ones refused.
#
# Run by `make test` (scripts/test.sh) after the browser test, with DynamoDB
# Local up and the environment set. Standalone (`bash scripts/schemathesis.sh`)
# it starts a DynamoDB Local of its own, in memory, on DYNAMODB_PORT or a free
# port. Either way it builds and starts paynectra-local on a free port, on a
# fresh table with a fresh account, and stops what it started on exit.
#
# Schemathesis is pinned and installed into a venv under .cache/ (or
# $PAYNECTRA_CACHE) on first use. Per-operation settings are in
# schemathesis.toml. Reports: target/schemathesis/ (junit.xml, report.ndjson,
# and the run's output in run.log). The last line is
# `schemathesis: N cases, N failed` (scripts/test.sh folds it into `total:`).
#
# Knobs: ST_MAX_EXAMPLES (per operation and phase; default 25), ST_SEED
# (default 20240601), ST_WORKERS (default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/dynamodb-local.sh
source scripts/common.sh

ST_VERSION=4.32.5
CACHE=${PAYNECTRA_CACHE:-.cache}
VENV=$CACHE/schemathesis-$ST_VERSION
REPORTS=target/schemathesis
MAX_EXAMPLES=${ST_MAX_EXAMPLES:-25}
SEED=${ST_SEED:-20240601}
WORKERS=${ST_WORKERS:-1}

python_venv "$VENV" "schemathesis==$ST_VERSION"

API_PID=""
STARTED_DDB=""
server_log=$(mktemp -t paynectra-st-api.XXXXXX.log)
cleanup() {
  stop_process "$API_PID"
  if [ -n "$STARTED_DDB" ]; then ddb_stop; fi
  rm -f "$server_log" "${secrets_file:-}"
}
trap cleanup EXIT

if [ -z "${AWS_ENDPOINT_URL_DYNAMODB:-}" ]; then
  ddb_install
  ddb_port=${DYNAMODB_PORT:-$(free_port)}
  echo "==> Starting DynamoDB Local (in memory) on 127.0.0.1:$ddb_port" >&2
  ddb_start "$ddb_port"
  STARTED_DDB=1
  ddb_env "$ddb_port"
fi

cargo build --quiet --locked --bin paynectra-local --bin paynectra-admin
bin=$(cargo_debug_dir)

TABLE_NAME="st-$(python3 -c 'import uuid; print(uuid.uuid4().hex)')"
export TABLE_NAME
secrets_file=$(mktemp -t paynectra-st-secrets.XXXXXX)
key() { python3 -c 'import secrets; print(secrets.token_hex(32))'; }
local_secrets "$secrets_file" "$(key)" "$(key)" "$(key)"
"$bin"/paynectra-admin table create >/dev/null
account=$("$bin"/paynectra-admin accounts create --name "Schemathesis")
SK=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["test_secret_key"])' "$account")

# No webhook deliveries (generated endpoint URLs name real hosts), and no
# gateway throttle (a 429 would cut the stateful chains short; the throttle
# has its own tests).
port=$(free_port)
RUST_LOG=warn PAYNECTRA_LOCAL_WEBHOOKS=off PAYNECTRA_PORT=$port "$bin"/paynectra-local --no-throttle >"$server_log" 2>&1 &
API_PID=$!
wait_for_api "$port" "$API_PID" "$server_log"

rm -rf "$REPORTS"
mkdir -p "$REPORTS"
echo "==> schemathesis $ST_VERSION against http://127.0.0.1:$port (seed $SEED, $MAX_EXAMPLES examples per operation)" >&2
status=0
"$VENV/bin/st" --no-color --config-file schemathesis.toml run openapi.yaml \
  --url "http://127.0.0.1:$port" \
  -H "Authorization: Bearer $SK" \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "$MAX_EXAMPLES" \
  --seed "$SEED" \
  --generation-database none \
  --workers "$WORKERS" \
  --report junit,ndjson \
  --report-junit-path "$REPORTS/junit.xml" \
  --report-ndjson-path "$REPORTS/report.ndjson" \
  2>&1 | tee "$REPORTS/run.log" || status=$?

if grep -qE 'panicked|thread .* panicked' "$server_log"; then
  echo "The API panicked during the run:" >&2
  grep -E -A5 'panicked' "$server_log" >&2
  status=1
fi
# One line for scripts/test.sh: the generated cases (from the run's own
# summary) and the operations that failed (from the JUnit report).
python3 - "$REPORTS" "$status" <<'PY' || status=1
import re, sys, xml.etree.ElementTree as ET
reports, status = sys.argv[1], int(sys.argv[2])
log = open(f"{reports}/run.log", encoding="utf-8", errors="replace").read()
m = re.search(r"^\s*(\d+) generated(.*)$", log, re.M)
cases = int(m.group(1)) if m else 0
rest = m.group(2) if m else ""
skipped = int((re.search(r"(\d+) skipped", rest) or [0, 0])[1])
failed_cases = int((re.search(r"(\d+) unique failures", rest) or [0, 0])[1])
forgiven = int((re.search(r"^Filtered: (\d+)", log, re.M) or [0, 0])[1])
try:
    root = ET.parse(f"{reports}/junit.xml").getroot()
    ops, bad = int(root.get("tests", 0)), int(root.get("failures", 0)) + int(root.get("errors", 0))
except Exception:
    ops, bad = 0, 1
ok = status == 0 and cases > 0 and bad == 0
print(f"schemathesis: {cases} cases, {failed_cases} failures, {skipped} skipped, "
      f"{forgiven} documented refusals forgiven (tests/schemathesis/hooks.py); "
      f"{ops - bad}/{ops} operations and stateful run passed: {'ok' if ok else 'FAILED'}")
sys.exit(0 if ok else 1)
PY
exit "$status"
