#!/usr/bin/env bash
# Run the test suite.  Usage: ./run_tests.sh [all|quick|integration|coverage]
#   all          every test (default)
#   quick        unit tests only: no server process is spawned
#   integration  end-to-end tests: the server over stdio against the fake OpenAI server
#   coverage     every test, with a coverage report
# The exit status is pytest's. Uses .venv/bin/python when it exists, else $PYTHON or python3.
set -u
cd "$(dirname "$0")"
if [ -n "${PYTHON:-}" ]; then py=$PYTHON
elif [ -x .venv/bin/python ]; then py=.venv/bin/python
else py=python3
fi
# Two workers: most end-to-end tests wait on a spawned server, so two at a time halves the wall time.
parallel="-n 2"
case "${1:-all}" in
  all) exec "$py" -m pytest $parallel ;;
  quick) exec "$py" -m pytest $parallel -m "not integration" ;;
  integration) exec "$py" -m pytest $parallel -m integration ;;
  coverage) exec "$py" -m pytest $parallel --cov=. --cov-report=term-missing ;;
  *) echo "usage: $0 [all|quick|integration|coverage]" >&2; exit 2 ;;
esac
