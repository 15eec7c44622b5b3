#!/usr/bin/env bash
# Checks that `make run` (scripts/run.sh) stops everything it started, the
# API and DynamoDB Local, when it gets SIGTERM, on Ctrl-C (SIGINT to its
# whole process group, as a terminal sends it), and when the API itself is
# stopped; and that the API shuts down by itself on the signal (rather than
# being killed). Each run has its own state folder and ports, so a
# `make run` of yours is left alone.
#
# It runs scripts/run.sh, which builds first: quick once paynectra-local and
# paynectra-admin are built. About 10 s a case after that.
set -euo pipefail
# Job control: each background job gets a process group of its own and keeps
# SIGINT, as a command started from a terminal does.
set -m
cd "$(dirname "$0")/.."
source scripts/dynamodb-local.sh

state=$(mktemp -d -t paynectra-run-stops.XXXXXX)
trap 'rm -rf "$state"' EXIT
failures=0

# check CASE EXPECTED_STATUS: CASE is TERM (SIGTERM to run.sh), ctrl-c, or
# api-TERM (SIGTERM to the API alone).
check() {
  local case=$1 expected=$2 port log pid children status=0 left=""
  port=$(free_port)
  log=$state/$case.log
  PORT=$port PAYNECTRA_STATE=$state/$case scripts/run.sh >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 3000); do
    port_answers "$port" && break
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "FAIL $case: run.sh exited before the API answered; its output:" >&2
      cat "$log" >&2
      failures=$((failures + 1))
      return 0
    fi
    sleep 0.2
  done
  # DynamoDB Local and the API.
  children=$(pgrep -P "$pid" | tr '\n' ' ')
  case $case in
    TERM) kill -TERM "$pid" ;;
    ctrl-c) kill -INT -- "-$pid" ;;
    api-TERM) kill -TERM "$(pgrep -P "$pid" -x paynectra-local)" ;;
  esac
  for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    left="run.sh (after 30 s) "
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || status=$?
  for child in $children; do
    if kill -0 "$child" 2>/dev/null; then
      left+="$(ps -o comm= -p "$child") "
      kill -KILL "$child" 2>/dev/null || true
    fi
  done
  if port_answers "$port"; then left+="(port $port still answers) "; fi
  if [ -n "$left" ]; then
    echo "FAIL $case: left running: $left" >&2
    failures=$((failures + 1))
  elif ! grep -q '^paynectra-local: stopped$' "$log"; then
    echo "FAIL $case: the API did not shut down by itself; run.sh's output ends:" >&2
    tail -n 5 "$log" >&2
    failures=$((failures + 1))
  elif [ "$status" != "$expected" ]; then
    echo "FAIL $case: run.sh exited $status, not $expected; its output ends:" >&2
    tail -n 5 "$log" >&2
    failures=$((failures + 1))
  else
    echo "ok   $case: the API and DynamoDB Local stopped ($(echo "$children" | wc -w) children), run.sh exited $status" >&2
  fi
}

ddb_install
check TERM 143
check ctrl-c 130
check api-TERM 0
[ "$failures" = 0 ]
