"""Run the command-line interface: ``python -m omnicontact``."""

from omnicontact.cli import main

raise SystemExit(main())
