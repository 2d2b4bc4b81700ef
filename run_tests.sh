#!/usr/bin/env bash
# Run the test suite.  Usage: ./run_tests.sh [all|quick|integration|coverage] [pytest arguments ...]
#   all          every test (default)
#   quick        unit tests only: no server process is spawned, nothing slow
#   integration  end-to-end tests: the server over stdio against the fake OpenAI server
#   coverage     every test, with a coverage report of the product's modules (server processes included)
# Anything after the mode goes to pytest as it is, e.g. ./run_tests.sh quick -k dialogue
# TEST_WORKERS sets the number of parallel workers (default: auto, one per CPU; 0 runs in this process).
# The exit status is pytest's. Uses $PYTHON when set, else .venv/bin/python when it exists, else python3.
set -u
cd "$(dirname "$0")"
if [ -n "${PYTHON:-}" ]; then py=$PYTHON
elif [ -x .venv/bin/python ]; then py=.venv/bin/python
else py=python3
fi
mode=all
case "${1:-}" in
  all|quick|integration|coverage) mode=$1; shift ;;
  -*|"") ;;
  *) echo "usage: $0 [all|quick|integration|coverage] [pytest arguments ...]" >&2; exit 2 ;;
esac
# Most end-to-end tests wait on a spawned server, so workers in parallel cut the wall time.
workers=${TEST_WORKERS:-auto}
parallel=()
[ "$workers" != 0 ] && parallel=(-n "$workers")
case "$mode" in
  all) exec "$py" -m pytest ${parallel[@]+"${parallel[@]}"} "$@" ;;
  quick) exec "$py" -m pytest ${parallel[@]+"${parallel[@]}"} -m "not integration and not slow" "$@" ;;
  integration) exec "$py" -m pytest ${parallel[@]+"${parallel[@]}"} -m integration "$@" ;;
  coverage) exec "$py" -m pytest ${parallel[@]+"${parallel[@]}"} --cov --cov-config=.coveragerc --cov-report=term-missing "$@" ;;
esac
