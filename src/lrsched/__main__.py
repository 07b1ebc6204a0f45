"""``python -m lrsched ...``: the same command as ``lrsched ...`` (see :mod:`lrsched.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
