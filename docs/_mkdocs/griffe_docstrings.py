"""Griffe extension for the API reference: read the package's docstrings as they are written.

The docstrings are Google style with three habits Markdown does not know:

- Sphinx roles (``:class:`ScanState```, ``:meth:`Orders.search <omsclient.legacy.Orders.search>```)
  become links to the rendered object when there is one, and plain code otherwise;
- a paragraph ending in ``::`` (reStructuredText's literal block) ends in ``:``, the indented
  block after it being a code block in Markdown as well;
- several parameters described together (``since, until: ...``, possibly over two lines) become
  one entry each, so every parameter keeps its type from the signature.
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

LITERAL_BLOCK_MARKER = re.compile(r"(?<=\S)::$", re.M)
ROLE = re.compile(r":(?:class|meth|func|attr|mod|exc|data|obj):`(?P<body>[^`]+)`")
EXPLICIT_TARGET = re.compile(r"(?P<title>.+?)\s*<(?P<target>[^>]+)>$")
# "a, b," on one line and "c: text" on the next, at the same indent, inside a section.
NAMES_CONTINUED = re.compile(
    r"^(?P<indent>[ ]+)(?P<names>\w+(?:, \w+)*,)\n(?P=indent)(?=\w+[,:])", re.M
)
# "a, b: text", with the text's continuation lines (indented deeper).
NAMES_TOGETHER = re.compile(
    r"^(?P<indent>[ ]+)(?P<names>\w+(?:, \w+)+): (?P<text>.*(?:\n(?P=indent)[ ]+.*)*)$", re.M
)


class DocstringDialect(griffe.Extension):
    """Rewrite roles and grouped parameters before griffe parses a docstring."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        _rewrite(obj)

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        # on_object visits the package's members, not the package itself.
        _rewrite(pkg)


def _rewrite(obj: griffe.Object) -> None:
    docstring = obj.docstring
    if docstring is None:
        return
    text = LITERAL_BLOCK_MARKER.sub(":", docstring.value)
    text = NAMES_CONTINUED.sub(r"\g<indent>\g<names> ", text)
    text = NAMES_TOGETHER.sub(_one_entry_each, text)
    docstring.value = ROLE.sub(lambda match: _link(obj, match["body"]), text)


def _one_entry_each(match: re.Match[str]) -> str:
    indent, text = match["indent"], match["text"]
    return "\n".join(f"{indent}{name}: {text}" for name in match["names"].split(", "))


def _link(obj: griffe.Object, body: str) -> str:
    explicit = EXPLICIT_TARGET.match(body)
    if explicit:
        title, target = explicit["title"], explicit["target"]
    else:
        target = body.lstrip("~")
        title = target.rsplit(".", 1)[-1] if body.startswith("~") else target
    code = f"<code>{html.escape(title)}</code>"
    identifier = _resolve(obj, target)
    if identifier is None:
        return code
    # `optional`: a target the reference does not render (private, third party) stays plain code.
    return f'<autoref identifier="{html.escape(identifier)}" optional>{code}</autoref>'


def _resolve(obj: griffe.Object, target: str) -> str | None:
    first, _, rest = target.partition(".")
    try:
        resolved = obj.resolve(first)
    except griffe.NameResolutionError:
        return target if "." in target else None
    return f"{resolved}.{rest}" if rest else resolved
