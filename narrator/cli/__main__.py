"""`python -m narrator.cli ...` runs the `narrator` command."""

from narrator.cli.main import console

console()
