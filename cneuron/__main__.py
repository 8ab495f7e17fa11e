"""``python -m cneuron``: see ``cneuron._cli``."""

import sys

from ._cli import main

sys.exit(main())
