"""``python -m omsclient``: the same as the ``omsclient`` command.

A Ctrl-C while the command's modules are imported ends it as the command ends one: exit code
130 and a line, not a traceback. Python imports this package before it runs this module, so a
Ctrl-C during that first part of the start still shows one; the ``omsclient`` script, which
starts outside the package (``_omsclient_command``), catches that too.
"""

from _omsclient_command import main

raise SystemExit(main())
