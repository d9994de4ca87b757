"""Docstring templates: entries filled in where their name stands."""

from __future__ import annotations

import pytest

from tsattn._docstrings import fill_doc, numpydoc_entry

ENTRIES = {
    "text": """
        window : int
            Rows summed.
        """,
    "pair": ("n : int", "Steps."),
}


def test_fill_doc_puts_each_entry_at_the_line_indentation() -> None:
    @fill_doc(ENTRIES)
    class Documented:
        """Summary.

        Parameters
        ----------
        {{text}}
        {{pair}}
        """

    assert Documented.__doc__ == (
        "Summary.\n\n        Parameters\n        ----------\n"
        "        window : int\n            Rows summed.\n"
        "        n : int\n            Steps.\n        "
    )


def test_fill_doc_refuses_an_unknown_name() -> None:
    def documented() -> None:
        """{{missing}}"""

    with pytest.raises(KeyError, match="missing"):
        fill_doc(ENTRIES)(documented)


def test_numpydoc_entry_wraps_without_breaking_literals() -> None:
    text = "word " * 14 + "``a literal with spaces``"
    lines = numpydoc_entry("x : int", text).splitlines()
    assert lines[0] == "x : int"
    assert all(len(line) <= 76 and line.startswith("    ") for line in lines[1:])
    assert "``a literal with spaces``" in lines[-1]
