"""``python -m omsclient``: the same as the ``omsclient`` command."""

from omsclient.cli import main

raise SystemExit(main())
