"""Checks shared by the models' closed-form ELBOs: is q a distribution of an accepted
family, and do its batch of data points fit the data points of x?"""

import numpy as np

from ..distributions import MultivariateNormal, Normal


def require_family(q, families, description):
    """Raise ``TypeError`` naming the accepted families unless ``q`` is one of them."""
    if not isinstance(q, families):
        names = " or ".join(family.__name__ for family in families)
        raise TypeError(f"q must be a {names} ({description}); got {type(q).__name__}")


def data_batch_shape(x_batch, q_batch):
    """The broadcast batch of data points, or a ValueError saying which shapes clash."""
    try:
        return np.broadcast_shapes(x_batch, q_batch)
    except ValueError:
        raise ValueError(
            f"q has batch shape {q_batch}, which does not broadcast with the"
            f" {x_batch} data points of x (one q per data point, or one shared q)"
        ) from None


def as_multivariate_normal(q):
    """A Gaussian q over a latent vector as a ``MultivariateNormal``: a diagonal
    ``Normal`` (vector parameters, last batch axis = the latent coordinates) becomes
    N(loc, diag(scale²)) with scale_tril = diag(scale); a MultivariateNormal is
    returned as it is. Used where a closed form (e.g. the KL registry) is written for
    the multivariate family only."""
    if isinstance(q, MultivariateNormal):
        return q
    require_family(q, (MultivariateNormal, Normal), "a Gaussian over a latent vector")
    if not q.batch_shape:
        raise ValueError("a Normal q over a latent vector needs vector parameters; got batch shape ()")
    loc = np.broadcast_to(q.loc, q.batch_shape)
    scale = np.broadcast_to(q.scale, q.batch_shape)
    return MultivariateNormal(loc, scale_tril=np.eye(q.batch_shape[-1]) * scale[..., None, :])
