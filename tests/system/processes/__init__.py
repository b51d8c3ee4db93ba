"""`stagemeld` as an operator runs it: the command line and `run` in child processes."""
