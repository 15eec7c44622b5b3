#!/usr/bin/env bash
# End-to-end tests of the hosted payment page and the dashboard in headless Chromium, against
# the local stack. Run by `make test` (scripts/test.sh), which has DynamoDB
# Local up and the environment set; it starts its own API server on a free
# port and stops it on exit. Installs Debian's chromium and the pinned
# playwright-core if they are missing. The server applies the per-account
# rate limits as make run does, so it needs the local API Gateway: moto,
# from the environment (make test's), or one of its own, started here when
# AWS_ENDPOINT_URL_API_GATEWAY is not set (DynamoDB Local it still takes
# from the environment).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/dynamodb-local.sh
source scripts/common.sh
source scripts/moto.sh

if [ ! -x /usr/bin/chromium ]; then
  echo "==> Installing Debian's chromium for the browser test" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi
  $SUDO apt-get update -qq >&2 && $SUDO apt-get install -y -qq chromium >/dev/null
fi
if [ ! -d tests/e2e/node_modules/playwright-core ] || [ ! -d tests/e2e/node_modules/axe-core ]; then
  (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

cargo build --quiet --locked --bin paynectra-local --bin paynectra-admin
bin=$(cargo_debug_dir)

STARTED_MOTO=""
if [ -z "${AWS_ENDPOINT_URL_API_GATEWAY:-}" ]; then
  moto_install
  moto_port=$(free_port)
  echo "==> Starting moto (API Gateway; in memory) on 127.0.0.1:$moto_port" >&2
  moto_start "$moto_port"
  moto_env "$moto_port"
  STARTED_MOTO=1
fi
export PAYNECTRA_API_ID=local PAYNECTRA_STAGE=local

export TABLE_NAME="e2e-$(python3 -c 'import uuid; print(uuid.uuid4().hex)')"
secrets_file=$(mktemp -t paynectra-e2e-secrets.XXXXXX)
local_secrets "$secrets_file" paynectra-e2e-fingerprint-key-0123456789 paynectra-e2e-request-fingerprint-key-0123 \
  paynectra-e2e-webhook-secret-key-0123456789
"$bin"/paynectra-admin table create >/dev/null
account=$("$bin"/paynectra-admin accounts create --name "E2E shop")
PAYNECTRA_E2E_SK=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["test_secret_key"])' "$account")
PAYNECTRA_E2E_PK=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["test_publishable_key"])' "$account")
account_id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$account")
PAYNECTRA_E2E_LIVE_SK=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["live_secret_key"])' "$account")
PAYNECTRA_E2E_RK=$("$bin"/paynectra-admin keys restricted --account "$account_id" --mode test |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["restricted_key"])')
# A second merchant: its payments must be not-found to the first one's dashboard.
other=$("$bin"/paynectra-admin accounts create --name "Other shop")
PAYNECTRA_E2E_OTHER_SK=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["test_secret_key"])' "$other")
"$bin"/paynectra-admin limits sync >/dev/null
export PAYNECTRA_E2E_SK PAYNECTRA_E2E_PK PAYNECTRA_E2E_LIVE_SK PAYNECTRA_E2E_RK PAYNECTRA_E2E_OTHER_SK
# Screenshots of each dashboard page, for a reviewer.
export PAYNECTRA_E2E_SCREENSHOTS="$PWD/target/e2e-screenshots"
mkdir -p "$PAYNECTRA_E2E_SCREENSHOTS"

port=$(free_port)
server_log=$(mktemp -t paynectra-e2e-api.XXXXXX.log)
RUST_LOG=warn PAYNECTRA_PORT=$port "$bin"/paynectra-local >"$server_log" 2>&1 &
api_pid=$!
cleanup() {
  stop_process "$api_pid"
  rm -f "$server_log" "$secrets_file"
  if [ -n "$STARTED_MOTO" ]; then moto_stop; fi
}
trap cleanup EXIT
wait_for_api "$port" "$api_pid" "$server_log"
export PAYNECTRA_E2E_BASE="http://127.0.0.1:$port"
cd tests/e2e && node --test --test-reporter=tap
