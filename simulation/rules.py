"""The model's submodels as named rules (docs/ODD.md, section 7).

Each function states one rule of the ODD and its source. They work on scalars and on
NumPy arrays alike, so the vectorised step (model.py, teams.py, agents.py) and the
per-person questions of :class:`~simulation.agents.Worker` use the same code: a
reader finds each rule here, in one place.
"""

from __future__ import annotations

import math

import numpy as np

#: A logistic's width is the range over which it climbs from 12 % to 88 % (4 scale units).
_SCALE_PER_WIDTH = 0.25


def smooth_step(x, threshold: float, width: float):
    """Probability that rises with ``x`` around ``threshold``: a logistic that goes from
    12 % to 88 % over a range of ``width``. ``width = 0`` is a hard threshold (1 where
    ``x >= threshold``, else 0), model 1's rule, and its limit as the width shrinks."""
    if isinstance(x, float):  # one person's question (the leader's decisions): no arrays
        if width <= 0.0:
            return 1.0 if x >= threshold else 0.0
        return 1.0 / (1.0 + math.exp(-min(max((x - threshold) / (width * _SCALE_PER_WIDTH), -60.0), 60.0)))
    x = np.asarray(x, dtype=float)
    if width <= 0.0:
        return (x >= threshold).astype(float)
    z = (x - threshold) / (width * _SCALE_PER_WIDTH)
    return 1.0 / (1.0 + np.exp(-np.clip(z, -60.0, 60.0)))


def claim_propensity(
    claim_rate: float,
    initiative,
    fit,
    spare,
    engagement,
    *,
    safety=None,
    safety_effect: float = 0.0,
    seen_by=1,
    diffusion: float = 0.0,
):
    """Per-step probability that a person claims a task they can see.

    Rises with initiative, their fit for the task (own competence), spare capacity and
    engagement (DeRue & Ashford 2010: claiming a leader identity). Trust in one's
    colleagues raises it, psychological safety (Edmondson 1999): a factor
    ``1 + safety_effect * (2 * safety - 1)`` with ``safety`` the person's mean trust in
    their colleagues (1 at 0.5). It falls as ``seen_by ** -diffusion`` when ``seen_by``
    people can see the task: diffusion of responsibility (Darley & Latané 1968;
    Latané 1981's social impact, each bystander's share shrinking as N^-t with t < 1).
    """
    p = claim_rate * initiative * fit * spare * (0.5 + engagement)
    if safety_effect:
        p = p * (1.0 + safety_effect * (2.0 * np.asarray(safety) - 1.0))
    diffuse = np.any(diffusion)
    if diffuse:
        p = p * np.power(np.asarray(seen_by, dtype=float), -np.asarray(diffusion, dtype=float))
    return np.minimum(p, 1.0) if (safety_effect or diffuse) else p


def effective_diffusion(diffusion: float, transparency: float, waited) -> np.ndarray:
    """Diffusion of responsibility weakens when people can see that nobody has taken a
    task that has already waited: a share ``transparency`` of it is lifted for tasks
    that waited at least one step (claim 13: transparency shows who works on what)."""
    return diffusion * (1.0 - transparency * np.asarray(waited, dtype=float))


def grant_probability(trust_in_claimant, threshold: float, width: float):
    """Colleagues accept a claim to lead with a probability rising with their mean trust
    in the claimant (DeRue & Ashford 2010: leader identities are claimed *and granted*;
    Mayer, Davis & Schoorman 1995: trust is the willingness to be vulnerable)."""
    return smooth_step(trust_in_claimant, threshold, width)


def follow_probability(trust_in_lead, threshold: float, width: float):
    """A colleague joins a lead's team with a probability rising with their trust in the
    lead (granting a follower identity, DeRue & Ashford 2010)."""
    return smooth_step(trust_in_lead, threshold, width)


def settle_probability(trust_in_best, threshold: float, width: float):
    """Claimants of a contested task whom no frame settles defer to the most competent
    claimant with a probability rising with their mean trust in that person; a contest
    nobody defers in is a conflict (Rizzo, House & Lirtzman 1970: role ambiguity)."""
    return smooth_step(trust_in_best, threshold, width)


def pushback_probability(trust_in_leader, threshold: float, width: float, fit, difficulty):
    """An assignee refuses an assignment that fits them poorly (own competence below the
    task's difficulty) with a probability falling with their trust in the leader: a
    vertical conflict (claim 7)."""
    if isinstance(trust_in_leader, float):
        return 1.0 - smooth_step(trust_in_leader, threshold, width) if fit < difficulty else 0.0
    poor_fit = np.asarray(fit) < np.asarray(difficulty)
    return np.where(poor_fit, 1.0 - smooth_step(trust_in_leader, threshold, width), 0.0)


def leader_score(perceived, observations, exploration: float):
    """How the leader rates a person for a domain: its view of their competence plus an
    uncertainty bonus ``exploration / sqrt(1 + observations)`` for people it has seen
    little of (upper-confidence-bound choice, Auer, Cesa-Bianchi & Fischer 2002): a
    leader that explores tries people it knows little about (Garicano 2000: the
    leader's knowledge of people is what delegation runs on)."""
    if not exploration:
        return perceived
    return perceived + exploration / np.sqrt(1.0 + np.asarray(observations, dtype=float))


def success_probability(skill, difficulty, slope: float):
    """A task succeeds with a logistic probability in the team's best competence minus
    the task's difficulty (docs/ODD.md 7.5)."""
    return 1.0 / (1.0 + np.exp(-slope * (np.asarray(skill) - np.asarray(difficulty))))


def evidence_weight(share: float, prior_weight: float) -> float:
    """The weight of one observed outcome, in outcomes, chosen so that on a fresh tie
    (no evidence yet) it moves trust by ``share`` of the way: gains close ``share`` of
    the gap to 1, losses take ``share`` of the value (model 1's first step, exactly)."""
    share = min(max(share, 0.0), 1.0 - 1e-12)
    return prior_weight * share / (1.0 - share)


def beta_trust_update(trust, evidence, good, bad, prior_weight: float):
    """Trust after observing outcomes of total weight ``good`` and ``bad``: beta
    reputation (Jøsang & Ismail 2002), trust = (r + W a) / (r + s + W), written in
    terms of the current trust and amount of evidence ``r + s`` so that it holds
    after ageing too. Returns the new trust and the new amount of evidence."""
    total = evidence + prior_weight
    new_total = total + good + bad
    return (trust * total + good) / new_total, evidence + good + bad


def age(trust, prior, evidence, keep: float):
    """Forgetting: with no news, a share ``1 - keep`` of the distance from the first
    impression and of the amount of evidence fade each step, so that distrust (and
    trust) are recoverable (Jøsang & Ismail 2002's forgetting factor)."""
    return prior + (np.asarray(trust) - prior) * keep, np.asarray(evidence) * keep


def learn(competence, learning_rate: float, success, error_tolerance: float):
    """Practice closes ``learning_rate`` of the gap to full competence after a success,
    and ``learning_rate * error_tolerance`` after a failure (claim 9: errors and
    learning go hand in hand where errors are tolerated)."""
    rate = np.where(success, learning_rate, learning_rate * error_tolerance)
    return 1.0 - (1.0 - np.asarray(competence)) * (1.0 - rate)
