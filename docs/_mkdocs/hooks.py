"""MkDocs hooks: pages link to files outside ``docs/`` the way GitHub shows them.

A page may point at ``../benchmarks/README.md``: right when the Markdown is read in the
repository, but the site holds only ``docs/``. In the site such a link becomes its text, so
the strict build keeps failing on broken links between pages and never on these.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

# [text](target) where the target is relative (no scheme, not absolute, not an anchor).
RELATIVE_LINK = re.compile(r"\[(?P<text>[^\]]+)\]\((?P<target>(?![a-z][a-z0-9+.-]*:|/|#)[^)\s]+)\)")


def on_page_markdown(markdown: str, *, page: Any, **kwargs: Any) -> str:
    """Replace links that leave the docs directory with their text."""
    page_dir = posixpath.dirname(page.file.src_uri)

    def unlink_outside(match: re.Match[str]) -> str:
        target = posixpath.normpath(posixpath.join(page_dir, match["target"]))
        return match["text"] if target.startswith("../") else match[0]

    return RELATIVE_LINK.sub(unlink_outside, markdown)
