"""Text a terminal is shown: each character it would act on rather than show, escaped."""

from __future__ import annotations

import argparse
import sys
import textwrap
from typing import NoReturn

from omsclient._validate import escape_invisible

__all__ = ["ArgumentParser", "HelpFormatter", "escaped"]


def escaped(text: str, *, lines: bool = False) -> str:
    """``text`` with each character a terminal acts on rather than shows (:func:`invisible`:
    an escape sequence repaints the screen, a zero-width space makes "zw<U+200B>.jsonl" look
    like "zw.jsonl", a right-to-left override turns a name around) as its escape (``\\x1b``),
    in a path of the user's own or any other text of a message; with ``lines``, its line
    breaks kept. Server text is flattened before it gets here (``one_line``)."""
    return escape_invisible(text, "\n" if lines else "")


class ArgumentParser(argparse.ArgumentParser):
    """argparse's, its errors escaped as every line the commands print is: they quote the
    arguments as given ("unrecognized arguments: ..."), escape sequences and all."""

    def error(self, message: str) -> NoReturn:
        if sys.stderr is None:
            # Closed (2>&-): argparse would print the usage to stdout instead. The exit code
            # alone says it, as for every other error of the commands.
            self.exit(2)
        super().error(escaped(message))


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions and epilogs with each paragraph of prose filled to the terminal's width;
    a block under a heading (``examples:``, ``exit codes:``) kept as written, its commands
    whole to be copied."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        blocks = [
            textwrap.indent(block, indent)
            if block.partition("\n")[0].endswith(":")
            else textwrap.fill(
                " ".join(block.split()), width, initial_indent=indent, subsequent_indent=indent
            )
            for block in text.strip("\n").split("\n\n")
        ]
        return "\n\n".join(blocks) + "\n"
