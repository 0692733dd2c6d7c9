"""linreg.data against the seed's own code and its printed outputs."""

from typing import Any

import pytest
import torch
from reference import seed_notebook

from linreg import init_params, make_data


def test_default_data_is_the_seeds_data_bit_for_bit() -> None:
    seed = seed_notebook.run()
    data = make_data()
    assert torch.equal(data.X, seed["X"])
    assert torch.equal(data.y_true, seed["y_true"])


def test_default_initial_parameters_are_the_seeds_and_equal_x0_x1() -> None:
    seed = seed_notebook.run()
    W, b = init_params()
    assert torch.equal(W, seed["W0"])
    assert torch.equal(b, seed["b0"])
    X = make_data().X
    assert W.item() == X[0, 0].item()
    assert b.item() == X[1, 0].item()


def test_general_shapes_and_the_targets_formula() -> None:
    W_true = torch.arange(6.0).reshape(3, 2)
    b_true = torch.tensor([0.5, -1.0])
    data = make_data(N=7, D_in=3, D_out=2, W_true=W_true, b_true=b_true, seed=3)
    assert data.X.shape == (7, 3)
    assert data.y_true.shape == (7, 2)
    # y_true's entries from the sum written out, not from a matmul
    for i in range(7):
        for k in range(2):
            expected = sum(data.X[i, j].item() * W_true[j, k].item() for j in range(3)) + b_true[k].item()
            assert data.y_true[i, k].item() == pytest.approx(expected, rel=1e-6, abs=1e-6)


def test_b_has_shape_d_out_and_d_out_1_draws_the_seeds_numbers() -> None:
    W, b = init_params(D_in=4, D_out=3)
    assert W.shape == (4, 3)
    assert b.shape == (3,)
    torch.manual_seed(42)
    expected_W = torch.randn(4, 3)
    expected_b = torch.randn(3)
    assert torch.equal(W, expected_W)
    assert torch.equal(b, expected_b)


def test_float64_solves_the_same_problem_in_more_precision() -> None:
    d32, d64 = make_data(dtype="float32"), make_data(dtype="float64")
    assert d64.X.dtype == torch.float64
    assert torch.equal(d64.X.float(), d32.X)


def test_seed_changes_the_draw() -> None:
    assert not torch.equal(make_data(seed=1).X, make_data(seed=2).X)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"N": 0}, ValueError, "N must be a positive integer"),
        ({"N": 2.5}, ValueError, "N must be a positive integer"),
        ({"D_in": -1}, ValueError, "D_in must be a positive integer"),
        ({"D_out": True}, ValueError, "D_out must be a positive integer"),
        ({"W_true": torch.ones(2, 1)}, ValueError, r"W_true must have shape \(1, 1\)"),
        ({"W_true": 2.0}, ValueError, "W_true must have shape"),
        ({"b_true": torch.ones(3)}, ValueError, r"b_true must have shape \(1,\)"),
        ({"W_true": torch.tensor([[float("nan")]])}, ValueError, "W_true contains NaN"),
        ({"W_true": torch.tensor([[2]])}, TypeError, "W_true must be float32 or float64"),
        ({"dtype": "float16"}, ValueError, "dtype must be one of"),
        ({"dtype": torch.int64}, TypeError, "dtype must be float32 or float64"),
        ({"device": "tpu"}, ValueError, "device must be one of"),
        ({"seed": "42"}, TypeError, "seed must be an integer"),
    ],
)
def test_bad_arguments_name_the_problem(kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        make_data(**kwargs)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised where CUDA is absent")
def test_cuda_without_a_gpu_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="CUDA is not available"):
        make_data(device="cuda")


def test_auto_device_picks_cuda_only_when_present() -> None:
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert make_data(device="auto").X.device.type == expected
