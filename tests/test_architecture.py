"""The package's import rules, read from its source with ``ast``.

No module imports another module's private (underscore) name, reads one from
an imported module, imports a private module from outside the package that
holds it, or takes part in an import cycle at import time.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tsattn"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {
    _module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))
}
TREES: dict[str, ast.Module] = {
    name: ast.parse(path.read_text(encoding="utf-8"), str(path))
    for name, path in MODULES.items()
}


TYPE_CHECKING = ("TYPE_CHECKING", "typing.TYPE_CHECKING")


def _is_module(name: str) -> bool:
    return name in MODULES


def _absolute(name: str, node: ast.ImportFrom) -> str:
    """The absolute module that a ``from … import`` in module ``name`` names."""
    if not node.level:
        return node.module or ""
    base = name.split(".")
    if name not in MODULES or MODULES[name].name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_imports(name: str, tree: ast.Module) -> Iterator[tuple[int, str]]:
    """``from tsattn.x import _name`` where ``_name`` is not a submodule."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        source = _absolute(name, node)
        if source.split(".")[0] != "tsattn":
            continue
        for alias in node.names:
            if _private(alias.name) and not _is_module(f"{source}.{alias.name}"):
                yield node.lineno, f"imports {alias.name} from {source}"


def _imported_modules(name: str, tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Every tsattn module that module ``name`` imports, with its line."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "tsattn":
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(name, node)
            if source.split(".")[0] != "tsattn":
                continue
            yield node.lineno, source
            for alias in node.names:
                if _is_module(f"{source}.{alias.name}"):
                    yield node.lineno, f"{source}.{alias.name}"


def private_module_imports(name: str, tree: ast.Module) -> Iterator[tuple[int, str]]:
    """A private module imported from outside the package that holds it.

    ``tsattn.report._frame`` belongs to ``tsattn.report``: its modules may import
    it, ``tsattn.cli`` may not. ``tsattn._validation`` belongs to ``tsattn``.
    """
    for line, module in _imported_modules(name, tree):
        parts = module.split(".")
        for i, part in enumerate(parts[1:], start=1):
            if _private(part):
                owner = ".".join(parts[:i])
                if not (name == owner or name.startswith(owner + ".")):
                    yield line, f"imports the private module {module}"
                break


def _module_aliases(name: str, tree: ast.Module) -> dict[str, str]:
    """Local names that module ``name`` binds to tsattn modules, anywhere in it."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_module(alias.name) and (alias.asname or "." not in alias.name):
                    aliases[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(name, node)
            for alias in node.names:
                if _is_module(f"{source}.{alias.name}"):
                    aliases[alias.asname or alias.name] = f"{source}.{alias.name}"
    return aliases


def private_attributes(name: str, tree: ast.Module) -> Iterator[tuple[int, str]]:
    """``alias._name`` where ``alias`` is an imported tsattn module."""
    aliases = _module_aliases(name, tree)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and _private(node.attr)
            and not _is_module(f"{aliases[node.value.id]}.{node.attr}")
        ):
            module = aliases[node.value.id]
            yield node.lineno, f"reads {node.value.id}.{node.attr} of {module}"


def import_time_imports(name: str, tree: ast.Module) -> set[str]:
    """The tsattn modules that module ``name`` imports as it is imported.

    Imports inside functions run later, and those under ``if TYPE_CHECKING:``
    never, so neither can close a cycle at import time.
    """
    found: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names if _is_module(a.name))
            elif isinstance(node, ast.ImportFrom):
                source = _absolute(name, node)
                if not _is_module(source):
                    continue
                submodules = {
                    f"{source}.{a.name}"
                    for a in node.names
                    if _is_module(f"{source}.{a.name}")
                }
                found.update(submodules)
                # A package that is an ancestor of this module is already
                # being imported; taking only its submodules needs nothing
                # from its own body.
                if len(submodules) < len(node.names) or not name.startswith(
                    f"{source}."
                ):
                    found.add(source)
            elif isinstance(node, ast.If):
                if ast.unparse(node.test) not in (
                    "TYPE_CHECKING",
                    "typing.TYPE_CHECKING",
                ):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)

    visit(tree.body)
    found.discard(name)
    return found


Check = Callable[[str, ast.Module], Iterator[tuple[int, str]]]


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected parts of ``graph`` with more than one node."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            part = stack[stack.index(node) :]
            del stack[stack.index(node) :]
            if len(part) > 1:
                found.append(sorted(part))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def _report(check: Check) -> list[str]:
    return [
        f"{MODULES[name].relative_to(ROOT)}:{line}: {text}"
        for name, tree in TREES.items()
        for line, text in check(name, tree)
    ]


def test_the_package_is_read() -> None:
    assert {"tsattn", "tsattn.cli", "tsattn.backtesting.series"} <= MODULES.keys()


def test_no_private_name_is_imported_across_modules() -> None:
    found = _report(private_imports)
    assert not found, "\n".join(found)


def test_no_private_module_is_imported_from_outside_its_package() -> None:
    found = _report(private_module_imports)
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("importer", "source", "flagged"),
    [
        ("tsattn.cli.probe", "from tsattn.report import _frame\n", True),
        ("tsattn.cli.probe", "from tsattn.report._frame import table\n", True),
        ("tsattn.cli.probe", "import tsattn.report._frame as f\n", True),
        ("tsattn.report.probe", "from tsattn.report import _frame\n", False),
        ("tsattn.report.probe", "from ._frame import table\n", False),
        ("tsattn.cli.probe", "from tsattn._validation import check_scalar\n", False),
    ],
)
def test_the_check_flags_private_modules_outside_their_package(
    importer: str, source: str, flagged: bool
) -> None:
    found = list(private_module_imports(importer, ast.parse(source)))
    assert bool(found) is flagged, found


def test_no_private_attribute_of_an_imported_module_is_read() -> None:
    found = _report(private_attributes)
    assert not found, "\n".join(found)


def test_no_import_cycle() -> None:
    graph = {name: import_time_imports(name, tree) for name, tree in TREES.items()}
    found = cycles(graph)
    assert not found, "\n".join(" <-> ".join(part) for part in found)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from tsattn.cli.columns import _targets\n", [(1, "imports _targets")]),
        ("from .columns import _targets\n", [(1, "imports _targets")]),
        ("def f():\n    from ..report import _x\n", [(2, "imports _x")]),
        (
            "from tsattn.cli import columns as c\nc._targets\n",
            [(2, "reads c._targets")],
        ),
        ("import tsattn.cli.columns as c\nc._targets\n", [(2, "reads c._targets")]),
        ("from tsattn.cli import columns\ncolumns.targets\n", []),
        ("from tsattn.windows import _numba\n_numba.gather\n", []),
        ("import tsattn\ntsattn.__version__\n", []),
        ("from pandas import _libs\n", []),
    ],
)
def test_the_checks_flag_private_names(
    source: str, expected: list[tuple[int, str]]
) -> None:
    tree = ast.parse(source)
    found = [
        *private_imports("tsattn.cli.probe", tree),
        *private_attributes("tsattn.cli.probe", tree),
    ]
    assert [
        (line, text.split(" from ")[0].split(" of ")[0]) for line, text in found
    ] == expected


def test_import_time_imports_skip_functions_and_type_checking() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from tsattn import stats\n"
        "from . import columns\n"
        "if TYPE_CHECKING:\n    from tsattn import metrics\n"
        "def f():\n    import tsattn.report\n"
    )
    found = import_time_imports("tsattn.cli.probe", ast.parse(source))
    assert found == {"tsattn.stats", "tsattn.cli.columns"}
    names = ast.parse("from . import columns, main\n")
    assert import_time_imports("tsattn.cli.probe", names) == {
        "tsattn.cli",
        "tsattn.cli.columns",
    }


def test_cycles_are_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
