"""How outcomes move trust: ageing evidence (model 2) or fixed-share steps (model 1).

A *store* holds one trust value per entry (a directed tie, or a person's trust in the
formal leader) and keeps sums of them by group (the trust a person receives from
colleagues, the trust they place in them), so that the means the rules read cost
O(1). Both stores answer the same questions; ``culture.trust_update`` picks one.

Evidence (docs/ODD.md 7.7): each entry starts at a first impression ``a`` worth
``prior_weight`` outcomes. An outcome observed with weight ``w`` is beta-reputation
evidence (Jøsang & Ismail 2002), so each further outcome moves trust less than the
first; every step a share ``forgetting`` of the distance from ``a`` and of the
evidence fades, so distrust is recoverable. The ageing is kept as one global factor
``g`` (values stored divided by it), so a step costs nothing per entry.
"""

from __future__ import annotations

import numpy as np

from .rules import beta_trust_update, evidence_weight
from .updates import Compounder, distinct, unique_inverse


class _Groups:
    """Sums of an entry array by group keys (e.g. a tie's target: trust received)."""

    def __init__(self, keys: dict[str, np.ndarray], size: int):
        self.keys = keys
        self.count = {k: np.maximum(np.bincount(v, minlength=size).astype(float), 1.0) for k, v in keys.items()}
        self.size = size

    def sums(self, values: np.ndarray) -> dict[str, np.ndarray]:
        return {k: np.bincount(v, weights=values, minlength=self.size) for k, v in self.keys.items()}


class EvidenceTrust:
    """Trust as ageing evidence (model 2). ``values(idx)`` is trust now."""

    def __init__(
        self,
        prior: np.ndarray,
        *,
        feedback: float,
        loss_ratio: float,
        error_tolerance: float,
        conflict_loss: float,
        prior_weight: float,
        forgetting: float,
        groups: dict[str, np.ndarray] | None = None,
        size: int = 0,
    ):
        self.prior = np.asarray(prior, dtype=float)
        self.dev = np.zeros_like(self.prior)  # (trust - prior) / g
        self.evidence = np.zeros_like(self.prior)  # amount of evidence / g
        self.g = 1.0
        self.keep = 1.0 - forgetting
        self.weight = prior_weight
        self.w_good = evidence_weight(feedback, prior_weight)
        self.w_bad = evidence_weight(feedback * loss_ratio * (1.0 - error_tolerance), prior_weight)
        self.w_conflict = evidence_weight(feedback * conflict_loss, prior_weight)
        self.groups = _Groups(groups or {}, size)
        self.prior_sums = self.groups.sums(self.prior)
        self.dev_sums = {k: np.zeros_like(v) for k, v in self.prior_sums.items()}
        self.prior_total = float(self.prior.sum())
        self.dev_total = 0.0

    def __len__(self) -> int:
        return len(self.prior)

    def values(self, idx) -> np.ndarray:
        return self.prior[idx] + self.g * self.dev[idx]

    def all(self) -> np.ndarray:
        return self.prior + self.g * self.dev

    def group_mean(self, group: str, people) -> np.ndarray:
        return (self.prior_sums[group][people] + self.g * self.dev_sums[group][people]) / self.groups.count[group][
            people
        ]

    def total(self) -> float:
        return self.prior_total + self.g * self.dev_total

    def outcome(self, idx: np.ndarray, good: np.ndarray) -> None:
        """Observed successes (``good``) and failures of the entries ``idx`` (-1: none)."""
        if self.w_good == 0.0 and self.w_bad == 0.0:
            return
        good = np.asarray(good, dtype=bool)
        self.observe(idx, np.where(good, self.w_good, 0.0), np.where(good, 0.0, self.w_bad))

    def conflict(self, idx: np.ndarray) -> None:
        """A conflict seen by ``idx`` counts as a failure of weight ``w_conflict``."""
        if self.w_conflict:
            idx = np.asarray(idx, dtype=np.int64)
            self.observe(idx, np.zeros(len(idx)), np.full(len(idx), self.w_conflict))

    def observe(self, idx, good, bad) -> None:
        idx = np.asarray(idx, dtype=np.int64)
        real = idx >= 0
        if not real.all():
            idx, good, bad = idx[real], np.asarray(good)[real], np.asarray(bad)[real]
        if len(idx) == 0:
            return
        if not distinct(idx):  # several outcomes on one entry: beta evidence adds up
            idx, inv = unique_inverse(idx)
            good, bad = np.bincount(inv, good, len(idx)), np.bincount(inv, bad, len(idx))
        g = self.g
        trust, n = beta_trust_update(self.values(idx), g * self.evidence[idx], good, bad, self.weight)
        new_dev = (trust - self.prior[idx]) / g
        diff = new_dev - self.dev[idx]
        self.dev[idx] = new_dev
        self.evidence[idx] = n / g
        for k, key in self.groups.keys.items():
            np.add.at(self.dev_sums[k], key[idx], diff)
        self.dev_total += float(diff.sum())

    def tick(self) -> None:
        """One step of forgetting, for every entry at once (one multiplication)."""
        if self.keep == 1.0:
            return
        self.g *= self.keep
        if self.g < 1e-150:  # fold the factor into the stored values now and then
            self.dev *= self.g
            self.evidence *= self.g
            for v in self.dev_sums.values():
                v *= self.g
            self.dev_total *= self.g
            self.g = 1.0


