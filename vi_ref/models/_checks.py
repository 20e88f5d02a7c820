"""Checks shared by the models' closed-form ELBOs: is q a distribution of an accepted
family, and do its batch of data points fit the data points of x?"""

import numpy as np


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

