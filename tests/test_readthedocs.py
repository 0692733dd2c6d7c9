"""`.readthedocs.yaml`: valid by Read the Docs' own schema, and right where the schema is silent.

The schema (tests/data/readthedocs-v2.schema.json, see tests/data/SOURCE.md) says what Read
the Docs accepts; the other tests pin what this book needs: a CPU-only torch, the `docs`
extra, the Sphinx configuration that exists, warnings as errors.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".readthedocs.yaml"
DATA = Path(__file__).resolve().parent / "data"
SCHEMA = DATA / "readthedocs-v2.schema.json"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return yaml.safe_load(CONFIG.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def pip_installs(commands: list[str]) -> list[list[str]]:
    """The argument lists of the `python -m pip install ...` commands among ``commands``."""
    found = []
    for command in commands:
        words = shlex.split(command)
        if words[:4] == ["python", "-m", "pip", "install"]:
            found.append(words[4:])
    return found


def option(args: list[str], name: str) -> list[str]:
    """Every value given to a pip option, in either `--opt value` or `--opt=value` form."""
    values = []
    for i, word in enumerate(args):
        if word == name and i + 1 < len(args):
            values.append(args[i + 1])
        elif word.startswith(name + "="):
            values.append(word.split("=", 1)[1])
    return values


def torch_requirements(config: dict[str, Any]) -> list[tuple[list[str], Requirement]]:
    """Each torch requirement installed by a pre_install command, with that command's arguments."""
    found = []
    for args in pip_installs(config["build"]["jobs"]["pre_install"]):
        for word in args:
            if not word.startswith("-") and re.match(r"torch\b", word):
                found.append((args, Requirement(word)))
    return found


# --- the schema ---------------------------------------------------------------------------------


def test_schema_copy_is_the_one_its_source_note_names() -> None:
    note = (DATA / "SOURCE.md").read_text(encoding="utf-8")
    digest = hashlib.sha256(SCHEMA.read_bytes()).hexdigest()
    assert f"sha256 {digest}" in note, "the schema was changed without updating tests/data/SOURCE.md"


def test_config_is_valid_by_read_the_docs_schema(config, validator) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(config)]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize(
    ("what", "breakage"),
    [
        ("an unknown version", lambda c: c.update(version=3)),
        ("an unknown image", lambda c: c["build"].update(os="ubuntu-18.04")),
        ("an unknown Python", lambda c: c["build"]["tools"].update(python="3.99")),
        ("a misspelt build job", lambda c: c["build"]["jobs"].update(pre_instal=["true"])),
        ("a command that is not a string", lambda c: c["build"]["jobs"].update(pre_install=[["pip"]])),
        ("fail_on_warning as a string", lambda c: c["sphinx"].update(fail_on_warning="yes")),
        ("sphinx without configuration", lambda c: c["sphinx"].pop("configuration")),
        ("an install entry without path", lambda c: c["python"]["install"][0].pop("path")),
    ],
)
def test_schema_rejects_a_broken_copy_of_the_config(config, validator, what, breakage) -> None:
    broken = copy.deepcopy(config)
    breakage(broken)
    assert not validator.is_valid(broken), f"the schema accepted {what}"


# --- what the schema cannot check ---------------------------------------------------------------


def test_build_image_python_and_warnings_as_errors(config) -> None:
    assert config["build"]["os"] == "ubuntu-24.04"
    assert config["build"]["tools"]["python"] == "3.12"
    assert config["sphinx"]["fail_on_warning"] is True


def test_sphinx_configuration_path_exists(config) -> None:
    conf = ROOT / config["sphinx"]["configuration"]
    assert conf.name == "conf.py"
    assert conf.is_file(), f"{conf} does not exist"
    assert conf.resolve().is_relative_to(ROOT)


def test_read_the_docs_default_install_and_build_steps_are_not_overridden(config) -> None:
    """The replay (tools/rtd_replay.py) follows Read the Docs' default steps; an override would
    make Read the Docs skip `python.install` or the Sphinx build it replays."""
    jobs = config["build"]["jobs"]
    overridden = {"create_environment", "install", "build"} & jobs.keys()
    assert not overridden, f"build.jobs overrides {overridden}"
    assert "commands" not in config["build"]


