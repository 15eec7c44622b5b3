# shellcheck shell=bash
# Helpers to install, start and stop moto's server mode, the local stack's
# SQS and API Gateway (usage plans and API keys). Source this file (after
# dynamodb-local.sh, for free_port).
#
# moto (PyPI, pinned here) implements the AWS APIs themselves: the code under
# test makes the same SQS and API Gateway calls locally as on AWS.

PAYNECTRA_ROOT=${PAYNECTRA_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
# shellcheck source=scripts/common.sh
source "$PAYNECTRA_ROOT/scripts/common.sh"
MOTO_VENV="$PAYNECTRA_ROOT/.cache/moto"
MOTO_PACKAGE='moto[server]==5.2.5'
MOTO_PID=""

moto_install() {
  python_venv "$MOTO_VENV" "$MOTO_PACKAGE"
}

# moto_start PORT: starts moto's server on 127.0.0.1:PORT (state in memory)
# and waits until it answers. Sets MOTO_PID.
moto_start() {
  local port=$1 log
  log=$(mktemp -t moto.XXXXXX.log)
  "$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
  MOTO_PID=$!
  wait_started moto "$MOTO_PID" "$log" curl -fsS -o /dev/null "http://127.0.0.1:$port/moto-api/"
}

moto_stop() {
  stop_process "$MOTO_PID"
  MOTO_PID=""
}

# The environment that points the AWS SDK's SQS and API Gateway clients at
# moto on PORT (dummy credentials, as for DynamoDB Local).
moto_env() {
  export AWS_ENDPOINT_URL_SQS="http://127.0.0.1:$1"
  export AWS_ENDPOINT_URL_API_GATEWAY="http://127.0.0.1:$1"
  export AWS_REGION=${AWS_REGION:-us-east-1}
  export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
  unset AWS_SESSION_TOKEN AWS_PROFILE
}
