#!/usr/bin/env bash
# The deploy path, checked: what `sam deploy` would ship, built here.
#
#   1. cfn-lint template.yaml, `sam validate --lint` and checkov;
#   2. `sam build` (BuildMethod rust-cargolambda: cargo-lambda cross-compiles
#      every function for arm64 with zig), exactly as an operator runs it;
#   3. every function's artefact is checked: an arm64 ELF named bootstrap,
#      and its zip (what SAM uploads) under MAX_ZIP_BYTES (6 MB).
#
# Run by `make test` (scripts/test.sh); standalone: `bash scripts/deploy-check.sh`
# (or `make deploy-check`). The tools are pinned and installed into a venv
# under .cache/ (or $PAYNECTRA_CACHE) on first use: aws-sam-cli, cfn-lint and
# cargo-lambda (which brings zig) from PyPI, and checkov in a venv of its own
# (it pins boto3 apart from aws-sam-cli); the Rust standard library for
# aarch64 through rustup. The build goes to .aws-sam/ and target/ as
# `sam build` does. SKIP_SAM_BUILD=1 runs only the linters. Last line:
# `deploy-check: N functions built for arm64, largest zip N bytes: ok`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

SAM_VERSION=1.170.0
CFN_LINT_VERSION=1.58.0
CARGO_LAMBDA_VERSION=1.9.2
CHECKOV_VERSION=3.3.30
CACHE=${PAYNECTRA_CACHE:-.cache}
VENV=$CACHE/deploy-tools
CHECKOV_VENV=$CACHE/checkov
MAX_ZIP_BYTES=${MAX_ZIP_BYTES:-6000000}

python_venv "$VENV" "aws-sam-cli==$SAM_VERSION" "cfn-lint==$CFN_LINT_VERSION" "cargo-lambda==$CARGO_LAMBDA_VERSION"
# checkov pins its own boto3, which aws-sam-cli's pin excludes: a venv of its own.
python_venv "$CHECKOV_VENV" "checkov==$CHECKOV_VERSION"
export PATH="$PWD/$VENV/bin:$PATH"
# SAM asks nothing and sends nothing; validate needs a region, no credentials.
export SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1} AWS_REGION=${AWS_REGION:-us-east-1}

echo "==> cfn-lint template.yaml" >&2
cfn-lint template.yaml
echo "==> sam validate --lint" >&2
sam validate --lint --template-file template.yaml >&2
# Every check on; the ones skipped are skipped in the template, at the
# resource, with their reason (`# checkov:skip=CKV_...: why`; README lists them).
echo "==> checkov template.yaml" >&2
"$CHECKOV_VENV/bin/checkov" --file template.yaml --framework cloudformation --skip-download --compact --quiet >&2

if [ "${SKIP_SAM_BUILD:-}" = 1 ]; then
  echo "deploy-check: template linted, sam build skipped (SKIP_SAM_BUILD=1): ok"
  exit 0
fi

if ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
  echo "==> rustup target add aarch64-unknown-linux-gnu" >&2
  rustup target add aarch64-unknown-linux-gnu >&2
fi

echo "==> sam build (cargo-lambda, arm64, release profile)" >&2
start=$(date +%s)
# samconfig.toml turns on the beta rust-cargolambda build method.
sam build --template-file template.yaml >&2
echo "==> sam build took $(($(date +%s) - start)) s" >&2

# Every function of the template has an arm64 bootstrap whose zip fits.
python3 - "$MAX_ZIP_BYTES" <<'EOF'
import io, os, re, sys, zipfile

limit = int(sys.argv[1])
built = ".aws-sam/build"
functions = sorted(d for d in os.listdir(built) if os.path.isdir(os.path.join(built, d)))
# Resources of Type AWS::Serverless::Function (a resource's Type is its
# first property line in this template).
lines = open("template.yaml").read().splitlines()
expected = sorted(
    re.match(r"  (\w+):$", a).group(1)
    for a, b in zip(lines, lines[1:])
    if re.match(r"  (\w+):$", a) and b.strip() == "Type: AWS::Serverless::Function"
)
problems = []
if functions != expected:
    problems.append(f"built {functions}, but the template has {expected}")
rows = []
for name in functions:
    path = os.path.join(built, name, "bootstrap")
    if not os.path.isfile(path):
        problems.append(f"{name}: no bootstrap")
        continue
    with open(path, "rb") as f:
        head = f.read(20)
    # ELF, 64-bit, little-endian, e_machine 183 = AArch64.
    if head[:4] != b"\x7fELF" or head[4] != 2 or int.from_bytes(head[18:20], "little") != 183:
        problems.append(f"{name}: bootstrap is not a 64-bit arm64 ELF")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(path, "bootstrap")
    size, zipped = os.path.getsize(path), len(buf.getvalue())
    rows.append((name, size, zipped))
    if zipped > limit:
        problems.append(f"{name}: zip is {zipped} bytes, over {limit}")
print(f"{'function':32} {'bootstrap':>12} {'zipped':>12}")
for name, size, zipped in rows:
    print(f"{name:32} {size:>12,} {zipped:>12,}")
for p in problems:
    print("deploy-check:", p, file=sys.stderr)
largest = max((z for _, _, z in rows), default=0)
verdict = "FAILED" if problems or not rows else "ok"
print(f"deploy-check: {len(rows)} functions built for arm64, largest zip {largest:,} bytes: {verdict}")
sys.exit(1 if verdict != "ok" else 0)
EOF
