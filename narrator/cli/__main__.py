"""`python -m narrator.cli ...` runs the `narrator` command."""

import sys

from narrator.cli.main import main

sys.exit(main())
