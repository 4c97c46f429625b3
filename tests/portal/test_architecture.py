"""The layers of docs/architecture.md hold: an app imports (or names in a string, as "app.Model" or a
dotted path) only apps below it. Migrations are history and may name any app."""
import ast
import re
from pathlib import Path

from django.conf import settings

from tests.helpers import PROJECT_APPS

# Bottom to top, as docs/architecture.md draws them.
LAYERS = ("core", "accounts", "workflow", "hours", "review", "certificates", "api", "portal")
BASE = Path(settings.BASE_DIR)


def references(app):
    """(file:line, app named) for every reference from `app` to another project app."""
    named = re.compile(rf"^({'|'.join(LAYERS)})\.[A-Za-z_][\w.]*$")
    for path in sorted((BASE / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [node.module]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and named.match(node.value):
                targets = [node.value]
            else:
                continue
            for target in targets:
                top = target.split(".")[0]
                if top in LAYERS and top != app:
                    yield f"{path.relative_to(BASE)}:{node.lineno}", top


def test_every_project_app_has_its_layer():
    assert sorted(PROJECT_APPS) == sorted(LAYERS)


def test_apps_import_only_the_layers_below():
    upward = [
        f"{place} → {target}"
        for app in LAYERS
        for place, target in references(app)
        if LAYERS.index(target) > LAYERS.index(app)
    ]
    assert upward == []


def test_the_check_sees_an_upward_reference(tmp_path, monkeypatch):
    """The walk finds imports and string references: a module of core naming hours is reported."""
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "bad.py").write_text('from hours.models import Declaration\nMODEL = "hours.Item"\n')
    monkeypatch.setattr(f"{__name__}.BASE", tmp_path)
    assert list(references("core")) == [("core/bad.py:1", "hours"), ("core/bad.py:2", "hours")]
