"""``python -m lrplan.laws fit|predict|optimize|transfer ...``"""

import sys

from .cli import main

sys.exit(main())
