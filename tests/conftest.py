"""Helpers shared by the test modules."""

import os
import sys
import types
from unittest import mock

# Before NumPy loads: OpenBLAS's thread pool makes each tiny LAPACK call (a 2 x 2
# triangular solve) ~1000x slower on a loaded 2-core machine (9 ms instead of 10 us),
# which turns the SVI tests' thousands of small solves from seconds into minutes.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pytest

from vi_ref import autodiff as ad
from vi_ref.gradcheck import check_case


def autodiff_gradient(problem):
    """The gradient of ``problem.value`` by ``vi_ref.autodiff``, as a dict like
    ``problem.gradient`` returns. The value functions of the registry are the formulas
    themselves, so this is the third, independent derivative beside the hand-written
    one and finite differences."""
    names = list(problem.inputs)
    contracted = lambda *arrays: problem.value(**dict(zip(names, arrays)))  # noqa: E731
    gradients = ad.grad(contracted, argnums=tuple(range(len(names))))(*problem.inputs.values())
    return dict(zip(names, gradients))


def check_three_ways(case, seed):
    """A registry case's hand-written gradient equals the autodiff gradient of the same
    formula, and both equal finite differences (``check_case``)."""
    problem = case.build(np.random.default_rng(seed))
    hand = problem.gradient(**problem.inputs)
    auto = autodiff_gradient(problem)
    for name in problem.inputs:
        np.testing.assert_allclose(hand[name], auto[name], rtol=1e-10, atol=1e-12, err_msg=name)
    for check in check_case(case, rng=seed):
        assert check.ok, str(check)


@pytest.fixture
def three_ways():
    return check_three_ways


@pytest.fixture
def stub_matplotlib(monkeypatch):
    """A stand-in for matplotlib whose Figure takes every call and draws nothing, so
    that the figures' plumbing (their directory, their seed) and the numbers in their
    captions are tested with or without the plots extra; tests/test_figures.py also
    renders the real figures where matplotlib is installed."""
    figure_module = types.ModuleType("matplotlib.figure")
    figure_module.Figure = mock.MagicMock
    package = types.ModuleType("matplotlib")
    package.figure = figure_module
    monkeypatch.setitem(sys.modules, "matplotlib", package)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", figure_module)