class LegacyTrust:
    """Model 1's trust: each outcome moves trust a fixed share of the way (gains close
    ``feedback`` of the gap to 1, failures take a larger share of the value); nothing
    fades. Kept so that ``mechanisms=model1`` reproduces leadsim 0.1 bit for bit."""

    def __init__(
        self,
        values: np.ndarray,
        *,
        feedback: float,
        loss_ratio: float,
        error_tolerance: float,
        conflict_loss: float,
        groups: dict[str, np.ndarray] | None = None,
        size: int = 0,
        running_total: bool = True,
        **_,
    ):
        self.values_array = values
        self.running_total = running_total  # model 1 summed trust in the leader afresh each step
        self.up = 1.0 - feedback
        self.down = max(0.0, 1.0 - feedback * loss_ratio * (1.0 - error_tolerance))
        self.conflict_keep = max(0.0, 1.0 - feedback * conflict_loss)
        self.groups = _Groups(groups or {}, size)
        self.group_sums = self.groups.sums(values)
        self.sum = float(values.sum())
        self._mover = Compounder(values)
        self._count = np.zeros(len(values))

    def __len__(self) -> int:
        return len(self.values_array)

    def values(self, idx) -> np.ndarray:
        return self.values_array[idx]

    def all(self) -> np.ndarray:
        return self.values_array

    def group_mean(self, group: str, people) -> np.ndarray:
        return self.group_sums[group][people] / self.groups.count[group][people]

    def total(self) -> float:
        return self.sum if self.running_total else float(self.values_array.sum())

    def outcome(self, idx, good) -> None:
        self.move(idx, np.where(good, self.up, self.down), good)

    def conflict(self, idx) -> None:
        self.move(idx, self.conflict_keep, False)

    def scale(self, i: int, factor: float) -> None:
        """One entry times ``factor`` (model 1's pushback on trust in the leader)."""
        old = self.values_array[i]
        self.values_array[i] = old * factor
        self.sum += float(self.values_array[i] - old)

    def move(self, ids, keep, up) -> None:
        """Toward 1 (``up``) or 0 keeping ``keep`` of the gap; repeats compound
        (:class:`~simulation.updates.Compounder`); ids of -1 are ignored."""
        ids = np.asarray(ids, dtype=np.int64)
        keep, up = np.asarray(keep, dtype=float), np.asarray(up, dtype=bool)
        real = (ids >= 0) & (keep != 1.0)  # no tie, or a no-op update
        if not real.all():
            ids = ids[real]
            keep = keep[real] if keep.ndim else keep
            up = up[real] if up.ndim else up
        if len(ids) == 0:
            return
        v = self.values_array
        old = v[ids]
        repeats = not distinct(ids)
        self._mover.apply(ids, keep, up, repeats)
        diff = v[ids] - old  # the same for every repeat of an entry
        if repeats:
            np.add.at(self._count, ids, 1.0)
            diff /= self._count[ids]  # so each entry counts once below
            self._count[ids] = 0.0
        for k, key in self.groups.keys.items():
            np.add.at(self.group_sums[k], key[ids], diff)
        self.sum += float(diff.sum())

    def tick(self) -> None:
        return


def make_store(
    values: np.ndarray, culture, conflict_loss: float, groups=None, size: int = 0, running_total: bool = True
):
    """The store ``culture.trust_update`` names, starting from ``values``."""
    kw = {
        "feedback": culture.feedback,
        "loss_ratio": culture.trust_loss_ratio,
        "error_tolerance": culture.error_tolerance,
        "conflict_loss": conflict_loss,
        "groups": groups,
        "size": size,
    }
    if culture.trust_update == "legacy":
        return LegacyTrust(values, running_total=running_total, **kw)
    return EvidenceTrust(values, prior_weight=culture.prior_weight, forgetting=culture.forgetting, **kw)
