"""`python -m benchmarks`: every figure beside its floor, measured in the same run (see benchmarks/run.py)."""

import sys

from benchmarks.run import main

if __name__ == "__main__":
    sys.exit(main())
