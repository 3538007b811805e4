#!/usr/bin/env bash
# The project's test command: starts what the tests need, then runs every test of the
# workspace (unit, property, conformance suites on every adapter and store, browser test,
# doctests). Backend URLs can be overridden with the SESSION_TEST_* variables (see README).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/services.sh

export SESSION_TEST_REDIS_URL="${SESSION_TEST_REDIS_URL:-redis://127.0.0.1:6379}"
export SESSION_TEST_POSTGRES_URL="${SESSION_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
export SESSION_TEST_MYSQL_URL="${SESSION_TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306/test}"

cargo test --workspace --no-fail-fast
