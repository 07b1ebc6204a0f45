"""``python -m lrplan.laws fit|predict|optimize|transfer ...``"""

import sys

from ._cli import main

sys.exit(main())