def test_project_is_installed_with_its_docs_extra(config, pyproject) -> None:
    (install,) = config["python"]["install"]
    assert install.get("method", "pip") == "pip"
    assert (ROOT / install["path"]).resolve() == ROOT
    assert install["extra_requirements"] == ["docs"]
    extras = pyproject["project"]["optional-dependencies"]
    assert "docs" in extras
    docs = {Requirement(r).name for r in extras["docs"]}
    assert {"sphinx", "myst-nb", "sphinx-book-theme", "sphinx-mathjax-offline"} <= docs


def test_torch_comes_from_the_cpu_index(config) -> None:
    found = torch_requirements(config)
    assert len(found) == 1, f"expected one torch install in pre_install, found {found}"
    args, _ = found[0]
    assert option(args, "--index-url") == [CPU_INDEX], "torch must come from the PyTorch CPU index"


def test_torch_requirement_admits_only_cpu_builds(config, pyproject) -> None:
    """The pin carries the CPU wheels' `+cpu` label: PyPI's torch (CUDA, unlabelled) and the
    CUDA indexes' `+cuXXX` builds cannot satisfy it, even from an extra index."""
    ((_, torch),) = torch_requirements(config)
    assert torch.name == "torch"
    specs = list(torch.specifier)
    assert specs, "an unpinned torch resolves to a CUDA build of several GB"
    assert all(s.operator in {"==", "==="} for s in specs), f"{torch} is a range, not a pin"
    pinned = Version(specs[0].version)
    assert pinned.local == "cpu", f"{torch} does not carry the CPU wheels' +cpu label"
    assert torch.specifier.contains(pinned)
    for cuda in (pinned.public, f"{pinned.public}+cu126", f"{pinned.public}+cu130"):
        assert not torch.specifier.contains(cuda), f"{torch} admits the CUDA build {cuda}"
    # Read the Docs' next step, `pip install --upgrade-strategy only-if-needed .[docs]`,
    # keeps this torch only if it satisfies the project's own requirement.
    (project_torch,) = [
        Requirement(r) for r in pyproject["project"]["dependencies"] if Requirement(r).name == "torch"
    ]
    assert project_torch.specifier.contains(pinned), (
        f"{pinned} does not satisfy the project's {project_torch}"
    )


def test_hosted_torch_is_the_release_the_book_is_tested_with(config) -> None:
    ((_, torch),) = torch_requirements(config)
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    match = re.search(r"^TORCH \?= (\S+)$", makefile, re.MULTILINE)
    assert match, "the Makefile no longer sets TORCH"
    tested = Requirement(match.group(1))
    hosted = Version(next(iter(torch.specifier)).version)
    assert tested.specifier.contains(hosted), f"hosted {hosted}, tested with {tested}"


# --- the hosted build, replayed -----------------------------------------------------------------


@pytest.mark.book
def test_read_the_docs_build_replayed_offline_builds_the_site_warning_free(rtd_replay: Any) -> None:
    """tools/rtd_replay.py: Read the Docs' steps, in order, on a clean clone of HEAD, in a fresh
    venv (~90 s here, started by conftest.py when the tests are collected). The site builds
    with -W, on the CPU torch, with the hosted buttons."""
    assert rtd_replay.returncode == 0, f"the replay failed:\n{rtd_replay.log[-10000:]}"
    workdir = rtd_replay.workdir
    summary = json.loads((workdir / "replay.json").read_text(encoding="utf-8"))
    assert summary["ok"], summary["problems"]
    assert [s["step"] for s in summary["steps"]] == [
        "checkout",
        "create_environment",
        "install",  # pip setuptools
        "install",  # sphinx, latest
        "pre_install",  # the CPU torch
        "install",  # .[docs], only-if-needed
        "build",
    ]
    assert summary["warnings_in_build_log"] == 0
    assert summary["torch"]["version"].endswith("+cpu")
    assert summary["torch"]["cuda"] is None
    assert summary["torch"]["nvidia"] == []
    html = Path(summary["html"])
    assert html == workdir / "checkout" / "_readthedocs" / "html"
    # Hosted, the book links its repository and an edit button (READTHEDOCS_GIT_CLONE_URL).
    index = (html / "index.html").read_text(encoding="utf-8")
    repository = rtd_replay.clone_url.removesuffix(".git")
    assert f'href="{repository}"' in index, "no repository button on the hosted book"
    assert f"{repository}/edit/main/docs/index.md" in index, "no edit button on the hosted book"
