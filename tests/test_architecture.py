"""Layering: ``core`` is a library that knows nothing of the application (``ser``), the
repository's folders, claims or results; no module imports itself back through a cycle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "ser")


def _modules(package: str) -> dict[str, Path]:
    out = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imports(path: Path, module: str) -> set[str]:
    """Every project module ``path`` imports, at module level or inside functions."""
    found = set()
    pkg = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(pkg.split(".")[: len(pkg.split(".")) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return {m for m in found if m.split(".")[0] in PACKAGES}


def test_core_names_no_application_path():
    offenders = [
        f"{p.relative_to(ROOT)}:{i}: {line.strip()}"
        for p in (ROOT / "core").rglob("*")
        if p.is_file() and p.suffix in (".py", ".txt", ".yaml", ".json")
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if "papers/" in line or "book/" in line
    ]
    assert not offenders, offenders


def test_core_never_imports_the_application():
    offenders = {m: sorted(i for i in _imports(p, m) if i.startswith("ser")) for m, p in _modules("core").items()}
    assert not {m: i for m, i in offenders.items() if i}


def test_every_core_module_imports_alone_without_the_application():
    mods = sorted(_modules("core"))
    code = (
        "import importlib, sys\n"
        f"for m in {mods!r}:\n    importlib.import_module(m)\n"
        "loaded = sorted(m for m in sys.modules if m == 'ser' or m.startswith('ser.'))\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_no_import_cycle():
    modules = {**_modules("core"), **_modules("ser")}
    graph = {m: {i for i in _imports(p, m) if i in modules and i != m} for m, p in modules.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(n) :] + [n]))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
