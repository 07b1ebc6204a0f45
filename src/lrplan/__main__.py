"""``python -m lrplan ...``: the same command as ``lrplan ...`` (see :mod:`lrplan.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
