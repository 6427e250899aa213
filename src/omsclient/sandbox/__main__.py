"""``python -m omsclient.sandbox``: ``omsclient sandbox``, so that a SIGTERM stops it as a
Ctrl-C does, with exit code 0 (the command's entry takes it as one)."""

import sys

from _omsclient_command import main

if __name__ == "__main__":
    raise SystemExit(main(["sandbox", *sys.argv[1:]]))
