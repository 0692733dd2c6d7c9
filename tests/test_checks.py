"""linreg.checks: the names of devices and dtypes, and the messages of bad input."""

from typing import Any

import pytest
import torch

from linreg import checks


@pytest.mark.parametrize(("name", "dtype"), [("float32", torch.float32), ("float64", torch.float64)])
def test_dtype_names_resolve(name: str, dtype: torch.dtype) -> None:
    assert checks.resolve_dtype(name) is dtype
    assert checks.resolve_dtype(dtype) is dtype


@pytest.mark.parametrize("bad", ["float16", "int32", "double", ""])
def test_unknown_dtype_names_are_rejected_with_the_choices(bad: Any) -> None:
    with pytest.raises(ValueError, match=r"dtype must be one of \['float32', 'float64'\]"):
        checks.resolve_dtype(bad)


def test_cpu_device_resolves_and_unknown_devices_are_rejected() -> None:
    assert checks.resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="device must be one of"):
        checks.resolve_device("gpu")


def test_tensor_check_accepts_a_good_tensor_unchanged() -> None:
    t = torch.ones(2, 3)
    assert checks.tensor("X", t, 2) is t


def test_same_device_and_dtype_names_both_arguments() -> None:
    with pytest.raises(TypeError, match=r"W is torch\.float64 but X is torch\.float32"):
        checks.same_device_and_dtype(X=torch.ones(1), W=torch.ones(1, dtype=torch.float64))


@pytest.mark.parametrize("value", [0, -3, 1.5, True, None])
def test_positive_int_rejects_what_is_not_a_count(value: Any) -> None:
    with pytest.raises(ValueError, match="N must be a positive integer"):
        checks.positive_int("N", value)
