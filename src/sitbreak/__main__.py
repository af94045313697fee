"""`python -m sitbreak` runs the command-line interface."""

from sitbreak.cli import main

raise SystemExit(main())
