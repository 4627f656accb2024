"""`python -m web` runs the `mailyard` command."""

from .cli import main

main(prog_name="mailyard")
