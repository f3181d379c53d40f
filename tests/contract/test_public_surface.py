"""The public surface of ringfence is pinned: every public module and what its ``__all__`` exports.

A public module is any module of the package whose dotted name has no part starting with ``_``
(``ringfence.risk._inputs`` is private). Each must declare ``__all__``, every name in it must
exist, and the whole surface must equal ``tests/contract/public_surface.txt``, so removing,
renaming or adding a public name (or module) fails here with a diff until the list is updated
on purpose. To update it deliberately, after reviewing the change:

    python tests/contract/test_public_surface.py --write

and commit the list with the change (the diff of the list is the API change to review).
The top-level ``ringfence`` re-exports names lazily (PEP 562): the tests also check that each is
the very object of the public module that defines it, that the API reference (``docs/reference``)
documents that module, and that importing the core loads neither the journals nor the service.
"""

from __future__ import annotations

import ast
import difflib
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import ringfence

SURFACE_FILE = Path(__file__).with_name("public_surface.txt")
HEADER = (
    "# The public surface of ringfence: each public module, then the names its __all__ exports.\n"
    "# Checked by tests/contract/test_public_surface.py. Update deliberately, after review:\n"
    "#     python tests/contract/test_public_surface.py --write\n"
)


def public_modules() -> list[str]:
    """Return the dotted name of every public module of ringfence, sorted."""
    names = ["ringfence"]
    for info in pkgutil.walk_packages(ringfence.__path__, "ringfence."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


def exported(module: ModuleType) -> list[str]:
    """Return the module's ``__all__``, checked to be a list or tuple of strings."""
    names = getattr(module, "__all__", None)
    assert names is not None, f"{module.__name__} is public but declares no __all__"
    assert isinstance(names, list | tuple), f"{module.__name__}.__all__ is a {type(names).__name__}"
    assert all(isinstance(name, str) for name in names), f"{module.__name__}.__all__ holds a non-string"
    return list(names)


def render_surface() -> str:
    """Return the surface file's text for the package as it is."""
    lines = [HEADER]
    for name in public_modules():
        lines.append(f"[{name}]\n")
        lines.extend(f"{export}\n" for export in sorted(exported(importlib.import_module(name))))
    return "".join(lines)


def test_every_public_module_declares_an_all_of_names_it_defines() -> None:
    for name in public_modules():
        module = importlib.import_module(name)
        names = exported(module)
        assert len(names) == len(set(names)), f"{name}.__all__ repeats a name"
        missing = [export for export in names if not hasattr(module, export)]
        assert not missing, f"{name}.__all__ names what the module does not define: {missing}"


def test_the_public_surface_is_the_checked_in_one() -> None:
    expected = SURFACE_FILE.read_text(encoding="utf-8")
    actual = render_surface()
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile="tests/contract/public_surface.txt (pinned)",
                tofile="the package now",
            )
        )
        raise AssertionError(
            "the public surface changed (- pinned, + now). If the change is deliberate, run\n"
            "    python tests/contract/test_public_surface.py --write\n"
            "and commit the updated list with it.\n" + diff
        )


def test_the_top_level_reexports_public_names_of_their_defining_modules() -> None:
    reexported = ringfence._EXPORTS
    assert set(reexported) == set(ringfence.__all__) - {"__version__"}
    for name, module_name in reexported.items():
        module = importlib.import_module(module_name)
        assert name in exported(module), f"ringfence.{name} is not public in {module_name}"
        assert getattr(ringfence, name) is getattr(module, name)
    assert "Engine" in dir(ringfence)


def test_type_checkers_see_every_lazy_name_where_it_is_loaded_from() -> None:
    tree = ast.parse(Path(ringfence.__file__).read_text(encoding="utf-8"))
    guarded = next(node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING")
    imported = {
        alias.name: node.module for node in guarded.body if isinstance(node, ast.ImportFrom) for alias in node.names
    }
    assert imported == ringfence._EXPORTS


def test_the_reference_documents_every_module_the_top_level_draws_from() -> None:
    pages = (Path(__file__).parents[2] / "docs" / "reference").glob("*.md")
    documented = {line.removeprefix(":::").strip() for page in pages for line in page.read_text().splitlines()}
    for name, module_name in ringfence._EXPORTS.items():
        defined_in = getattr(getattr(ringfence, name), "__module__", "")
        source = defined_in if defined_in.startswith("ringfence.") else module_name
        assert source in documented, f"ringfence.{name} comes from {source}, which no docs/reference page documents"


def test_an_unknown_top_level_name_is_an_attribute_error() -> None:
    try:
        _ = ringfence.NotAName  # type: ignore[attr-defined]
    except AttributeError as error:
        assert "NotAName" in str(error)
    else:
        raise AssertionError("ringfence.NotAName did not raise AttributeError")


def test_importing_the_core_loads_neither_journals_nor_service() -> None:
    code = (
        "import sys, ringfence.core.decide\n"
        "print(sorted(m for m in sys.modules if m.startswith(('ringfence.store', 'ringfence.service'))"
        " or m in ('sqlite3', 'pydantic')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "[]"


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/contract/test_public_surface.py --write")
    SURFACE_FILE.write_text(render_surface(), encoding="utf-8")
    print(f"wrote {SURFACE_FILE}")
