"""`.readthedocs.yaml`: valid by Read the Docs' schema (check-jsonschema's copy), right where the
schema is silent, and its build replayed offline (tools/rtd_replay.py)."""

from __future__ import annotations

import copy
import html as html_module
import json
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text())
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
BROKEN = {
    "an unknown version": lambda c: c.update(version=3),
    "an unknown image": lambda c: c["build"].update(os="ubuntu-18.04"),
    "an unknown Python": lambda c: c["build"]["tools"].update(python="3.99"),
    "a misspelt build job": lambda c: c["build"]["jobs"].update(pre_instal=["true"]),
    "fail_on_warning as a string": lambda c: c["sphinx"].update(fail_on_warning="yes"),
    "an unknown format": lambda c: c.update(formats=["djvu"]),
}


def invalid(configs: dict[str, dict[str, Any]], folder: Path) -> set[str]:
    """The names of ``configs`` that check-jsonschema's built-in Read the Docs schema rejects."""
    files = {}
    for name, config in configs.items():
        files[name] = folder / (re.sub(r"\W+", "-", name) + ".yaml")
        files[name].write_text(yaml.safe_dump(config))
    command = [
        sys.executable,
        "-m",
        "check_jsonschema",
        "--builtin-schema",
        "vendor.readthedocs",
        "-o",
        "json",
    ]
    done = subprocess.run([*command, *map(str, files.values())], capture_output=True, text=True)
    report = json.loads(done.stdout)
    bad = {error["filename"] for error in report.get("errors", [])} | {
        error["filename"] for error in report.get("parse_errors", [])
    }
    return {name for name, path in files.items() if str(path) in bad}


def test_the_config_is_valid_and_each_broken_copy_is_not(tmp_path: Path) -> None:
    broken = {}
    for name, breakage in BROKEN.items():
        broken[name] = copy.deepcopy(CONFIG)
        breakage(broken[name])
    assert invalid({"the config": CONFIG, **broken}, tmp_path) == set(BROKEN)


def pip_installs(commands: list[str]) -> list[list[str]]:
    return [shlex.split(c)[4:] for c in commands if shlex.split(c)[:4] == ["python", "-m", "pip", "install"]]


def test_torch_is_a_pinned_cpu_build_from_the_cpu_index_and_the_one_the_book_is_tested_with() -> None:
    ((args),) = pip_installs(CONFIG["build"]["jobs"]["pre_install"])
    assert args[args.index("--index-url") + 1] == "https://download.pytorch.org/whl/cpu"
    (torch,) = [Requirement(a) for a in args if re.match(r"torch\b", a)]
    pinned = Version(next(iter(torch.specifier)).version)
    assert pinned.local == "cpu", f"{torch} admits a CUDA build"
    assert not torch.specifier.contains(pinned.public), f"{torch} admits a CUDA build"
    project = next(Requirement(r) for r in PYPROJECT["project"]["dependencies"] if r.startswith("torch"))
    assert project.specifier.contains(pinned), "the project's install would replace the CPU torch"
    tested = re.search(r"^TORCH \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert tested
    assert Requirement(tested.group(1)).specifier.contains(pinned.public)


def test_the_build_has_what_the_book_needs() -> None:
    assert CONFIG["build"]["tools"]["nodejs"], "KaTeX renders the math with Node at build time"
    assert any(c.startswith("npm ci") for c in CONFIG["build"]["jobs"]["post_install"])
    assert (ROOT / "package-lock.json").is_file()
    (install,) = CONFIG["python"]["install"]
    assert (ROOT / install["path"]).resolve() == ROOT
    assert install["extra_requirements"] == ["docs"]
    assert (ROOT / CONFIG["sphinx"]["configuration"]).is_file()
    assert CONFIG["sphinx"]["fail_on_warning"] is True
    assert CONFIG["formats"] == ["pdf"]
    assert not {"create_environment", "install", "build"} & CONFIG["build"]["jobs"].keys(), (
        "the replay follows the default steps"
    )


@pytest.mark.book
def test_read_the_docs_build_replayed_offline_builds_the_site_warning_free(
    rtd_replay: tuple[int, str, Path],
) -> None:
    """The replay (started when the tests were collected): Read the Docs' steps, on a clean clone of
    HEAD, in a fresh venv, within its 15 minutes; the site and the PDF from one execution."""
    code, log, work = rtd_replay
    summary = json.loads((work / "replay.json").read_text())
    assert code == 0, f"{summary['problems']}\n{log[-8000:]}"
    assert summary["ok"], f"{summary['problems']}\n{log[-8000:]}"
    assert summary["warnings"] == 0
    pages = [p for p in (ROOT / "docs").glob("*.md") if "file_format: mystnb" in p.read_text()]
    assert summary["executions"] == len(pages), "each notebook page runs once: the PDF reuses html's"
    assert summary["seconds"] < 15 * 60
    assert summary["torch"]["version"].endswith("+cpu")
    assert summary["torch"]["cuda"] is None
    assert len(summary["pdf"]) == 1
    html = Path(summary["html"])
    index = (html / "index.html").read_text()
    assert 'href="https://github.com/example/linreg"' in index, "no repository button on the hosted book"
    assert 'pip install "linreg @ https://linreg.readthedocs.io/en/latest/dist/linreg-' in re.sub(
        r"<[^>]+>", "", html_module.unescape(index)
    )
    assert "https://linreg.readthedocs.io/_/downloads/en/latest/pdf/" in index
    for page in ("walkthrough", "checks", "beyond"):
        text = (html / f"{page}.html").read_text()
        assert f"https://mybinder.org/v2/gh/example/linreg/main?urlpath=lab/tree/docs/{page}.ipynb" in text
        assert f"https://colab.research.google.com/github/example/linreg/blob/main/docs/{page}.ipynb" in text
