"""Replay Read the Docs' build of this project, step by step, offline: ``tools/rtd_replay.py --workdir DIR``.

The steps and commands are Read the Docs' own (readthedocs/readthedocs.org, doc_builder/) for a
project with ``python.install`` entries (a requirements file: the lock; then ``.[docs]``),
``sphinx.configuration``, ``fail_on_warning`` and the PDF format: a clean clone of HEAD; a fresh
venv; ``pip install --upgrade pip setuptools`` and the latest Sphinx; the ``build.jobs`` of
``.readthedocs.yaml`` at their places; ``pip install --exists-action=w -r <lock>``; ``pip install
--upgrade-strategy only-if-needed .[docs]``; in the configuration's folder ``python -m sphinx -T
-W --keep-going -b html -d _build/doctrees -D language=en . $READTHEDOCS_OUTPUT/html``, then the
same with ``-b latex`` into ``_build/latex`` and ``latexmk`` for the PDF. Every command runs with
Read the Docs' environment variables and without PYTHONPATH; the variables of this process that
choose the CPU kernels (``ATEN_CPU_CAPABILITY``, ``OMP_NUM_THREADS``, ``MKL_CBWR``) pass through,
and are recorded. It differs in one thing: the venv uses Python 3.11 (``--python``), because this
machine's CPU torch wheel is for 3.11, so the lock installed is that Python's (``lock/py3.11.txt``
for the config's ``lock/py3.12.txt``); and pip falls back from the unreachable PyTorch CPU index
to that wheel (one retry, not five). After the install it checks that every package the lock pins
is installed at the lock's version.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
TORCH_INFO = (
    "import json, importlib.metadata as m, torch; print(json.dumps({'version': torch.__version__, 'cuda': "
    "torch.version.cuda, 'nvidia': sorted(n for d in m.distributions() if (n := d.metadata['Name']).lower()"
    ".startswith('nvidia'))}))"
)
# What the venv holds of each package a lock pins: {name: installed version or None}.
INSTALLED = (
    "import json, sys, importlib.metadata as m\n"
    "def version(n):\n"
    "    try:\n"
    "        return m.version(n)\n"
    "    except m.PackageNotFoundError:\n"
    "        return None\n"
    "print(json.dumps({n: version(n) for n in sys.argv[1:]}))"
)
KERNELS = ("ATEN_CPU_CAPABILITY", "OMP_NUM_THREADS", "MKL_CBWR")


def pins(lock: Path) -> dict[str, str]:
    """The exact versions a lock (``uv pip compile``'s output) pins: {name: version}."""
    found = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", lock.read_text(), re.M)
    return {name: version for name, version in found}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, required=True, help="an empty folder for the clone and venv")
    parser.add_argument("--python", default="python3.11", help="the interpreter of the venv")
    parser.add_argument(
        "--clone-url", default="https://github.com/example/linreg.git", help="READTHEDOCS_GIT_CLONE_URL"
    )
    args = parser.parse_args(argv)
    work, problems = args.workdir, []
    steps: list[dict[str, Any]] = []
    work.mkdir(parents=True, exist_ok=True)
    checkout, venv = work / "checkout", work / "venv"

    def run(step: str, command: list[str] | str, cwd: Path = checkout) -> str:
        start = time.monotonic()
        done = subprocess.run(
            command, cwd=cwd, env=env, shell=isinstance(command, str), capture_output=True, text=True
        )
        shown = command if isinstance(command, str) else " ".join(command)
        steps.append({"step": step, "command": shown, "seconds": round(time.monotonic() - start, 1)})
        print(f"==> [{step}] {shown} ({steps[-1]['seconds']} s, exit {done.returncode})", flush=True)
        print(done.stdout + done.stderr, flush=True)
        if done.returncode:
            raise RuntimeError(f"step {step!r} failed: {shown}")
        return done.stdout + done.stderr

    env = {k: v for k, v in os.environ.items() if not k.startswith(("READTHEDOCS", "PYTHON", "VIRTUAL_ENV"))}
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}",
        VIRTUAL_ENV=str(venv),
        PIP_RETRIES="1",
        READTHEDOCS="True",
    )
    summary: dict[str, object] = {}
    try:
        run("checkout", ["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(checkout)], cwd=ROOT)
        commit = run("checkout", ["git", "rev-parse", "HEAD"]).strip()
        env.update(
            READTHEDOCS_OUTPUT=f"{checkout / '_readthedocs'}/",
            READTHEDOCS_PROJECT="linreg",
            READTHEDOCS_LANGUAGE="en",
            READTHEDOCS_VERSION="latest",
            READTHEDOCS_VERSION_NAME="latest",
            READTHEDOCS_VERSION_TYPE="branch",
            READTHEDOCS_CANONICAL_URL="https://linreg.readthedocs.io/en/latest/",
            READTHEDOCS_GIT_CLONE_URL=args.clone_url,
            READTHEDOCS_GIT_IDENTIFIER="main",
            READTHEDOCS_GIT_COMMIT_HASH=commit,
            READTHEDOCS_VIRTUALENV_PATH=str(venv),
        )
        config = yaml.safe_load((checkout / ".readthedocs.yaml").read_text())
        jobs = config["build"].get("jobs", {})
        for command in jobs.get("post_checkout", []) + jobs.get("pre_create_environment", []):
            run("job", command)
        run("create_environment", [shutil.which(args.python) or args.python, "-m", "venv", str(venv)])
        python = run("python", ["python", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]).strip()
        pip = ["python", "-m", "pip", "install", "--upgrade", "--no-cache-dir"]
        run("install", [*pip, "pip", "setuptools"])
        run("install", [*pip, "sphinx"])
        for command in jobs.get("pre_install", []):
            run("pre_install", command)

        def torch_info() -> dict[str, Any]:
            return json.loads(  # type: ignore[no-any-return]
                next(x for x in run("torch", ["python", "-c", TORCH_INFO]).splitlines() if x[:1] == "{")
            )

        before = torch_info()
        locks = []
        for entry in config["python"]["install"]:
            if "requirements" in entry:
                # The config names the lock of Read the Docs' Python; this venv's Python has its own.
                lock = re.sub(r"py\d+\.\d+\.txt$", f"py{python}.txt", entry["requirements"])
                locks.append(lock)
                requirements = ["--exists-action=w", "--no-cache-dir", "-r", lock]
                run("install", ["python", "-m", "pip", "install", *requirements])
                continue
            project = f"{entry['path']}[{','.join(entry['extra_requirements'])}]"
            run("install", [*pip, "--upgrade-strategy", "only-if-needed", project])
        for command in jobs.get("post_install", []) + jobs.get("pre_build", []):
            run("job", command)
        after = torch_info()
        for lock in locks:
            pinned = pins(checkout / lock)
            shown = run("locked", ["python", "-c", INSTALLED, *pinned])
            installed = json.loads(next(x for x in reversed(shown.splitlines()) if x[:1] == "{"))
            wrong = {n: (v, installed[n]) for n, v in pinned.items() if installed[n] != v}
            if wrong:
                problems.append(f"not as {lock} pins them (pinned, installed): {wrong}")
        docs = (checkout / config["sphinx"]["configuration"]).parent
        strict = ["-W", "--keep-going"] if config["sphinx"].get("fail_on_warning") else []

        def sphinx(builder: str, out: str) -> str:
            command = ["python", "-m", "sphinx", "-T", *strict, "-b", builder, "-d", "_build/doctrees"]
            return run("build", [*command, "-D", "language=en", ".", out], cwd=docs)

        log = sphinx("html", f"{env['READTHEDOCS_OUTPUT']}html")
        if "pdf" in config.get("formats", []):
            log += sphinx("latex", "_build/latex")
            run(
                "build",
                "latexmk -xelatex -interaction=nonstopmode -halt-on-error *.tex",
                cwd=docs / "_build" / "latex",
            )
        summary = {
            "commit": commit,
            "python": python,
            "locks": locks,
            "kernels": {k: env.get(k) for k in KERNELS},
            "torch": after,
            "html": f"{env['READTHEDOCS_OUTPUT']}html",
            "pdf": [str(p) for p in (docs / "_build" / "latex").glob("*.pdf")],
            "executions": log.count("Executing notebook"),
            "warnings": log.count("WARNING"),
        }
        if after != before:
            problems.append(f"the project's install replaced the pre_install torch: {before} -> {after}")
        if after["cuda"] is not None or not after["version"].endswith("+cpu") or after["nvidia"]:
            problems.append(f"torch is not a CPU build: {after}")
        if (checkout / "_build" / "html").exists():
            problems.append("_build/html exists in the checkout: Read the Docs fails such a build")
    except (RuntimeError, KeyError, ValueError) as error:
        problems.append(str(error))
    summary |= {
        "ok": not problems,
        "problems": problems,
        "steps": steps,
        "seconds": sum(s["seconds"] for s in steps),
    }
    (work / "replay.json").write_text(json.dumps(summary, indent=1))
    shutil.rmtree(venv, ignore_errors=True)  # ~1.3 GB
    print(json.dumps({k: v for k, v in summary.items() if k != "steps"}, indent=1))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
