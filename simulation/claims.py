"""Claiming a task and contests over it: the pool regimes' side of coordination.

A mixin of :class:`~simulation.model.LeadershipModel` (kept apart so that each module
reads in one sitting); the rules it applies are in :mod:`simulation.rules`
(docs/ODD.md 7.3).
"""

from __future__ import annotations

import numpy as np

from . import rules
from .tasks import Event
from .updates import distinct, first_in_group


class Claims:
    """``claim_round`` and ``conflict``; state lives on the model (``self``)."""

    def claim_round(self, tasks: np.ndarray):
        """One simultaneous claiming round for pool ``tasks``.

        The entry person and their colleagues who are available claim with the
        propensity of :func:`~simulation.rules.claim_propensity`; in random order, a
        later claimant has seen an earlier claim with probability ``transparency`` and
        holds back; colleagues grant a claim with :func:`~simulation.rules.grant_probability`
        of their mean trust in the claimant (DeRue & Ashford 2010).
        Returns the granted claims as ``(task index, person)``, grouped by task.
        """
        c, cul, rng = self.cfg.coordination, self.cfg.culture, self.rng
        group, cand, p = self.claim_probabilities(tasks)
        claim = rng.random(len(cand)) < p
        group, cand = group[claim], cand[claim]
        # Nobody claims more tasks in one round than they have room for: the earliest
        # tasks first, as if the pool were scanned in order of arrival.
        if not distinct(cand):
            by_person = np.lexsort((group, cand))
            sorted_cand = cand[by_person]
            room = np.empty(len(cand), dtype=bool)
            room[by_person] = np.arange(len(cand)) - sorted_cand.searchsorted(sorted_cand) < self.free[sorted_cand]
            group, cand = group[room], cand[room]
        order = np.lexsort((rng.random(len(cand)), group))
        group, cand = group[order], cand[order]
        first = first_in_group(group)
        keep = first | (rng.random(len(cand)) >= self.cfg.organization.transparency)
        group, cand = group[keep], cand[keep]
        granted = self.chance(rules.grant_probability(self.trust.in_mean(cand), c.grant_threshold, cul.trust_width))
        refused = ~granted
        claimed = tasks[group]
        group, granted_to = group[granted], cand[granted]
        np.add.at(self.tasks.n_claims, claimed, 1)
        self.log(claimed, Event.CLAIMED, cand)
        self.log(claimed[granted], Event.GRANTED, granted_to)
        self.log(claimed[refused], Event.REFUSED, cand[refused])
        return group, granted_to

    def claim_probabilities(self, tasks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Who may claim each of ``tasks`` this step and how likely: for every available
        person who sees task ``tasks[group[j]]`` (its entry person and their colleagues),
        ``cand[j]`` and their :func:`~simulation.rules.claim_propensity` ``p[j]``."""
        c, cul, T = self.cfg.coordination, self.cfg.culture, self.tasks
        entries = T.entry[tasks]
        k, ties = self.trust.out_ties(entries)
        group = np.concatenate((np.arange(len(tasks)), k))
        cand = np.concatenate((entries, self.trust.dst[ties]))
        ok = self.is_available(cand)
        group, cand = group[ok], cand[ok]
        spare = self.free[cand] / self.capacity[cand]
        diffusion = 0.0
        if c.diffusion:  # everyone who can see a task shares the responsibility for it
            waited = T.ready[tasks] < self.now
            diffusion = rules.effective_diffusion(c.diffusion, self.cfg.organization.transparency, waited)[group]
        p = rules.claim_propensity(
            c.claim_rate,
            self.initiative[cand],
            self.fit(cand, tasks[group]),
            spare,
            self.engagement[cand],
            safety=self.trust.out_mean(cand) if cul.safety_effect else None,
            safety_effect=cul.safety_effect,
            seen_by=(1 + self.trust.out_degree[entries])[group] if c.diffusion else 1,
            diffusion=diffusion,
        )
        return group, cand, p

    def conflict(self, tasks: np.ndarray, groups: list[np.ndarray]) -> None:
        """Unsettled contests: claimants are held up and lose trust in each other."""
        c, f = self.cfg.coordination, self.cfg.culture.feedback
        self.log(tasks, Event.CONFLICT, np.array([g[0] for g in groups], dtype=np.int64))
        T = self.tasks
        self.n_lived += int(((T.n_conflicts[tasks] == 0) & ~T.unowned[tasks]).sum())
        T.n_conflicts[tasks] += 1  # distinct tasks: one contest each
        people = np.concatenate(groups)
        self.blocked_until[people] = self.now + 1 + c.conflict_cost
        if f > 0:  # every ordered pair of claimants in a contest
            lists = [g.tolist() for g in groups]
            a = np.array([x for g in lists for x in g for y in g if x != y], dtype=np.int64)
            b = np.array([y for g in lists for x in g for y in g if x != y], dtype=np.int64)
            self.trust.conflict(self.trust.edge_ids(a, b))
