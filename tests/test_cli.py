"""The command line: output against the seed's printed outputs, options and exit codes."""

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from reference import seed_notebook

from linreg.cli import main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "linreg", *args], capture_output=True, text=True)


def test_python_m_linreg_prints_the_seeds_report_and_exits_0() -> None:
    done = run()
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == seed_notebook.printed_outputs().splitlines()
    assert done.stderr == ""


def test_console_script_is_installed_and_prints_the_same() -> None:
    script = Path(sys.executable).with_name("linreg")
    done = subprocess.run([str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == seed_notebook.printed_outputs().splitlines()


def test_help_lists_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for option in [
        "--lr",
        "--epochs",
        "--seed",
        "--N",
        "--D-in",
        "--D-out",
        "--method",
        "--device",
        "--dtype",
    ]:
        assert option in out


@pytest.mark.parametrize("method", ["analytic", "sufficient"])
def test_other_methods_print_the_same_final_loss(method: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--method", method]) == 0
    assert "Final Loss: 0.0007" in seed_notebook.printed_outputs()
    assert "Final Loss: 0.0007" in capsys.readouterr().out


def test_general_shapes_and_float64(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-N", "6", "--D-in", "3", "--D-out", "2", "--dtype", "float64", "--epochs", "5"]) == 0
    out = capsys.readouterr().out
    assert "X.shape: torch.Size([6, 3])" in out
    assert "W.shape: torch.Size([3, 2])" in out
    assert "dtype=torch.float64" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lr", "-1"], "lr must be a positive finite number"),
        (["--lr", "nan"], "lr must be a positive finite number"),
        (["--epochs", "-3"], "epochs must be >= 0"),
        (["-N", "0"], "N must be a positive integer"),
    ],
)
def test_bad_values_exit_2_with_the_reason(
    args: Any, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.out == ""


@pytest.mark.parametrize(
    "args", [["--method", "newton"], ["--dtype", "float16"], ["--device", "tpu"], ["--lr", "x"]]
)
def test_unknown_choices_exit_2_from_argparse(args: Any, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    assert "invalid" in capsys.readouterr().err


def test_divergence_exits_1_and_names_the_stable_bound() -> None:
    done = run("--lr", "50", "--epochs", "400")
    assert done.returncode == 1
    assert "diverged" in done.stderr
    assert "largest stable learning rate" in done.stderr
    assert done.stdout == ""


def test_a_run_whose_loss_grows_exits_1_naming_lr_and_the_bound() -> None:
    # --lr 1.0 on the seed's data: the bound is 0.9127; the loss grows but stays finite
    done = run("--lr", "1.0")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        "linreg: training diverged: the loss grew: lr=1 is above the largest stable learning rate "
        "for this data, 2/lambda_max = 0.912698, so gradient descent diverges\n"
    )
