"""``vi-ref tour``: the lecture, claim by claim, each claim checked against an
independent value.

The sections follow the lecture (variational-inference-lecture.md) and carry its
titles; each names the derivation section that derives it, and the lecture's eight
questions (VI1.1 … VI3.3) are sections of their own, placed where the lecture asks
them. ``framework`` holds the data (``Row``, ``Section``) and the printers;
``policy`` the false-alarm policy of every random row; the other modules the checks.
"""

from . import (coordinate_ascent, divergences_and_families, evidence_lower_bound,  # noqa: F401
               expectation_maximization, gradient_engine, latent_variable_models, lower_bounds,
               monte_carlo_gradients, optimizing_the_elbo, questions_vi3, stochastic_vi, three_methods)
from .framework import SECTIONS, Row, Section, run, run_section, section, section_rng, select, unmatched
from .policy import FALSE_ALARM, z_limit

__all__ = ["Row", "Section", "SECTIONS", "section", "section_rng", "select", "unmatched", "run_section", "run",
           "FALSE_ALARM", "z_limit"]
