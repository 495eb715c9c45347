"""The layers point one way: no import circle among fluxcord's modules (the benchmarks
included) nor among bot's packages taken whole, `bot/` never imports `cogs/`, storage
imports no feature, and each cog package is a feature that imports no other, only the
shared `cogs.common`."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "cogs", "bench")
SHARED_COGS = "cogs.common"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph() -> dict[str, set[str]]:
    """Every import of a project module by a project module, wherever it is written (at
    the top, under TYPE_CHECKING or inside a function: a circle hidden there is still one)."""
    files = {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
            for target in targets:
                while target and target not in files:
                    target = target.rpartition(".")[0]
                # A package's own modules importing the package are its private parts.
                if target and target != name and not name.startswith(target + "."):
                    graph[name].add(target)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles() -> None:
    assert circles(import_graph()) == []


def _part(module: str) -> str:
    """The part of the house a module belongs to: `bot.<package>` for a module of one of
    bot's packages, the module itself for one at bot's top (`bot.settings`)."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "bot" and len(parts) > 2 else module


def test_no_two_parts_of_bot_import_each_other() -> None:
    # Whole packages as one (bot/providers/, bot/metrics/, ...): a package that imports a
    # module which imports the package back runs up a layer, even when no two single
    # modules make a circle.
    graph: dict[str, set[str]] = {}
    for module, targets in import_graph().items():
        if module.startswith("bot"):
            part = _part(module)
            graph.setdefault(part, set()).update(
                _part(t) for t in targets if t.startswith("bot") and _part(t) != part)
    for part in {t for targets in graph.values() for t in targets}:
        graph.setdefault(part, set())
    assert circles(graph) == []


def test_the_domain_never_imports_the_discord_side() -> None:
    graph = import_graph()
    upward = {m: sorted(t for t in targets if t.startswith("cogs"))
              for m, targets in graph.items() if m.startswith("bot")}
    assert {m: t for m, t in upward.items() if t} == {}


def test_storage_knows_no_feature() -> None:
    graph = import_graph()
    outward = {m: sorted(t for t in targets if not t.startswith("bot.storage"))
                for m, targets in graph.items() if m.startswith("bot.storage")}
    assert {m: t for m, t in outward.items() if t} == {}


def _cog_package(module: str) -> str | None:
    """`cogs.<feature>` for a module inside a cog package (the shared one included)."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "cogs" and len(parts) > 2 else None


def test_cogs_are_feature_packages() -> None:
    flat = sorted(p.name for p in (ROOT / "cogs").glob("*.py") if p.name != "__init__.py")
    assert flat == []


def test_no_cog_imports_another_cog() -> None:
    graph = import_graph()
    across = {}
    for module, targets in graph.items():
        own = _cog_package(module)
        if own is None:
            continue
        others = sorted(t for t in targets if t.startswith("cogs")
                        and _cog_package(t) not in (own, SHARED_COGS))
        if others:
            across[module] = others
    assert across == {}

# The features a job reaches only through its ports (bot/jobs/ports.py), wired in bot/app.py.
FEATURES = ("bot.moderation", "bot.boards", "bot.presets", "bot.continuity", "bot.privacy",
            "bot.admin", "bot.provenance", "bot.metrics")


def _is_feature(module: str) -> bool:
    return any(module == f or module.startswith(f + ".") for f in FEATURES)


def reachable(graph: dict[str, set[str]], start: str) -> dict[str, str]:
    """Every module `start` imports, directly or through others, each with the module
    that imports it on the way (to say how a feature was reached)."""
    via: dict[str, str] = {}
    todo = [start]
    while todo:
        module = todo.pop()
        for target in graph[module]:
            if target not in via and target != start:
                via[target] = module
                todo.append(target)
    return via


def test_the_job_imports_no_feature_even_through_others() -> None:
    graph = import_graph()
    reached = {}
    for module in graph:
        if module == "bot.jobs" or module.startswith("bot.jobs."):
            via = reachable(graph, module)
            features = sorted(f"{t} (via {via[t]})" for t in via if _is_feature(t))
            if features:
                reached[module] = features
    assert reached == {}
