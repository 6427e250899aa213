"""The ``omsclient`` command's parts: one module per job (see :mod:`omsclient.cli`).

``_arguments`` turns arguments into conditions and checks them, ``_sandbox`` starts the
built-in sandbox for ``--sandbox``, ``_running`` holds what both commands share while they run
(exit codes, the progress bar, error messages), ``_waiting`` says what they wait for when
the server does not answer, ``_advice`` what to check after a failure, ``_export`` and
``_sync`` are the two commands.
"""
