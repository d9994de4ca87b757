"""Docstring templates: numpydoc text written once, filled in where it is used.

A table maps names to entries; a docstring holds a line ``{{name}}`` where
an entry belongs, and :func:`fill_doc` puts the entry there, at the line's
indentation. The rendered docstring (``help``, the API reference) holds the
full text.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

__all__ = ["Entry", "fill_doc", "numpydoc_entry"]

#: A docstring entry: numpydoc text as written, or a (head, description) pair
#: formatted by :func:`numpydoc_entry`.
Entry = str | tuple[str, str]

_Documented = TypeVar("_Documented", bound=Any)


def numpydoc_entry(head: str, text: str) -> str:
    """Format a numpydoc entry: ``head``, then ``text`` wrapped and indented."""
    # Keep inline literals (``...``) on one line: their spaces do not break.
    kept = re.sub(r"``.*?``", lambda m: m.group(0).replace(" ", "\0"), text)
    body = textwrap.fill(kept, 76, initial_indent="    ", subsequent_indent="    ")
    return f"{head}\n{body.replace(chr(0), ' ')}"


def fill_doc(
    entries: Mapping[str, Entry],
) -> Callable[[_Documented], _Documented]:
    """Return a decorator that fills each ``{{name}}`` line of a docstring.

    Parameters
    ----------
    entries : mapping of str to str or (str, str)
        The entry of each name: numpydoc text (dedented before use) or a
        (head, description) pair.

    Returns
    -------
    callable
        Decorator of a class or function: the line ``{{name}}`` of its
        docstring becomes ``entries[name]`` at the line's indentation.
    """

    def entry(match: re.Match[str]) -> str:
        value = entries[match[2]]
        text = (
            numpydoc_entry(*value)
            if isinstance(value, tuple)
            else textwrap.dedent(value).strip()
        )
        return textwrap.indent(text, match[1])

    def decorate(documented: _Documented) -> _Documented:
        if documented.__doc__:
            documented.__doc__ = re.sub(
                r"(?m)^( *)\{\{(\w+)\}\}$", entry, documented.__doc__
            )
        return documented

    return decorate
