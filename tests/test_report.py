"""linreg.report prints, line for line, what the seed notebook printed."""

from reference import seed_notebook

from linreg import fit, init_params, make_data
from linreg.report import seed_report


def test_default_report_is_the_seeds_printed_output_line_for_line() -> None:
    data, (W0, b0) = make_data(), init_params()
    report = seed_report(data, W0, b0, fit(data.X, data.y_true, W0, b0))
    assert report.splitlines() == seed_notebook.printed_outputs().splitlines()


def test_analytic_report_shows_plain_tensors_without_autograd_marks() -> None:
    data, (W0, b0) = make_data(), init_params()
    report = seed_report(data, W0, b0, fit(data.X, data.y_true, W0, b0, method="analytic"))
    assert "requires_grad" not in report
    assert "grad_fn" not in report
    assert "Final Loss: 0.0007" in seed_notebook.printed_outputs()
    assert "Final Loss: 0.0007" in report


def test_zero_epochs_report_has_no_final_loss_or_predictions() -> None:
    data, (W0, b0) = make_data(), init_params()
    report = seed_report(data, W0, b0, fit(data.X, data.y_true, W0, b0, epochs=0))
    assert "Final Loss" not in report
    assert "Final y_hats" not in report
    assert "Final W: tensor([[0.3367]], requires_grad=True)" in report
