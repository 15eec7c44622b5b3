#!/usr/bin/env bash
# `make run`: the whole stack on this machine.
#
# Installs DynamoDB Local if needed, starts it (data kept in .paynectra/),
# creates the table, creates a dev account once (its keys are kept in
# .paynectra/dev-account.json), prints the test key and a curl example, and
# serves the API on http://127.0.0.1:${PORT:-3000} until Ctrl-C (or SIGTERM,
# SIGHUP). Everything it starts is stopped on exit, however it exits.
# PAYNECTRA_STATE: another folder than .paynectra for the data and keys
# (scripts/check-run-stops.sh). The binaries are taken from cargo's target
# folder, wherever CARGO_TARGET_DIR puts it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/dynamodb-local.sh
source scripts/common.sh
source scripts/moto.sh

PORT=${PORT:-3000}
STATE=${PAYNECTRA_STATE:-.paynectra}
export TABLE_NAME=${TABLE_NAME:-paynectra}
# The rate limits' usage plans: the local stack's REST API and stage (the
# ids its events carry; moto takes plans for an API it does not have).
export PAYNECTRA_API_ID=local PAYNECTRA_STAGE=local

ddb_install
moto_install
echo "==> Building the local stack (cargo build)" >&2
cargo build --quiet --bin paynectra-local --bin paynectra-admin
bin=$(cargo_debug_dir)

API_PID=""
cleanup() {
  # A second Ctrl-C (or signal) must not cut the clean-up short and leave
  # DynamoDB Local running: each stop is bounded instead (SIGTERM, then
  # SIGKILL after 10 s).
  trap '' INT TERM HUP
  trap - EXIT
  stop_process "$API_PID" 10
  stop_process "$DDB_PID" 10
  DDB_PID=""
  stop_process "$MOTO_PID" 10
  MOTO_PID=""
  echo "==> Stopped the API, DynamoDB Local and moto" >&2
}
trap cleanup EXIT
# Exit as the signal would (128 + its number); the EXIT trap stops the rest.
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

ddb_port=${DYNAMODB_PORT:-$(free_port)}
echo "==> Starting DynamoDB Local on 127.0.0.1:$ddb_port (data in $STATE/dynamodb)" >&2
ddb_start "$ddb_port" "$STATE/dynamodb"
ddb_env "$ddb_port"
# SQS and API Gateway (usage plans) are moto's, in memory: what the local
# stack needs there is made again at each start.
moto_port=${MOTO_PORT:-$(free_port)}
echo "==> Starting moto (SQS, API Gateway) on 127.0.0.1:$moto_port" >&2
moto_start "$moto_port"
moto_env "$moto_port"

# Card fingerprints are HMACs under a key of this deployment's; keep one per
# local stack so fingerprints stay stable across restarts.
if [ ! -s "$STATE/card-fingerprint-key" ]; then
  (umask 077 && python3 -c 'import secrets; print(secrets.token_hex(32))' >"$STATE/card-fingerprint-key")
fi
# Webhook signing secrets are stored encrypted under this key.
if [ ! -s "$STATE/webhook-secret-key" ]; then
  (umask 077 && python3 -c 'import secrets; print(secrets.token_hex(32))' >"$STATE/webhook-secret-key")
fi
# Both keys reach the API through its local Secrets Manager, as on AWS.
if [ ! -s "$STATE/request-fingerprint-key" ]; then
  (umask 077 && python3 -c 'import secrets; print(secrets.token_hex(32))' >"$STATE/request-fingerprint-key")
fi
local_secrets "$STATE/secrets.json" "$(cat "$STATE/card-fingerprint-key")" "$(cat "$STATE/request-fingerprint-key")" \
  "$(cat "$STATE/webhook-secret-key")"

admin=$bin/paynectra-admin
"$admin" table create >/dev/null

account_file=$STATE/dev-account.json
account_id=""
if [ -s "$account_file" ]; then
  account_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$account_file")
  "$admin" keys list --account "$account_id" >/dev/null 2>&1 || account_id=""
fi
if [ -z "$account_id" ]; then
  (umask 077 && "$admin" accounts create --name "Local dev" >"$account_file")
  account_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$account_file")
fi
# Its test-mode payouts go to Stripe's test bank account (last four 6789).
"$admin" accounts bank-account --account "$account_id" --routing-number 110000000 \
  --account-number 000123456789 --mode test >/dev/null
# moto is in memory: give every account (the dev account included) its
# usage keys in the default plans again, and the hosted page's anonymous key.
"$admin" limits sync >/dev/null
test_key=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["test_secret_key"])' "$account_file")
# A restricted (read-only) test key of the dev account, issued once per dev account.
restricted_file=$STATE/dev-restricted-key.json
restricted_account=""
if [ -s "$restricted_file" ]; then
  restricted_account=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key"]["account_id"])' "$restricted_file")
fi
if [ "$restricted_account" != "$account_id" ]; then
  (umask 077 && "$admin" keys restricted --account "$account_id" --mode test >"$restricted_file")
fi
restricted_key=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["restricted_key"])' "$restricted_file")
publishable_key=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("test_publishable_key", "(create a new dev account: make clean-local)"))' "$account_file")

cat >&2 <<MSG

  Dev account:  $account_id   (keys in $account_file)
  Test key:     $test_key
  Publishable:  $publishable_key
  Restricted:   $restricted_key   (reads everything, writes nothing)
  Dashboard:    http://127.0.0.1:$PORT/dashboard   (sign in with the test key, or the restricted one)
  Rate limits:  25 reads and 25 writes a second in test mode (bursts of 50), per account;
                $admin limits show --account $account_id

  Try it:
    curl -s http://127.0.0.1:$PORT/v1/customers -u $test_key: \\
      -H 'Content-Type: application/json' -d '{"email": "jenny@example.com"}'
    curl -s http://127.0.0.1:$PORT/v1/payments -H "Authorization: Bearer $test_key" \\
      -H 'Content-Type: application/json' -d '{"amount": 4999, "currency": "usd"}'

  Settle it (README, "Settlement: a worked example"): confirm with pm_card_bypassPending
  (4000 0000 0000 0077), GET /v1/balance, POST /v1/payouts, and watch it reach paid.

MSG

PAYNECTRA_PORT=$PORT "$bin/paynectra-local" &
API_PID=$!
wait "$API_PID"
