"""The layout's rules, checked on the source with ``ast`` (nothing is imported or run):

- dependencies run one way, ``models_zoo`` <- ``experiments`` <- the feature apps: the run
  app imports no feature app and no site module, and the ML core imports no Django and no app;
- no import cycle between the apps' modules, counting imports inside functions too (they
  hide a cycle from Python but not from a reader);
- no Python module outside the tests and the migrations is over 500 lines.

Imports under ``if TYPE_CHECKING:`` never run, so they are left out of the cycle check; they
still count for the dependency rules.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "experiments",
    "drawing",
    "history",
    "accounts",
    "studies",
    "sweeps",
    "inspector",
    "shapeshop_site",
    "models_zoo",
)
FEATURES = ("drawing", "history", "accounts", "studies", "sweeps", "inspector")
MAX_LINES = 500
# Not the project's own modules, or not held to the rules: tests, migrations, tooling.
SKIPPED_DIRS = {"tests", "migrations", "node_modules", "__pycache__"}


@dataclass(frozen=True)
class Import:
    module: str  # the absolute name imported (``a.b`` for ``from a.b import c``)
    names: tuple[str, ...]  # the names taken from it (``c``), empty for ``import a.b``
    line: int
    typing_only: bool  # under ``if TYPE_CHECKING:``


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files(top: Path) -> Iterator[Path]:
    """The Python files under ``top``, leaving out tests, migrations and hidden folders."""
    for folder, subfolders, files in os.walk(top):
        subfolders[:] = sorted(
            name for name in subfolders if name not in SKIPPED_DIRS and not name.startswith(".")
        )
        for file in sorted(files):
            if file.endswith(".py"):
                yield Path(folder) / file


def app_modules() -> dict[str, Path]:
    return {module_name(path): path for app in APPS for path in source_files(ROOT / app)}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path) -> list[Import]:
    """Every import in the file, at any depth (functions, classes, branches)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, typing_only: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, typing_only)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(alias.name, (), node.lineno, typing_only))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            names = tuple(alias.name for alias in node.names)
            found.append(Import(target, names, node.lineno, typing_only))
        for child in ast.iter_child_nodes(node):
            visit(child, typing_only)

    visit(tree, False)
    return found


def top_level(module: str) -> str:
    return module.partition(".")[0]


def test_the_run_app_imports_no_feature_app_and_no_site_module() -> None:
    forbidden = {*FEATURES, "shapeshop_site"}
    offences = [
        f"{path.relative_to(ROOT)}:{item.line} imports {item.module}"
        for path in source_files(ROOT / "experiments")
        for item in imports_of(path)
        if top_level(item.module) in forbidden
    ]
    assert not offences, "experiments must not depend on the apps above it:\n" + "\n".join(offences)


def test_the_ml_core_imports_no_django_and_no_app() -> None:
    forbidden = {"django", "rest_framework", "django_q", "drf_spectacular", *APPS} - {"models_zoo"}
    offences = [
        f"{path.relative_to(ROOT)}:{item.line} imports {item.module}"
        for path in source_files(ROOT / "models_zoo")
        for item in imports_of(path)
        if top_level(item.module) in forbidden
    ]
    assert not offences, "models_zoo is pure Python:\n" + "\n".join(offences)


def ancestors(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:end]) for end in range(1, len(parts))]


def import_graph() -> dict[str, set[str]]:
    """Module -> the app modules its import statements run: the module named (for ``from a
    import b``, the submodule ``a.b`` when there is one, else ``a``) and the packages above
    it, as importing ``a.b.c`` runs ``a`` and ``a.b`` first. A module's own packages are left
    out: they are always under way before it, so ``from a import b`` inside ``a.c`` only
    depends on ``a.b``."""
    modules = app_modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        own = {name, *ancestors(name)}
        for item in imports_of(path):
            if item.typing_only:
                continue
            named = {item.module}
            if item.names:
                submodules = (f"{item.module}.{taken}" for taken in item.names)
                named = {sub if sub in modules else item.module for sub in submodules}
            for target in named - {name}:
                if target in modules:
                    graph[name].add(target)
                graph[name].update(
                    package
                    for package in ancestors(target)
                    if package in modules and package not in own
                )
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as [a, b, ..., a], or None when the graph has none (depth-first search)."""
    finished: set[str] = set()
    for start in sorted(graph):
        if start in finished:
            continue
        path = [start]
        pending = [iter(sorted(graph[start]))]
        while pending:
            following = next(pending[-1], None)
            if following is None:
                finished.add(path.pop())
                pending.pop()
            elif following in path:
                return [*path[path.index(following) :], following]
            elif following not in finished:
                path.append(following)
                pending.append(iter(sorted(graph.get(following, ()))))
    return None


def test_the_cycle_finder_finds_a_cycle_and_only_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set(), "d": {"b", "c"}}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_import_graph_sees_every_kind_of_import() -> None:
    graph = import_graph()
    # Imports inside a function count (the study app hooks in from its ready()).
    assert {"experiments.hooks", "drawing.signals"} <= graph["studies.apps"]
    # ``from package import module`` reaches the module, and the package above it.
    assert {"drawing.signals", "drawing"} <= graph["studies.apps"]
    # Within a package, a submodule taken from it is the dependency, not the package.
    assert "models_zoo.shapes" in graph["models_zoo.classes"]
    assert "models_zoo" not in graph["models_zoo.classes"]
    # A module does not depend on itself.
    assert all(name not in targets for name, targets in graph.items())


def test_no_import_cycle_between_the_apps_modules() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_module_is_over_500_lines() -> None:
    too_long = []
    for path in source_files(ROOT):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            too_long.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not too_long, f"split these by job (at most {MAX_LINES} lines):\n" + "\n".join(too_long)
