"""The `narrator` command: run, status, plan, say, serve.

main      entry point, exit codes, one-line errors
parser    the argument parser every command shares
jobs      run, status, plan (on a job file)
say       one text to one audio file
serve     the local Oris Voice compatible server
voices    the voices a job can use, and whether its server takes them
progress  bars on a terminal, plain lines otherwise
"""

from narrator.cli.main import main

__all__ = ["main"]
