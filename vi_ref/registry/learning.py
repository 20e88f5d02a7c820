"""Registry entry for ``LinearGaussianELBO.objective_grad``: the dataset ELBO's gradient
in the unconstrained coordinates (log noise variances, Cholesky factors with
log-diagonals) that the optimisers of ``vi_ref.learning`` move in."""

from ..gradcheck import GradientCase, GradientProblem
from ..learning import LinearGaussianELBO
from . import gradient_name


def _objective_problem(isotropic):
    def build(rng):
        problem = LinearGaussianELBO(rng.standard_normal((5, 4)), 2, isotropic=isotropic)
        start = problem.initial(rng) + 0.5 * rng.standard_normal(problem.size)
        return GradientProblem(
            value=lambda vector: problem.objective(vector),
            gradient=lambda vector: {"vector": problem.objective_grad(vector)},
            inputs={"vector": start},
        )

    return build


_NAME = gradient_name(LinearGaussianELBO.objective_grad)

CASES = [
    GradientCase(f"{_NAME}[isotropic noise]", (_NAME,), _objective_problem(True)),
    GradientCase(f"{_NAME}[diagonal noise]", (_NAME,), _objective_problem(False)),
]
