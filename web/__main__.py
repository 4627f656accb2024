"""`python -m web` runs the `mailyard` command."""

from mailyard.web.cli import main

main(prog_name="mailyard")
