"""Replay Read the Docs' build of this project, step by step, on a clean clone, offline.

    python tools/rtd_replay.py [--workdir DIR] [--keep-venv] [--clone-url URL]

Read the Docs (readthedocs/readthedocs.org, doc_builder/) builds a project configured like
ours with these steps, which this script runs in the same order and with the same commands:

1. a clean checkout of the commit (here: `git clone` of this repository's committed HEAD;
   uncommitted edits are not part of a hosted build, so they are not part of this one);
2. a fresh virtual environment;
3. `python -m pip install --upgrade --no-cache-dir pip setuptools`;
4. `python -m pip install --upgrade --no-cache-dir sphinx` (the latest Sphinx, unpinned);
5. the `build.jobs.pre_install` commands, read from `.readthedocs.yaml` (not copied here);
6. `python -m pip install --upgrade --upgrade-strategy only-if-needed --no-cache-dir .[docs]`
   for each `python.install` entry;
7. in the folder of `sphinx.configuration`:
   `python -m sphinx -T -W --keep-going -b html -d _build/doctrees -D language=en .
   $READTHEDOCS_OUTPUT/html` (`-W --keep-going` because `sphinx.fail_on_warning: true`).

Every command runs with Read the Docs' environment: `READTHEDOCS=True`,
`READTHEDOCS_OUTPUT=<checkout>/_readthedocs/`, `READTHEDOCS_GIT_CLONE_URL` and the other
`READTHEDOCS_*` variables, the virtual environment first on `PATH`, and no `PYTHONPATH`.
Other `build.jobs` (post_checkout, pre/post_create_environment, post_install, pre/post_build)
run at their places too, should the configuration gain any.

What differs from the hosted build, and why:
- Python: Read the Docs uses `build.tools.python` (3.12); this replay uses `--python`
  (default 3.11), because the CPU torch wheel this machine holds is for 3.11 and a 3.12
  torch here would be a multi-GB CUDA build.
- The PyTorch CPU index is unreachable here: pip reports it and falls back to the indexes in
  this machine's pip configuration, where the only release that satisfies the `+cpu` pin is
  the local CPU wheel. pip's retries are cut to one (`PIP_RETRIES=1`) so that the dead index
  costs seconds, not a minute and a half. The replay checks that the torch installed is a
  CPU build and that the project install kept it.

On success it prints a summary (and writes it to `<workdir>/replay.json`): the commit, the
step timings, the versions of Python, Sphinx and torch, and the path of the built site.
Exit status: 0 when every step succeeded and the checks held, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
# Read the Docs runs these custom jobs around its own steps, in this order.
JOBS_BEFORE_VENV = ("post_checkout", "pre_create_environment")
DEFAULT_CLONE_URL = "https://github.com/example/linreg.git"


class ReplayError(RuntimeError):
    pass


class Replay:
    def __init__(self, workdir: Path, python: str, clone_url: str, log: Any = sys.stdout) -> None:
        self.workdir = workdir
        self.checkout = workdir / "checkout"
        self.venv = workdir / "venv"
        self.python = python
        self.clone_url = clone_url
        self.log = log
        self.steps: list[dict[str, Any]] = []
        self.env: dict[str, str] = {}

    # -- running commands -------------------------------------------------------------------

    def say(self, text: str) -> None:
        print(text, file=self.log, flush=True)

    def run(self, name: str, command: list[str] | str, cwd: Path, env: dict[str, str] | None = None) -> str:
        """Run one step; its output goes to the log; a failure stops the replay."""
        shown = command if isinstance(command, str) else shlex.join(command)
        self.say(f"\n==> [{name}] {shown}  (in {cwd})")
        start = time.monotonic()
        proc = subprocess.run(
            command,
            cwd=cwd,
            env=env if env is not None else self.env,
            shell=isinstance(command, str),
            executable="/bin/bash" if isinstance(command, str) else None,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        seconds = round(time.monotonic() - start, 1)
        self.say(proc.stdout.rstrip())
        self.steps.append({"step": name, "command": shown, "seconds": seconds, "exit": proc.returncode})
        self.say(f"<== [{name}] exit {proc.returncode} in {seconds} s")
        if proc.returncode != 0:
            raise ReplayError(f"step {name!r} failed (exit {proc.returncode}): {shown}")
        return proc.stdout

    def jobs(self, config: dict[str, Any], job: str) -> None:
        for command in config.get("build", {}).get("jobs", {}).get(job, []):
            self.run(job, command, self.checkout)

    def venv_python(self, code: str) -> str:
        out = subprocess.run(
            ["python", "-c", code],
            cwd=self.checkout,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()

    # -- the build ----------------------------------------------------------------------------

    def rtd_env(self, commit: str) -> dict[str, str]:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("READTHEDOCS", "PYTHON", "VIRTUAL_ENV"))
        }
        # Read the Docs removes PYTHONPATH; PYTHONHOME and the like are not set there either.
        env.update(
            PATH=f"{self.venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            VIRTUAL_ENV=str(self.venv),
            READTHEDOCS="True",
            READTHEDOCS_OUTPUT=str(self.checkout / "_readthedocs") + "/",
            READTHEDOCS_VIRTUALENV_PATH=str(self.venv),
            READTHEDOCS_PROJECT="linreg",
            READTHEDOCS_LANGUAGE="en",
            READTHEDOCS_VERSION="latest",
            READTHEDOCS_VERSION_NAME="latest",
            READTHEDOCS_VERSION_TYPE="branch",
            READTHEDOCS_CANONICAL_URL="https://linreg.readthedocs.io/en/latest/",
            READTHEDOCS_GIT_CLONE_URL=self.clone_url,
            READTHEDOCS_GIT_IDENTIFIER="main",
            READTHEDOCS_GIT_COMMIT_HASH=commit,
        )
        # Offline, pip retries the unreachable PyTorch CPU index 5 times for torch and for each
        # of its dependencies (~80 s); one retry keeps a transient failure survivable.
        env.setdefault("PIP_RETRIES", "1")
        return env

    def replay(self) -> dict[str, Any]:
        started = time.monotonic()
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.checkout.exists() or self.venv.exists():
            raise ReplayError(f"{self.workdir} already holds a checkout or venv: use an empty folder")

        # 1. A clean checkout of the committed HEAD.
        self.run(
            "checkout", ["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(self.checkout)], ROOT
        )
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=self.checkout, capture_output=True, text=True, check=True
        ).stdout.strip()
        config = yaml.safe_load((self.checkout / ".readthedocs.yaml").read_text(encoding="utf-8"))
        self.env = self.rtd_env(commit)
        for job in JOBS_BEFORE_VENV:
            self.jobs(config, job)

        # 2. A fresh virtual environment.
        base = shutil.which(self.python)
        if base is None:
            raise ReplayError(f"no {self.python} on PATH")
        base = subprocess.run(
            [base, "-c", "import sys; print(sys.executable)"], capture_output=True, text=True, check=True
        ).stdout.strip()
        self.run("create_environment", [base, "-m", "venv", str(self.venv)], self.checkout)
        self.jobs(config, "post_create_environment")

        # 3, 4. The pip upgrades Read the Docs makes, the latest Sphinx unpinned.
        pip = ["python", "-m", "pip", "install", "--upgrade", "--no-cache-dir"]
        self.run("install", [*pip, "pip", "setuptools"], self.checkout)
        self.run("install", [*pip, "sphinx"], self.checkout)

        # 5. pre_install, from the configuration: the CPU torch.
        self.jobs(config, "pre_install")
        torch_before = self.torch()

        # 6. The project with its extras, `only-if-needed`: the torch above must stay.
        for entry in config.get("python", {}).get("install", []):
            if "requirements" in entry:
                self.run("install", [*pip, "--exist-action=w", "-r", entry["requirements"]], self.checkout)
                continue
            target = entry["path"]
            if entry.get("extra_requirements"):
                target += "[" + ",".join(entry["extra_requirements"]) + "]"
            self.run(
                "install", [*pip[:-1], "--upgrade-strategy", "only-if-needed", pip[-1], target], self.checkout
            )
        self.jobs(config, "post_install")
        torch_after = self.torch()

        # 7. The Sphinx build, from the configuration's folder.
        self.jobs(config, "pre_build")
        sphinx_cfg = config["sphinx"]
        docs = (self.checkout / sphinx_cfg["configuration"]).parent
        output = Path(self.env["READTHEDOCS_OUTPUT"]) / "html"
        command = ["python", "-m", "sphinx", "-T"]
        if sphinx_cfg.get("fail_on_warning"):
            command += ["-W", "--keep-going"]
        command += ["-b", sphinx_cfg.get("builder", "html"), "-d", "_build/doctrees", "-D", "language=en"]
        command += [".", str(output)]
        build_log = self.run("build", command, docs)
        self.jobs(config, "post_build")

        # The checks Read the Docs makes after the build, and ours on torch.
        problems = []
        if (self.checkout / "_build" / "html").exists():
            problems.append("_build/html exists in the checkout: Read the Docs fails such a build")
        if not (output / "index.html").is_file():
            problems.append(f"no {output / 'index.html'}")
        if torch_after != torch_before:
            problems.append(
                f"the project install replaced the pre_install torch: {torch_before} -> {torch_after}"
            )
        if torch_after["cuda"] is not None or not torch_after["version"].endswith("+cpu"):
            problems.append(f"torch is not a CPU build: {torch_after}")
        if torch_after["nvidia"]:
            problems.append(f"CUDA libraries were installed: {torch_after['nvidia']}")

        summary = {
            "ok": not problems,
            "problems": problems,
            "commit": commit,
            "python": self.venv_python("import sys; print(sys.version.split()[0])"),
            "python_on_read_the_docs": config["build"]["tools"]["python"],
            "sphinx": self.venv_python("import sphinx; print(sphinx.__version__)"),
            "torch": torch_after,
            "venv_mb": round(sum(f.stat().st_size for f in self.venv.rglob("*") if f.is_file()) / 1e6),
            "html": str(output),
            "warnings_in_build_log": build_log.count("WARNING"),
            "steps": self.steps,
            "seconds": round(time.monotonic() - started, 1),
        }
        return summary

    def torch(self) -> dict[str, Any]:
        info = json.loads(
            self.venv_python(
                "import json, importlib.metadata as m, torch;"
                "print(json.dumps({'version': torch.__version__, 'cuda': torch.version.cuda,"
                "'nvidia': sorted(d.metadata['Name'] for d in m.distributions()"
                " if d.metadata['Name'].lower().startswith('nvidia'))}))"
            )
        )
        self.say(f"    torch in the venv: {info}")
        return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workdir", type=Path, help="an empty folder for the clone and venv (default: a temp folder)"
    )
    parser.add_argument(
        "--python", default="python3.11", help="the interpreter for the venv (default python3.11)"
    )
    parser.add_argument(
        "--clone-url", default=DEFAULT_CLONE_URL, help="READTHEDOCS_GIT_CLONE_URL for the build"
    )
    parser.add_argument("--keep-venv", action="store_true", help="keep the venv (~1.3 GB) after the replay")
    args = parser.parse_args(argv)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="rtd-replay-"))
    replay = Replay(workdir, args.python, args.clone_url)
    try:
        summary = replay.replay()
    except (ReplayError, subprocess.CalledProcessError) as error:
        summary = {"ok": False, "problems": [str(error)], "steps": replay.steps}
    finally:
        if not args.keep_venv:
            shutil.rmtree(replay.venv, ignore_errors=True)
    (workdir / "replay.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print("\n" + json.dumps({k: v for k, v in summary.items() if k != "steps"}, indent=2))
    for step in summary["steps"]:
        print(f"{step['seconds']:>7} s  {step['step']:<20} {step['command'][:100]}")
    print(f"replay {'succeeded' if summary['ok'] else 'FAILED'}; log and site under {workdir}")
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
