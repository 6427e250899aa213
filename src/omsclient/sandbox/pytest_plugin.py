"""pytest fixtures serving a sandbox: ``oms_sandbox`` and ``oms_sandbox_factory``.

pytest loads them by itself (the ``omsclient_sandbox`` plugin); name this module in
``pytest_plugins`` or ``-p`` where plugins are not loaded automatically. They live in
``_omsclient_pytest``, outside the package, so pytest's start does not import omsclient.
"""

from _omsclient_pytest import SMALL, oms_sandbox, oms_sandbox_factory

__all__ = ["SMALL", "oms_sandbox", "oms_sandbox_factory"]
