"""Every public package has an API reference page, listed in the site's navigation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
REFERENCE = ROOT / "docs" / "reference"
PACKAGES = [
    "omsclient",
    "omsclient.errors",
    "omsclient.legacy",
    "omsclient.rest",
    "omsclient.export",
    "omsclient.dbsync",
    "omsclient.sandbox",
]


def rendered_modules() -> dict[str, str]:
    """Module -> the reference page that renders it with a ``::: module`` block."""
    pages = {}
    for page in REFERENCE.glob("*.md"):
        for module in re.findall(r"^::: ([\w.]+)\s*$", page.read_text(), re.MULTILINE):
            pages[module] = page.name
    return pages


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_package_has_a_reference_page_in_the_nav(package: str) -> None:
    page = rendered_modules().get(package)
    assert page is not None, f"no page in docs/reference renders {package}"
    nav = (ROOT / "mkdocs.yml").read_text()
    assert f"- {package}: reference/{page}" in nav
    assert f"]({page})" in (REFERENCE / "index.md").read_text()
