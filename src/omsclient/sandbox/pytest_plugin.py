"""pytest fixtures serving a sandbox: ``oms_sandbox`` and ``oms_sandbox_factory``.

pytest loads them by itself (the ``omsclient_sandbox`` plugin); where plugins are not loaded
automatically, name the plugin (``-p omsclient_sandbox``) or its module
(``pytest_plugins = ["_omsclient_pytest"]``), not this one, which imports the whole package at
pytest's start. They live in ``_omsclient_pytest``, outside the package, so pytest's start
does not import omsclient.
"""

from _omsclient_pytest import SMALL as _SMALL
from _omsclient_pytest import oms_sandbox, oms_sandbox_factory

# Declared here: type checkers read no types from ``_omsclient_pytest``, a module of its own
# outside this typed package, and would take the size for ``Any``.
SMALL: dict[str, int] = _SMALL
"""Size of the default fixture sandbox: enough for a few pages, quick to start."""

__all__ = ["SMALL", "oms_sandbox", "oms_sandbox_factory"]
