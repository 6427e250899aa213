"""``python -m omsclient.sandbox``."""

from ._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
