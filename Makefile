# The commands a newcomer can guess. See README.md.
.PHONY: run test bench bench-lambda bench-heat deploy-check lint fmt build release clean-local

## Start the whole stack locally: DynamoDB Local, table, dev account, API on 127.0.0.1:$(PORT).
run:
	@scripts/run.sh

## Run every check and test (what CI runs).
test:
	@scripts/test.sh

## Rerun the benchmarks of BENCHMARKS.md (release build, its own DynamoDB Local).
bench:
	@scripts/bench.sh

## Only the Lambda benchmarks: cold starts, request overhead, throughput (BENCHMARKS.md).
bench-lambda:
	@scripts/bench.sh lambda

## Only the partition-heat benchmark: each partition's WCU/s and RCU/s at 5,000 payments/s (BENCHMARKS.md).
bench-heat:
	@scripts/bench.sh heat

## The deploy path: cfn-lint, sam validate --lint, sam build (arm64), artefact sizes (part of make test).
deploy-check:
	@scripts/deploy-check.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

build:
	cargo build --workspace

## Release binaries, as Lambda would run them (sam build does this with cargo-lambda for arm64).
release:
	cargo build --workspace --release

## Forget the local stack's data and dev account.
clean-local:
	rm -rf .paynectra
