"""Helpers shared by the test modules."""

import numpy as np
import pytest

from vi_ref.gradcheck import check_case
from vi_ref.registry.distributions import autodiff_gradient


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
