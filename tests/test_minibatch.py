"""linreg.minibatch against the seed's run, fit, the theory of batch gradients, and loops written out."""

import itertools
import warnings
from collections.abc import Iterable, Iterator
from typing import Any, cast

import pytest
import torch
from reference import seed_notebook
from torch.utils.data import DataLoader, TensorDataset

import linreg
from linreg import DivergenceError, UnstableWarning, fit, fit_batches, fit_minibatch

DATA = linreg.make_data()
X, Y = DATA.X, DATA.y_true
W0, B0 = linreg.init_params()


def noisy(
    N: int = 256, D_in: int = 2, sigma: float = 0.5, seed: int = 1
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """y = X W + b plus Gaussian noise of size sigma, in float64, from a generator of its own."""
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(N, D_in, generator=g, dtype=torch.float64)
    W_true = torch.arange(1.0, D_in + 1, dtype=torch.float64)[:, None]
    y = X @ W_true + 1 + sigma * torch.randn(N, 1, generator=g, dtype=torch.float64)
    return X, y, torch.zeros(D_in, 1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)


def by_hand(
    X: torch.Tensor, y: torch.Tensor, W: torch.Tensor, b: torch.Tensor, lr: float, batches: Iterable[Any]
) -> tuple[torch.Tensor, torch.Tensor]:
    """The steps written out: each batch's mean gradient (linreg.gradients), in the order given."""
    for rows in batches:
        dW, db = linreg.gradients(X[rows], y[rows], W, b)
        W, b = W - lr * dW, b - lr * db
    return W, b


# -- One batch of all N rows is fit, and the seed ------------------------------------------


@pytest.mark.parametrize("batch_size", [10, 11, 10**6])
@pytest.mark.parametrize("method", ["autograd", "analytic"])
def test_one_unshuffled_batch_of_all_rows_is_fit_bit_for_bit(batch_size: Any, method: str) -> None:
    mine = fit_minibatch(X, Y, W0, B0, batch_size, lr=0.07, epochs=40, shuffle=False, method=method)
    full = fit(X, Y, W0, B0, lr=0.07, epochs=40, method=method)
    for a, b in [
        (mine.W, full.W),
        (mine.b, full.b),
        (mine.losses, full.losses),
        (cast(torch.Tensor, mine.y_hat), cast(torch.Tensor, full.y_hat)),
    ]:
        assert torch.equal(a, b)
    assert mine.loss_after == full.loss_after
    assert torch.equal(mine.batch_losses, full.losses)  # one step an epoch
    assert mine.batch_rows.tolist() == [10] * 40


def test_one_batch_is_the_seeds_own_run_bit_for_bit() -> None:
    seed = seed_notebook.run()
    mine = fit_minibatch(X, Y, W0, B0, batch_size=10, lr=0.07, epochs=40, shuffle=False)
    assert torch.equal(mine.W, seed["W"].detach())
    assert torch.equal(mine.b, seed["b"].detach())
    assert torch.equal(cast(torch.Tensor, mine.y_hat), seed["y_hat"].detach())
    assert mine.final_loss == seed["loss"].item()
    seed_notebook.check(W=mine.W, b=mine.b, loss=mine.final_loss, y_hat=mine.y_hat)
    for batches in ([(X, Y)], DataLoader(TensorDataset(X, Y), batch_size=10)):
        streamed = fit_batches(batches, W0, B0, lr=0.07, epochs=40)
        assert torch.equal(streamed.W, seed["W"].detach())
        assert torch.equal(streamed.b, seed["b"].detach())
        assert streamed.final_loss == seed["loss"].item()


# -- The batch gradients average to the full gradient ----------------------------------------


@pytest.mark.parametrize("B", [1, 4, 16, 64])
def test_unshuffled_equal_batches_mean_gradient_is_the_full_gradient(B: int) -> None:
    # In float64 to 1e-14 relative; in float32 to 1e-6 relative (measured: 2e-7 and below).
    X64, y64, W, b = noisy(N=256, D_in=3)
    W = W + 0.3
    full = torch.cat([g.flatten() for g in linreg.gradients(X64, y64, W, b)])
    for dtype, tol in ((torch.float64, 1e-14), (torch.float32, 1e-6)):
        Xd, yd, Wd, bd = (t.to(dtype) for t in (X64, y64, W, b))
        each = [linreg.gradients(Xb, yb, Wd, bd) for Xb, yb in zip(Xd.split(B), yd.split(B), strict=True)]
        mean = torch.stack([torch.cat([dW.flatten(), db]) for dW, db in each]).mean(0)
        assert ((mean.double() - full).abs() <= tol * full.abs().max()).all()


def test_an_epoch_of_small_steps_moves_along_minus_the_full_gradient() -> None:
    # W_epoch - W0 = -lr * sum_k g_k(W_k), and W_k - W0 = O(lr): so (W0 - W_epoch) / (lr * steps)
    # is the mean batch gradient at W0, the full gradient, to O(lr) (float64).
    X64, y64, W, b = noisy()
    full = torch.cat([g.flatten() for g in linreg.gradients(X64, y64, W, b)])
    for lr in (1e-4, 1e-6):
        run = fit_minibatch(X64, y64, W, b, batch_size=32, lr=lr, epochs=1, shuffle=False)
        moved = torch.cat([(W - run.W).flatten(), b - run.b]) / (lr * 8)
        assert ((moved - full).abs() <= 100 * lr * full.abs().max()).all()


def test_each_step_is_its_batchs_own_mean_gradient_the_last_short_batch_too() -> None:
    # N = 10, batch_size = 4: batches of 4, 4 and 2 rows; the last step's gradient is the
    # mean over its 2 rows, not a sum divided by 4.
    X64, y64, W, b = (t.double() for t in (X, Y, W0, B0))
    run = fit_minibatch(X64, y64, W, b, batch_size=4, lr=0.07, epochs=1, shuffle=False, method="analytic")
    assert run.batch_rows.tolist() == [4, 4, 2]
    W_hand, b_hand = by_hand(X64, y64, W, b, 0.07, [slice(0, 4), slice(4, 8), slice(8, 10)])
    assert torch.allclose(run.W, W_hand, rtol=1e-14, atol=0)
    assert torch.allclose(run.b, b_hand, rtol=1e-14, atol=0)
    W_4, _ = by_hand(X64, y64, W, b, 0.07, [slice(0, 4), slice(4, 8)])
    dW, _ = linreg.gradients(X64[8:], y64[8:], W_4, b_hand)
    assert not torch.allclose(run.W, W_4 - 0.07 * dW / 2, rtol=1e-6)  # weighted by 2/4: another step
    # an epoch's loss: on all the rows at its start (fit's); a stream's, its batch losses by their rows
    assert run.losses.tolist() == [linreg.mse(linreg.predict(X64, W, b), y64).item()]
    streamed = fit_batches(list(zip(X64.split(4), y64.split(4), strict=True)), W, b, lr=0.07, epochs=1)
    assert torch.equal(streamed.W, fit_minibatch(X64, y64, W, b, 4, lr=0.07, epochs=1, shuffle=False).W)
    weighted = float((streamed.batch_losses * torch.tensor([0.4, 0.4, 0.2], dtype=torch.float64)).sum())
    assert streamed.losses.tolist() == pytest.approx([weighted], rel=1e-15)


# -- The shuffle: seeded, its own generator ---------------------------------------------------


def test_the_same_seed_gives_the_same_run_and_another_seed_another_order() -> None:
    X64, y64, W, b = noisy(N=50)
    runs = [fit_minibatch(X64, y64, W, b, 8, lr=0.05, epochs=5, seed=s) for s in (3, 3, 4)]
    assert torch.equal(runs[0].W, runs[1].W)
    assert torch.equal(runs[0].batch_losses, runs[1].batch_losses)
    assert not torch.equal(runs[0].batch_losses, runs[2].batch_losses)
    # the order is torch.randperm(N) of a generator seeded once: each epoch a new draw
    g = torch.Generator().manual_seed(3)
    orders = [torch.randperm(50, generator=g) for _ in range(5)]
    W_hand, b_hand = by_hand(X64, y64, W, b, 0.05, [i for order in orders for i in order.split(8)])
    assert torch.allclose(runs[0].W, W_hand, rtol=1e-12)
    assert torch.allclose(runs[0].b, b_hand, rtol=1e-12)
    assert runs[0].batch_rows.tolist() == ([8] * 6 + [2]) * 5


def test_the_global_random_state_is_neither_read_nor_advanced() -> None:
    state = torch.get_rng_state()
    first = fit_minibatch(X, Y, W0, B0, 3, epochs=5, seed=7)
    assert torch.equal(torch.get_rng_state(), state)
    torch.manual_seed(12345)
    again = fit_minibatch(X, Y, W0, B0, 3, epochs=5, seed=7)
    assert torch.equal(first.W, again.W)


def test_a_dataloader_is_the_loop_a_reader_writes_with_it() -> None:
    X64, y64, W, b = noisy(N=50)

    def loader() -> DataLoader[tuple[torch.Tensor, ...]]:
        g = torch.Generator().manual_seed(0)
        return DataLoader(TensorDataset(X64, y64), batch_size=8, shuffle=True, generator=g)

    run = fit_batches(loader(), W, b, lr=0.05, epochs=4)
    reference = loader()  # the same seed: the same orders, epoch after epoch
    W_, b_ = W.clone().requires_grad_(), b.clone().requires_grad_()
    for _ in range(4):
        for Xb, yb in reference:
            loss = torch.mean((Xb @ W_ + b_ - yb) ** 2)
            loss.backward()
            with torch.no_grad():
                W_ -= 0.05 * cast(torch.Tensor, W_.grad)
                b_ -= 0.05 * cast(torch.Tensor, b_.grad)
            cast(torch.Tensor, W_.grad).zero_()
            cast(torch.Tensor, b_.grad).zero_()
    assert torch.equal(run.W, W_.detach())
    assert torch.equal(run.b, b_.detach())
    assert run.batch_rows.tolist()[:7] == [8] * 6 + [2]


def test_a_stream_of_unknown_length_is_read_once_an_epoch() -> None:
    class Stream:  # re-iterable, no __len__: as a reader of a file would be
        reads = 0

        def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
            Stream.reads += 1
            yield from zip(X.split(3), Y.split(3), strict=True)

    run = fit_batches(Stream(), W0, B0, lr=0.07, epochs=40)
    assert len(run.batch_losses) == 40 * 4
    assert run.batch_rows.tolist()[:4] == [3, 3, 3, 1]
    assert Stream.reads == 41  # 40 epochs and the loss of the result
    same = fit_minibatch(X, Y, W0, B0, 3, lr=0.07, epochs=40, shuffle=False)
    assert torch.equal(run.W, same.W)
    assert torch.equal(run.batch_losses, same.batch_losses)
    assert run.loss_after == pytest.approx(same.loss_after, rel=1e-6)


# -- The noise floor -------------------------------------------------------------------------


def test_the_noise_floor_grows_as_the_batch_shrinks_at_a_fixed_lr() -> None:
    # Noisy targets (sigma = 0.5), float64, lr = 0.05: full-batch descent reaches the least loss;
    # smaller batches stop at a floor above it, higher the smaller the batch. The floor: the
    # median of the last 30 epochs' losses (on all rows) above the least. Measured: 1.7e-8,
    # 1.1e-5, 5.9e-4, 6.4e-3 (each 10x the one before, or more); asserted: each at least 2x.
    X64, y64, W, b = noisy()
    W_star, b_star = linreg.closed_form(X64, y64)
    least = float(linreg.mse(linreg.predict(X64, W_star, b_star), y64))
    floors = []
    for B in (256, 64, 16, 4):
        run = fit_minibatch(X64, y64, W, b, B, lr=0.05, epochs=100, seed=0)
        floors.append(float((run.losses[-30:] - least).median()))
    assert floors[0] < 1e-6
    assert all(later >= 2 * earlier for earlier, later in itertools.pairwise(floors))
    # the loss a DataLoader loop reports, its batch losses by rows, runs above (measured: 5x)
    batches = list(zip(X64.split(16), y64.split(16), strict=True))
    reported = fit_batches(batches, W, b, lr=0.05, epochs=100).losses[-30:].median() - least
    assert reported > 2 * floors[2]


# -- The error contract: fit's --------------------------------------------------------------


def message(call: Any) -> tuple[type[BaseException], str]:
    with pytest.raises((ValueError, TypeError)) as caught:
        call()
    return type(caught.value), str(caught.value)


@pytest.mark.parametrize(
    "bad",
    [
        dict(X=X[:, 0]),
        dict(y=Y[:5]),
        dict(X=X.half()),
        dict(W=W0.double()),
        dict(b=B0[None]),
        dict(X=X.to("meta")),
        dict(X=X * float("nan")),
        dict(lr=0.0),
        dict(lr=-1.0),
        dict(lr=float("inf")),
        dict(lr="0.1"),
        dict(epochs=-1),
        dict(epochs=2.0),
    ],
)
def test_bad_input_raises_what_fit_raises(bad: Any) -> None:
    args = {"X": X, "y": Y, "W": W0, "b": B0, "lr": 0.07, "epochs": 4, "method": "autograd"} | bad
    assert message(lambda: fit_minibatch(batch_size=4, **args)) == message(lambda: fit(**args))


@pytest.mark.parametrize("batch_size", [0, -4, 2.5, True, "4", None])
def test_a_batch_size_that_is_not_a_positive_integer_is_a_value_error(batch_size: Any) -> None:
    with pytest.raises(ValueError, match=f"batch_size must be a positive integer, got {batch_size!r}"):
        fit_minibatch(X, Y, W0, B0, batch_size)


# The type: ignore comments below: the bad inputs are of the wrong type on purpose.
@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: fit_minibatch(X, Y, W0, B0, 4, shuffle="yes"), TypeError, "shuffle must be True or False"),  # type: ignore[arg-type]
        (lambda: fit_minibatch(X, Y, W0, B0, 4, seed=1.5), TypeError, "seed must be an integer"),  # type: ignore[arg-type]
        (lambda: fit_minibatch(X, Y, W0, B0, 4, method="sufficient"), ValueError, "take no steps on batches"),
        (lambda: fit_batches(X, W0, B0), TypeError, r"batches must be an iterable of \(X, y\) pairs"),
        (lambda: fit_batches(iter([(X, Y)]), W0, B0), TypeError, "can be read only once"),
        (lambda: fit_batches((p for p in [(X, Y)]), W0, B0), TypeError, "can be read only once"),
        (lambda: fit_batches([], W0, B0), ValueError, "the batches held no rows"),
        (
            lambda: fit_batches([(X, Y), (X, Y[:, 0])], W0, B0),
            ValueError,
            "epoch 1, batch 1: y must have rank 2",
        ),
        (lambda: fit_batches([(X, Y, Y)], W0, B0), TypeError, r"epoch 1, batch 0: each batch must be a pair"),  # type: ignore[list-item]
        (lambda: fit_batches([(X, Y)], W0, B0, lr=0), ValueError, "lr must be a positive finite number"),
    ],
)
def test_what_fit_has_no_argument_for_is_a_clear_error_too(
    call: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        call()


# -- Divergence, judged as fit judges it ----------------------------------------------------


def test_one_batch_diverges_as_fit_does() -> None:
    lr = 3 * linreg.max_stable_lr(X)
    with pytest.raises(DivergenceError) as full:
        fit(X, Y, W0, B0, lr=lr, epochs=1000)
    with pytest.raises(DivergenceError) as mine:
        fit_minibatch(X, Y, W0, B0, 10, lr=lr, epochs=1000, shuffle=False)
    assert str(mine.value) == str(full.value)
    lr = 1.1 * linreg.max_stable_lr(X)
    with pytest.warns(UnstableWarning) as warned:
        result = fit_minibatch(X, Y, W0, B0, 10, lr=lr, epochs=200, shuffle=False)
    assert result.diverging
    assert result.max_stable_lr == pytest.approx(linreg.max_stable_lr(X), rel=1e-12)
    assert warned[0].filename == __file__  # the warning points at the caller


def test_small_batches_diverge_below_the_full_batch_bound_and_the_error_names_theirs() -> None:
    # One row a step: each step's bound is 2 / lambda_max of that row's Hessian, 1 / |(x, 1)|^2,
    # for the seed's largest row 0.17, far below the full-batch bound 0.91. At 0.9 of the full
    # bound the run overflows (measured: at epoch 23 to 27 for seeds 0, 1, 2; at 0.5 of it the
    # noise-free rows still agree on one minimum and the run converges).
    lr = 0.9 * linreg.max_stable_lr(X)
    rows_bound = min(1 / float(torch.cat([x, torch.ones(1)]).double().square().sum()) for x in X)
    with pytest.raises(DivergenceError) as caught:
        fit_minibatch(X, Y, W0, B0, 1, lr=lr, epochs=10_000, seed=0)
    assert caught.value.max_stable_lr == pytest.approx(rows_bound, rel=1e-9)
    assert rows_bound < lr
    with warnings.catch_warnings():  # below the rows' bound: it converges, nothing warned
        warnings.simplefilter("error")
        assert not fit_minibatch(X, Y, W0, B0, 1, lr=0.9 * rows_bound, epochs=200, seed=0).diverging


def test_inputs_are_not_modified_and_nothing_stays_on_a_graph() -> None:
    Xg, yg = X.clone().requires_grad_(), Y.clone().requires_grad_()
    Wg, bg = W0.clone().requires_grad_(), B0.clone().requires_grad_()
    run = fit_minibatch(Xg, yg, Wg, bg, 3, epochs=5)
    assert all(t.grad is None for t in (Xg, yg, Wg, bg))
    assert torch.equal(Wg.detach(), W0)
    assert not any(
        t.requires_grad for t in (run.W, run.b, run.losses, run.batch_losses, cast(torch.Tensor, run.y_hat))
    )
