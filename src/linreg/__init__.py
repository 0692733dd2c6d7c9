"""Linear regression by gradient descent in PyTorch (full-batch and mini-batch): the library the book runs."""

from linreg.data import Data, init_params, make_data
from linreg.minibatch import MiniBatch, fit_batches, fit_minibatch
from linreg.model import gradients, mse, predict
from linreg.solve import closed_form, design, hessian, max_stable_lr
from linreg.sweep import Sweep, sweep
from linreg.train import METHODS, DivergenceError, Result, UnstableWarning, fit

__version__ = "0.1.0"

__all__ = [
    "METHODS",
    "Data",
    "DivergenceError",
    "MiniBatch",
    "Result",
    "Sweep",
    "UnstableWarning",
    "closed_form",
    "design",
    "fit",
    "fit_batches",
    "fit_minibatch",
    "gradients",
    "hessian",
    "init_params",
    "make_data",
    "max_stable_lr",
    "mse",
    "predict",
    "sweep",
]
