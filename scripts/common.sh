# shellcheck shell=bash
# Helpers shared by the scripts. Source this file.

# python_venv VENV PACKAGE...: a venv at VENV with exactly these pinned
# packages (pip), made once and reused; installs python3-venv if missing.
python_venv() {
  local venv=$1
  shift
  if [ -f "$venv/.installed" ] && [ "$(cat "$venv/.installed")" = "$*" ]; then
    return 0
  fi
  echo "==> Installing $* into $venv" >&2
  if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi
    $SUDO apt-get update -qq >&2 && $SUDO apt-get install -y -qq python3-venv >/dev/null
  fi
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$@" >&2
  echo "$*" >"$venv/.installed"
}

# local_secrets FILE CARD_FINGERPRINT_KEY REQUEST_FINGERPRINT_KEY WEBHOOK_SECRET_KEY: writes the local
# stack's secrets store (mode 600) and exports PAYNECTRA_LOCAL_SECRETS=FILE;
# paynectra-local serves it as Secrets Manager, and the functions read their
# keys with GetSecretValue as on AWS (never from their environment).
local_secrets() {
  (umask 077 && python3 -c 'import json, sys; print(json.dumps({"paynectra/local/card-fingerprint-key": sys.argv[1], "paynectra/local/request-fingerprint-key": sys.argv[2], "paynectra/local/webhook-secret-key": sys.argv[3]}))' "$2" "$3" "$4" >"$1")
  export PAYNECTRA_LOCAL_SECRETS=$1
}

# port_answers PORT: whether something accepts TCP connections on
# 127.0.0.1:PORT.
port_answers() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_started NAME PID LOG PROBE...: waits (up to 30 s) until the command
# PROBE... succeeds (its stderr silenced), for the process PID that was
# started as NAME and logs to LOG; if the process exits first, or PROBE
# never succeeds, prints LOG and fails.
wait_started() {
  local name=$1 pid=$2 log=$3
  shift 3
  for _ in $(seq 1 120); do
    if "$@" 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited; its log ($log):" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.25
  done
  echo "$name did not start within 30 s; its log ($log):" >&2
  cat "$log" >&2
  return 1
}

# stop_process PID [GRACE]: SIGTERM to PID, if it is running, and waits
# for it to exit; with GRACE (whole seconds), SIGKILL if it is still there
# after GRACE, so the wait is bounded. Nothing for an empty PID.
stop_process() {
  local pid=$1 grace=${2:-}
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  if [ -n "$grace" ]; then
    for _ in $(seq 1 $((grace * 10))); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# wait_for_api PORT PID LOG: waits (up to 15 s) until the process PID
# answers on 127.0.0.1:PORT; if it exits or never answers, prints LOG and
# fails.
wait_for_api() {
  local port=$1 pid=$2 log=$3
  for _ in $(seq 1 150); do
    if port_answers "$port"; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "The local API did not start; its log:" >&2
  cat "$log" >&2
  return 1
}

# cargo_debug_dir: where cargo puts this workspace's debug binaries (its
# target directory, CARGO_TARGET_DIR included, then debug/).
cargo_debug_dir() {
  cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])' | sed 's|$|/debug|'
}
