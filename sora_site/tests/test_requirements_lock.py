"""The dependency locks: every package pinned with its hashes, production kept lean.

`make lock` compiles each requirements*.in into its requirements*.txt (pip-compile,
`--generate-hashes`); `make run`, `make test` and a deploy install them with
`pip install --require-hashes`. These tests read the files as they are committed, offline:
whether a lock is exactly what pip-compile would write now needs the package index, and is
`make lock-check`'s job in CI.
"""

import ast
import importlib.metadata
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from sora_site.tests.helpers import PROJECT_DIR

LOCKS = ["requirements", "requirements-dev", "requirements-litellm"]
# What only tests, lint or development use; none of it may reach production.
DEV_ONLY = {
    "pytest",
    "pytest-django",
    "pytest-timeout",
    "pytest-env",
    "pytest-playwright",
    "playwright",
    "hypothesis",
    "ruff",
    "mypy",
    "django-stubs",
    "django-stubs-ext",
    "types-psutil",
    "types-tqdm",
    "boto3-stubs",
    "honcho",
    "pip-tools",
}
FIRST_PARTY = {"accounts", "videos", "sora_site", "manage"}


def input_requirements(name: str) -> list[Requirement]:
    """The requirements a .in file lists itself (its -c/-r options are not packages)."""
    requirements = []
    for line in (PROJECT_DIR / f"{name}.in").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            requirements.append(Requirement(line))
    return requirements


def locked(name: str) -> dict[str, tuple[str, list[str]]]:
    """A lock's packages: canonical name -> (the line's specifier, its hashes)."""
    text = (PROJECT_DIR / f"{name}.txt").read_text().replace("\\\n", " ")
    packages: dict[str, tuple[str, list[str]]] = {}
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        words = line.split()
        hashes = [w.removeprefix("--hash=") for w in words if w.startswith("--hash=")]
        requirement = Requirement(words[0])
        assert canonicalize_name(requirement.name) not in packages, (
            f"{name}.txt: {line}"
        )
        packages[canonicalize_name(requirement.name)] = (
            str(requirement.specifier),
            hashes,
        )
    return packages


def pinned_version(specifier: str) -> str:
    """The version of an exact `==` pin; anything else is not a lock."""
    assert specifier.startswith("==") and "," not in specifier and "*" not in specifier
    return specifier.removeprefix("==")


@pytest.mark.parametrize("name", LOCKS)
def test_every_listed_package_is_pinned_with_hashes(name):
    lock = locked(name)
    for requirement in input_requirements(name):
        package = canonicalize_name(requirement.name)
        assert package in lock, (
            f"{package} is in {name}.in but not {name}.txt: make lock"
        )
        specifier, hashes = lock[package]
        version = pinned_version(specifier)
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{name}.in asks for {requirement}, {name}.txt pins {version}: make lock"
        )
        assert hashes, f"{package} has no hash in {name}.txt"


@pytest.mark.parametrize("name", LOCKS)
def test_every_locked_package_is_exact_and_hashed(name):
    lock = locked(name)
    assert lock, f"{name}.txt pins nothing"
    for package, (specifier, hashes) in lock.items():
        pinned_version(specifier)
        assert hashes, f"{package}{specifier} has no hash in {name}.txt"
        for digest in hashes:
            algorithm, _, value = digest.partition(":")
            assert algorithm == "sha256" and len(value) == 64, f"{package}: {digest}"
            int(value, 16)


def test_the_production_lock_holds_no_development_tools():
    assert not DEV_ONLY & set(locked("requirements")), "test tools in requirements.txt"
    assert DEV_ONLY <= set(locked("requirements-dev")), (
        "requirements-dev.txt lacks tools"
    )


def test_the_development_lock_agrees_with_the_production_lock():
    """Installed side by side, both must pin a shared dependency to the same version."""
    production, development = locked("requirements"), locked("requirements-dev")
    for package in production.keys() & development.keys():
        assert production[package][0] == development[package][0], package


@pytest.mark.parametrize("name", ["requirements", "requirements-dev"])
def test_the_virtualenv_runs_what_is_locked(name):
    """The tests run on the locked versions, so what passes here is what ships."""
    wrong = {}
    for package, (specifier, _) in locked(name).items():
        try:
            installed = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed != pinned_version(specifier):
            wrong[package] = (pinned_version(specifier), installed)
    assert not wrong, f"locked vs installed {wrong}: run `make venv`"


def third_party_imports(path: Path) -> set[str]:
    """Top-level names of the modules a file imports at run time, other than ours and
    the stdlib (imports under `if TYPE_CHECKING:` are the type checker's alone)."""
    names: set[str] = set()
    for node in runtime_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names - set(sys.stdlib_module_names) - FIRST_PARTY


def runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of the tree, except the bodies of `if TYPE_CHECKING:` (never run);
    their `else:` branches run, so they are kept."""
    pending = [tree]
    while pending:
        node = pending.pop()
        yield node
        if isinstance(node, ast.If) and is_type_checking(node.test):
            pending.extend(node.orelse)
            pending.append(node.test)
        else:
            pending.extend(ast.iter_child_nodes(node))


def is_type_checking(test: ast.expr) -> bool:
    """`TYPE_CHECKING` or `typing.TYPE_CHECKING`."""
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def test_everything_the_product_imports_is_in_the_production_lock():
    """A runtime import of a package only the development lock has would fail in
    production (only requirements.txt is installed there) while every test passes."""
    production = set(locked("requirements"))
    owners = importlib.metadata.packages_distributions()
    missing = {}
    for app in sorted(FIRST_PARTY - {"manage"}):
        for path in sorted((PROJECT_DIR / app).rglob("*.py")):
            if "tests" in path.relative_to(PROJECT_DIR).parts:
                continue
            for module in third_party_imports(path):
                distributions = {canonicalize_name(d) for d in owners.get(module, [])}
                if not distributions & production:
                    missing[f"{path.relative_to(PROJECT_DIR)}: {module}"] = (
                        distributions
                    )
    assert not missing, f"imported at run time, not in requirements.in: {missing}"


def test_only_imports_made_at_run_time_count(tmp_path):
    """Type-only imports (django_stubs_ext in accounts/admin.py) need no production
    package; an `else:` beside them, or any other import, does."""
    module = tmp_path / "module.py"
    module.write_text(
        "import typing\n"
        "from typing import TYPE_CHECKING\n"
        "import requests\n"
        "if TYPE_CHECKING:\n"
        "    from django_stubs_ext import WithAnnotations\n"
        "    import mypy\n"
        "else:\n"
        "    import yaml\n"
        "if typing.TYPE_CHECKING:\n"
        "    import boto3\n"
        "def f():\n"
        "    import tqdm\n"
    )
    assert third_party_imports(module) == {"requests", "yaml", "tqdm"}
