"""`python -m imkit_tui` runs the `imkit` command."""

import sys

from imkit_tui.cli import main

sys.exit(main())
