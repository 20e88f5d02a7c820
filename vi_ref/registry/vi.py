"""Registry entry for ``vi._Target.log_joint_grad``: the per-sample ∇_z of a user's
``log_joint(z)`` (by ``vi_ref.autodiff``, or the user's own ``log_joint_grad``) that
``vi.fit`` hands to the ELBO-gradient estimators. Checked on a log-joint with
curvature in every direction (a correlated Gaussian plus a quartic term)."""

import numpy as np

from .. import autodiff as ad
from ..gradcheck import GradientCase, GradientProblem
from ..vi import _Target
from . import gradient_name


def _log_joint(z):
    precision = np.array([[2.0, 0.6, 0.1], [0.6, 1.5, -0.4], [0.1, -0.4, 1.0]])
    return -0.5 * ad.sum(z * ad.matmul(z, precision), axis=-1) - 0.1 * ad.sum(ad.square(ad.square(z)), axis=-1)


def _build(rng):
    target = _Target(_log_joint, None, (3,))
    weights = rng.standard_normal(4)
    return GradientProblem(
        value=lambda z: float(np.sum(weights * target.values(z))),
        gradient=lambda z: {"z": weights[:, None] * target.log_joint_grad(None, z)["z"]},
        inputs={"z": rng.standard_normal((4, 3))},
    )


_NAME = gradient_name(_Target.log_joint_grad)

CASES = [GradientCase(f"{_NAME}[autodiff]", (_NAME,), _build)]
