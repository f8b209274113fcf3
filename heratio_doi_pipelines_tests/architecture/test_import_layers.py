"""The layers import one way: defs -> services -> store/db; developer tooling stays out of the
runtime. Read from the source with ``ast``, so a new arrow that runs back up fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import heratio_doi_pipelines

PACKAGE = Path(heratio_doi_pipelines.__file__).parent
ROOT = PACKAGE.name

# Top-level parts of the package, by layer.
FOUNDATION = {"store", "db", "clock", "errors", "paths"}
ENTRY_POINTS = {"cli", "definitions"}
DAGSTER_LAYER = {"defs"}
DEVTOOLS = {"devtools"}


def _part(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == ROOT and len(parts) > 1 else None


def _imports() -> dict[str, set[tuple[str, str]]]:
    """Top-level part -> {(importing file, imported top-level part)}."""
    found: dict[str, set[tuple[str, str]]] = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if "migrations" in rel.parts:
            continue
        own = rel.parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                target = _part(name)
                if target is not None and target != own:
                    found.setdefault(own, set()).add((str(rel), target))
    return found


def _violations(allowed: dict[str, set[str] | None]) -> list[str]:
    """Imports from a part to a part it may not use (``None`` allows anything)."""
    bad = []
    for own, edges in _imports().items():
        permitted = allowed.get(own, set())
        if permitted is None:
            continue
        bad += [
            f"{file} imports {ROOT}.{target}" for file, target in edges if target not in permitted
        ]
    return sorted(bad)


def _services() -> set[str]:
    parts = {p.name.removesuffix(".py") for p in PACKAGE.iterdir() if not p.name.startswith("_")}
    return parts - FOUNDATION - ENTRY_POINTS - DAGSTER_LAYER - DEVTOOLS - {"py.typed"}


def test_runtime_never_imports_developer_tooling() -> None:
    services = _services()
    allowed: dict[str, set[str] | None] = {
        **{part: services | FOUNDATION for part in services},
        **{part: set(FOUNDATION) for part in FOUNDATION},
        "defs": services | FOUNDATION | DAGSTER_LAYER,
        "cli": None,  # the command line may start the emulator and write samples
        "definitions": {"defs"},
        "devtools": services | FOUNDATION,
    }
    assert _violations(allowed) == []


def test_store_knows_rows_not_domain_types() -> None:
    allowed: dict[str, set[str] | None] = {part: set(FOUNDATION) for part in FOUNDATION}
    allowed.update({part: None for part in _services() | ENTRY_POINTS | DAGSTER_LAYER | DEVTOOLS})
    assert _violations(allowed) == []


def test_the_datacite_client_knows_nothing_of_queue_or_events() -> None:
    """The REST client, rate budget and events client sit on the foundation only."""
    edges = _imports().get("datacite", set())
    assert sorted(f"{f} imports {t}" for f, t in edges if t not in FOUNDATION) == []
