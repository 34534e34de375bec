"""The nbval plugin that compares numbers to a relative tolerance (tests/nbval_numeric.py)."""

import nbformat
import pytest

from tests.nbval_numeric import ATOL, RTOL, _align_output, align_numbers


@pytest.mark.parametrize(
    ("stored", "fresh"),
    [
        ("slip ratio 0.5", "slip ratio 0.49999999999999994"),
        ("theta = [0.73266182 1.01441283]", "theta = [0.7326618200000003 1.0144128299999998]"),
        ("residual 1.2345678e-07", "residual 1.2345679e-07"),
        ("noise -3e-17", "noise 2.2e-16"),
    ],
)
def test_rounding_differences_pass(stored, fresh):
    assert align_numbers(stored, fresh) == stored


@pytest.mark.parametrize(
    ("stored", "fresh"),
    [
        ("spearman 0.9762", "spearman 0.9767"),  # the fourth significant digit
        ("0.00078026", "0.00078036"),
        ("CG iterations: 74", "CG iterations: 75"),  # integers are exact
        ("residual 1e-07", "residual 2e-07"),
        ("0.5", "-0.5"),
        ("found 3 points", "found 3 pixels"),  # text is never aligned
    ],
)
def test_real_differences_fail(stored, fresh):
    assert align_numbers(stored, fresh) != stored


def test_tolerances_sit_between_rounding_and_printed_claims():
    assert 1e-11 < RTOL < 1e-4  # kernels agree to ~1e-11; a 4th-digit change is >= 1e-4
    assert ATOL <= 1e-12


def test_outputs_align_by_kind_and_stream():
    stored = nbformat.from_dict({"output_type": "stream", "name": "stdout", "text": "h = 0.5\n"})
    fresh = nbformat.from_dict({"output_type": "stream", "name": "stdout", "text": "h = 0.49999999999999994\n"})
    assert _align_output(fresh, stored)["text"] == "h = 0.5\n"
    assert fresh["text"] == "h = 0.49999999999999994\n"  # the fresh output is not modified
    stderr = nbformat.from_dict({"output_type": "stream", "name": "stderr", "text": "h = 0.5\n"})
    assert _align_output(fresh, stderr)["text"] == fresh["text"]
    glued = nbformat.from_dict({"output_type": "display_data", "metadata": {},
                                "data": {"text/plain": "0.9819030000000001"}})
    ref = nbformat.from_dict({"output_type": "display_data", "metadata": {},
                              "data": {"text/plain": "0.981903"}})
    assert _align_output(glued, ref)["data"]["text/plain"] == "0.981903"
