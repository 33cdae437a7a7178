"""``python -m telegram_datalake.cli``."""

import sys

from telegram_datalake.cli import main

sys.exit(main())
