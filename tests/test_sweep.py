"""linreg.sweep against linreg.fit run once per learning rate, the seed's own loop and what it printed."""

from typing import Any, cast

import pytest
import torch
from reference import seed_notebook

from linreg import DivergenceError, fit, init_params, make_data, max_stable_lr, sweep


@pytest.fixture(scope="module")
def seed_problem() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    data = make_data()
    return data.X, data.y_true, *init_params()


def seed_grid(X: torch.Tensor) -> list[float]:
    """The explorer's grid: 99 even steps up to 1.2 x 2/lambda_max, and the seed's 0.07."""
    bound = max_stable_lr(X)
    return sorted({*torch.linspace(1.2 * bound / 99, 1.2 * bound, 99, dtype=torch.float64).tolist(), 0.07})


@pytest.mark.parametrize("method", ["analytic", "autograd"])
def test_each_stable_run_is_fits_run(
    seed_problem: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], method: str
) -> None:
    X, y, W, b = seed_problem
    lrs = [lr for lr in seed_grid(X) if lr < max_stable_lr(X)]
    runs = sweep(X, y, W, b, lrs, epochs=40)
    for i, lr in enumerate(lrs):
        one = fit(X, y, W, b, lr=lr, epochs=40, method=method)
        # Rounding moves theta by ~1e-7 relative, and a loss near its minimum by more, relatively:
        # dL ~ 2 sqrt(L lambda) dtheta. Losses of order 1e-4 then differ by ~1e-5 relative.
        torch.testing.assert_close(runs.losses[i], one.losses, rtol=1e-4, atol=1e-9)
        torch.testing.assert_close(runs.W[i, -1], one.W, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(runs.b[i, -1], one.b, rtol=1e-5, atol=1e-6)
        assert cast(torch.Tensor, runs.final_loss)[i].item() == pytest.approx(
            one.final_loss, rel=1e-4, abs=1e-9
        )
        assert runs.loss_after[i].item() == pytest.approx(one.loss_after, rel=1e-4, abs=1e-9)


def test_the_path_holds_the_parameters_after_each_update(
    seed_problem: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
) -> None:
    X, y, W, b = seed_problem
    runs = sweep(X, y, W, b, [0.07, 0.6], epochs=12)
    assert torch.equal(runs.W[:, 0], W.expand(2, 1, 1))
    assert torch.equal(runs.b[:, 0], b.expand(2, 1))
    for t in (1, 5, 12):
        for i, lr in enumerate([0.07, 0.6]):
            one = fit(X, y, W, b, lr=lr, epochs=t, method="analytic")
            torch.testing.assert_close(runs.W[i, t], one.W, rtol=1e-6, atol=1e-7)
            torch.testing.assert_close(runs.b[i, t], one.b, rtol=1e-6, atol=1e-7)


def test_general_shapes_and_float64_match_fit() -> None:
    data = make_data(N=20, D_in=3, D_out=2, dtype="float64")
    W, b = init_params(3, 2, dtype="float64")
    lrs = [0.01, 0.1, 0.5 * max_stable_lr(data.X, 2)]
    runs = sweep(data.X, data.y_true, W, b, lrs, epochs=25)
    assert runs.losses.shape == (3, 25)
    assert runs.W.shape == (3, 26, 3, 2)
    assert runs.b.shape == (3, 26, 2)
    assert runs.losses.dtype == torch.float64
    assert runs.lrs.dtype == torch.float64
    for i, lr in enumerate(lrs):
        one = fit(data.X, data.y_true, W, b, lr=lr, epochs=25, method="analytic")
        torch.testing.assert_close(runs.losses[i], one.losses, rtol=1e-12, atol=1e-15)
        torch.testing.assert_close(runs.W[i, -1], one.W, rtol=1e-12, atol=1e-15)
        torch.testing.assert_close(runs.b[i, -1], one.b, rtol=1e-12, atol=1e-15)


def test_the_run_at_007_is_the_seeds(
    seed_problem: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
) -> None:
    X, y, W, b = seed_problem
    runs = sweep(X, y, W, b, seed_grid(X), epochs=40)
    i = runs.index(0.07)
    assert runs.lrs[i].item() == 0.07
    seed = seed_notebook.run()
    assert cast(torch.Tensor, runs.final_loss)[i].item() == pytest.approx(seed["loss"].item(), rel=1e-6)
    torch.testing.assert_close(runs.W[i, -1], seed["W"].detach(), rtol=1e-6, atol=0)
    torch.testing.assert_close(runs.b[i, -1], seed["b"].detach(), rtol=1e-6, atol=0)
    assert f"{cast(torch.Tensor, runs.final_loss)[i]:.4f}" == seed_notebook.printed("Final Loss")
    assert f"tensor([[{runs.W[i, -1].item():.4f}]], requires_grad=True)" == seed_notebook.printed("Final W")
    assert f"tensor([{runs.b[i, -1].item():.4f}], requires_grad=True)" == seed_notebook.printed("Final b")


def test_runs_end_where_the_seeds_own_loop_ends(
    seed_problem: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
) -> None:
    X, y, W, b = seed_problem
    lrs = [0.01, 0.07, 0.3, 0.8]
    runs = sweep(X, y, W, b, lrs, epochs=40)
    for i, lr in enumerate(lrs):
        W_seed, b_seed = W.clone().requires_grad_(True), b.clone().requires_grad_(True)
        seed_notebook.loop(X, y, W_seed, b_seed, lr, 40)
        torch.testing.assert_close(runs.W[i, -1], W_seed.detach(), rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(runs.b[i, -1], b_seed.detach(), rtol=1e-5, atol=1e-6)


def test_divergence_is_data_not_an_error(
    seed_problem: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
) -> None:
    X, y, W, b = seed_problem
    bound = max_stable_lr(X)
    huge = 50 * bound  # overflows float32 within 200 epochs
    with pytest.raises(DivergenceError):
        fit(X, y, W, b, lr=huge, epochs=200, method="analytic")
    runs = sweep(X, y, W, b, [0.07, 1.1 * bound, huge], epochs=200)
    assert runs.finite.tolist() == [True, True, False]
    assert runs.diverged.tolist() == [False, True, True]
    assert runs.unstable.tolist() == [False, True, True]
    assert not bool(torch.isfinite(runs.losses[2]).all())
    # a diverging neighbour does not disturb the others
    alone = sweep(X, y, W, b, [0.07], epochs=200)
    assert torch.equal(runs.losses[0], alone.losses[0])
    assert torch.equal(runs.W[0], alone.W[0])


def test_on_the_seeds_grid_exactly_the_runs_above_the_bound_diverge(
    seed_problem: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
) -> None:
    X, y, W, b = seed_problem
    runs = sweep(X, y, W, b, seed_grid(X), epochs=40)
    assert len(runs.lrs) == 100
    assert runs.max_stable_lr == max_stable_lr(X)
    assert runs.unstable.any()
    assert torch.equal(runs.diverged, runs.unstable)
    assert bool(runs.finite.all())


def test_inputs_are_kept_and_not_modified(
    seed_problem: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
) -> None:
    X, y, W, b = seed_problem
    W_before, b_before = W.clone(), b.clone()
    runs = sweep(X, y, W, b, torch.tensor([0.07, 0.2], dtype=torch.float64), epochs=3)
    assert torch.equal(W, W_before)
    assert torch.equal(b, b_before)
    assert runs.lrs.tolist() == [0.07, 0.2]
    with pytest.raises(KeyError, match=r"0\.5"):
        runs.index(0.5)


def test_zero_epochs(seed_problem: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]) -> None:
    X, y, W, b = seed_problem
    runs = sweep(X, y, W, b, [0.07, 0.2], epochs=0)
    assert runs.losses.shape == (2, 0)
    assert runs.W.shape == (2, 1, 1, 1)
    assert runs.final_loss is None
    assert runs.loss_after.tolist() == [fit(X, y, W, b, epochs=0).loss_after] * 2
    assert not runs.diverged.any()


@pytest.mark.parametrize(
    ("lrs", "error", "match"),
    [
        ([], ValueError, "at least one"),
        ([0.1, -0.1], ValueError, "positive"),
        ([0.1, float("nan")], ValueError, "finite"),
        (torch.ones(2, 2), ValueError, "one-dimensional"),
        (["0.1"], TypeError, "real number"),
    ],
)
def test_bad_learning_rates_are_refused(
    seed_problem: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
    lrs: Any,
    error: type[Exception],
    match: str,
) -> None:
    X, y, W, b = seed_problem
    with pytest.raises(error, match=match):
        sweep(X, y, W, b, lrs, epochs=3)


def test_bad_problems_are_refused_as_fit_refuses_them(
    seed_problem: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
) -> None:
    X, y, W, b = seed_problem
    with pytest.raises(ValueError, match="rows"):
        sweep(X[:5], y, W, b, [0.1])
    with pytest.raises(TypeError, match="epochs"):
        sweep(X, y, W, b, [0.1], epochs=2.5)  # type: ignore[arg-type]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_on_cuda_the_runs_stay_there_and_match_the_cpus(
    seed_problem: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor],
) -> None:
    lrs = [0.07, 0.5, 1.0]
    cpu = sweep(*seed_problem, lrs, epochs=40)
    # mypy cannot count the four tensors the generator unpacks before lrs.
    gpu = sweep(*(t.cuda() for t in seed_problem), lrs, epochs=40)  # type: ignore[arg-type, call-arg, misc]
    assert gpu.losses.device.type == "cuda"
    assert gpu.W.device.type == "cuda"
    torch.testing.assert_close(gpu.losses.cpu(), cpu.losses, rtol=1e-4, atol=1e-9)
    torch.testing.assert_close(gpu.W.cpu(), cpu.W, rtol=1e-4, atol=1e-6)
    assert gpu.diverged.tolist() == cpu.diverged.tolist()
