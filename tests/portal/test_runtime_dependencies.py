"""The portal runs on what pyproject.toml's [project.dependencies] install, not on what the test
extra happens to bring along. Jinja2 (the form renderer's) came only through flask, a test
dependency of moto: a production install would have failed on the first form. A child process
blocks every module that only the test extra provides, then starts Django, imports every module
of the apps and renders pages with forms, the admin's included."""
import subprocess
import sys
import textwrap
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.helpers import PROJECT_APPS

BASE_DIR = Path(__file__).resolve().parents[2]


def closure(requirements, extras=("",)):
    """The distributions these requirement strings install, with everything they require."""
    seen, todo = set(), [(Requirement(r), extras) for r in requirements]
    while todo:
        requirement, wanted = todo.pop()
        environment = default_environment()
        if requirement.marker and not any(requirement.marker.evaluate({**environment, "extra": e}) for e in wanted):
            continue
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        todo += [(Requirement(r), ("", *requirement.extras)) for r in metadata.requires(requirement.name) or []]
    return seen


def test_nothing_the_portal_runs_comes_only_with_the_test_extra():
    project = tomllib.loads((BASE_DIR / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = closure(project["dependencies"])
    test_only = closure(project["optional-dependencies"]["test"]) - runtime
    modules = sorted({
        module for module, distributions in metadata.packages_distributions().items()
        if module.isidentifier() and all(canonicalize_name(d) in test_only for d in distributions)
    })
    assert "flask" in modules and "django" not in modules  # the closures are computed, not empty

    script = textwrap.dedent(f"""
        import importlib, pkgutil, sys
        BLOCKED = set({modules!r})

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError(f"{{name}} comes only with the test extra")

        sys.meta_path.insert(0, Block())
        import django
        django.setup()
        for app in {list(PROJECT_APPS)!r}:
            package = importlib.import_module(app)
            for info in pkgutil.walk_packages(package.__path__, app + "."):
                if not info.name.startswith("portal.settings."):  # the others refuse to start without their environment
                    importlib.import_module(info.name)
        from django.core.management import call_command
        call_command("migrate", verbosity=0)
        from django.test import Client
        from django.test.utils import setup_test_environment
        from accounts.models import User
        setup_test_environment()
        client = Client()
        assert client.get("/accounts/login/").status_code == 200
        client.force_login(User.objects.create_superuser("root", password="x" * 12))
        for url in ("/admin/accounts/membership/add/", "/admin/hours/ruleset/"):
            assert client.get(url).status_code == 200, url
        print("ok")
    """)
    env = {"DJANGO_SETTINGS_MODULE": "portal.settings.test", "DATABASE_URL": "sqlite://:memory:", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-3000:]
