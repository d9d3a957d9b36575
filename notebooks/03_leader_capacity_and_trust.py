# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 3 · What the leader's capacity and the team's trust do
#
# **Learning goals.** After this notebook you can
# 1. run a small *parameter sweep* from Python: every combination of a few values, on
#    several seeds;
# 2. show the **leader bottleneck** of delegation (H1) and say when it appears;
# 3. show how **trust** and **clarity** shape distributed leadership (H2, H3), including
#    a *tipping point*;
# 4. explain a result from the model's rules (docs/ODD.md) instead of from intuition.
#
# Prerequisites: notebooks 1 and 2. Time: about 45 minutes.

# %% [markdown]
# ## The claims and hypotheses we test
#
# * **C4** delegation keeps the hierarchy: every task passes the leader's queue. The
#   leader makes at most `organization.leader_capacity` decisions per step.
#   **H1** (leader bottleneck): when tasks arrive faster than the leader can decide,
#   delegation's throughput saturates at that capacity, while distributed leadership
#   scales with the workforce.
# * **C5** trust in employees' judgement is what makes distribution work: a claim to
#   lead counts only if colleagues trust the claimant enough (their mean trust must reach
#   `coordination.grant_threshold`, 0.35 by default).
# * **C7** without clear frames roles become unclear: several people claim a task, or
#   nobody does. `organization.clarity` is the probability that a shared rule settles a
#   contested task. **H2**: role ambiguity and conflict fall as clarity and trust rise.
#   **H3**: with low trust and low clarity, distributed leadership can do worse than
#   delegation.

# %% tags=["parameters"]
import os

SMALL = os.environ.get("LEADSIM_NB_SMALL") == "1"
SEEDS = 2 if SMALL else 3                         # replicates per combination
STEPS = 150 if SMALL else 400                     # length of each run, in steps
WARMUP = 50 if SMALL else 100                     # steps left out of rates and means
CAPACITIES = [1, 4] if SMALL else [1, 2, 4, 8]    # leader decisions per step
ARRIVALS = [1, 4] if SMALL else [1, 2, 4, 6, 8]   # tasks arriving per step
TRUSTS = [0.2, 0.6] if SMALL else [0.1, 0.2, 0.3, 0.35, 0.4, 0.5, 0.6, 0.8]
CLARITIES = [0.0, 1.0] if SMALL else [0.0, 0.25, 0.5, 0.75, 1.0]

# %%
import itertools

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import simulation
from simulation.stats import mean_ci

pd.set_option("display.precision", 3)
COLORS = {"delegation": "C0", "distributed": "C1", "hybrid": "C2"}

# %% [markdown]
# ## A sweep in ten lines
#
# A *sweep* runs the model for every combination of a few parameter values. We name
# parameters as on the command line (`organization.leader_capacity`), pass them to
# `simulation.run` as overrides, and collect one row per run: the parameter values, the
# seed, and all metrics. The result is a *tidy* table — easy to group, average and plot.

# %%
def sweep(grid, seeds=SEEDS):
    """Run every combination of ``grid`` (dotted name -> list of values) on seeds 0..seeds-1."""
    rows = []
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid, values))
        overrides = [f"{k}={v}" for k, v in params.items()]
        for seed in range(seeds):
            res = simulation.run(overrides, seed=seed, steps=STEPS, warmup=WARMUP)
            rows.append({**params, "seed": seed, **res.metrics})
    return pd.DataFrame(rows)


def summarise(df, by, metric):
    """Mean and 95 % CI of ``metric`` for every group of ``by``."""
    out = df.groupby(by)[metric].apply(lambda x: pd.Series(mean_ci(x), index=["mean", "low", "high"]))
    return out.unstack().reset_index()


# %% [markdown]
# ## Part A — the leader bottleneck (H1)
#
# We vary the leader's capacity and the arrival rate under delegation, and run
# distributed leadership on the same arrival rates for comparison (it does not use the
# leader, so its capacity does not matter there).

# %%
deleg = sweep({"coordination": ["delegation"], "organization.leader_capacity": CAPACITIES,
               "workload.arrival_rate": ARRIVALS})
distr = sweep({"coordination": ["distributed"], "workload.arrival_rate": ARRIVALS})
print(len(deleg) + len(distr), "runs")

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), constrained_layout=True)
ax = axes[0]
ax.plot(ARRIVALS, ARRIVALS, color="0.7", ls=":", label="everything that arrives")
for i, cap in enumerate(CAPACITIES):
    s = summarise(deleg[deleg["organization.leader_capacity"] == cap], "workload.arrival_rate", "throughput")
    ax.errorbar(s["workload.arrival_rate"], s["mean"], yerr=[s["mean"] - s["low"], s["high"] - s["mean"]],
                marker="o", capsize=3, color=plt.cm.Blues(0.4 + 0.6 * i / max(len(CAPACITIES) - 1, 1)),
                label=f"delegation, leader capacity {cap}")
s = summarise(distr, "workload.arrival_rate", "throughput")
ax.errorbar(s["workload.arrival_rate"], s["mean"], yerr=[s["mean"] - s["low"], s["high"] - s["mean"]],
            marker="s", capsize=3, color=COLORS["distributed"], lw=2, label="distributed")
ax.set(title="Throughput as work arrives faster", xlabel="arrival rate (tasks / step)",
       ylabel="throughput (tasks / step)")
ax.legend(fontsize=8)

ax = axes[1]
for i, cap in enumerate(CAPACITIES):
    s = deleg[deleg["organization.leader_capacity"] == cap].groupby("workload.arrival_rate")["leader_queue_mean"].mean()
    ax.plot(s.index, s.to_numpy() + 1, marker="o",
            color=plt.cm.Blues(0.4 + 0.6 * i / max(len(CAPACITIES) - 1, 1)), label=f"leader capacity {cap}")
ax.set_yscale("log")
ax.set(title="The delegating leader's queue", xlabel="arrival rate (tasks / step)",
       ylabel="mean queue length + 1 (tasks, log scale)")
ax.legend(fontsize=8)
fig.suptitle(f"H1, the leader bottleneck: mean and 95 % CI over {SEEDS} seeds")
plt.show()

# %% [markdown]
# Where does delegation's throughput stop growing? Compare the plateau with the
# leader's capacity times the success rate (each decision starts one task, and about
# nine in ten tasks succeed under delegation):

# %%
top = max(ARRIVALS)
plateau = (deleg[deleg["workload.arrival_rate"] == top]
           .groupby("organization.leader_capacity")[["throughput", "success_rate", "leader_utilization"]].mean())
plateau["capacity × success rate"] = plateau.index * plateau["success_rate"]
plateau

# %% [markdown]
# **What the model shows (default run, 3 seeds × 400 steps).** H1 is **supported**.
# Under delegation, throughput follows the arrivals until they reach the leader's
# capacity; then it flattens at about *capacity × success rate* (≈ 0.9 per decision per
# step), the leader works at 100 % of its capacity, and its queue grows for the whole
# run (hundreds of tasks: the log scale hides how bad it is). Distributed leadership has
# no such ceiling: its throughput keeps growing with the arrivals — here up to 8 tasks
# per step, with its lower success rate (≈ 0.8) as the only loss. Below the
# bottleneck, delegation completes *more* tasks than distributed leadership (notebook 2),
# and a leader who can make 8 decisions per step is not saturated even at 8 arrivals
# per step: the bottleneck, not the regime as such, decides which is faster.

# %% [markdown]
# ## Part B — trust: a tipping point (C5, H3)
#
# Now we vary the baseline trust between colleagues (`culture.trust`) for all three
# regimes, at the default clarity (0.5) and workload (2 tasks per step).

# %%
trust = sweep({"coordination": ["delegation", "distributed", "hybrid"], "culture.trust": TRUSTS})

fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), constrained_layout=True)
for ax, (metric, label) in zip(axes, [("throughput", "throughput (tasks / step)"),
                                      ("unowned_share", "unowned tasks (share of tasks)"),
                                      ("conflict_rate", "conflicts (per task)")]):
    for regime, g in trust.groupby("coordination"):
        s = summarise(g, "culture.trust", metric)
        ax.errorbar(s["culture.trust"], s["mean"], yerr=[s["mean"] - s["low"], s["high"] - s["mean"]],
                    marker="o", capsize=3, color=COLORS[regime], label=regime)
    ax.axvline(0.35, color="k", ls=":", lw=1, label="grant threshold (0.35)")
    ax.set(title=label.split(" (")[0].capitalize() + " vs trust", xlabel="baseline trust (0-1 scale)", ylabel=label)
    ax.legend(fontsize=8)
fig.suptitle(f"Trust between colleagues: mean and 95 % CI over {SEEDS} seeds")
plt.show()

# %% [markdown]
# **What the model shows.** Distributed leadership has a **tipping point**. When the
# baseline trust is clearly below the grant threshold (0.35), colleagues refuse almost
# every claim: nobody may lead, nearly every task becomes *unowned*, and throughput
# collapses to zero (C5: "low trust: claims refused, tasks stall"). Just above the
# threshold the organisation works; further trust changes little, because in this model
# trust acts through thresholds (granting, following, pushing back on the leader).
# Near the threshold (0.3–0.35) runs differ a lot between seeds: outcomes move trust up
# or down and decide on which side an organisation ends up.
#
# **H3 is supported in its strong form**: at low trust distributed leadership does far
# worse than delegation. Delegation barely notices trust — the leader assigns tasks
# whatever colleagues think of each other. The hybrid leader rescues the low-trust
# organisation: tasks nobody could claim are escalated and assigned (watch its
# unowned share stay well below distributed's), so its throughput hardly drops (C8).
#
# Notice also the conflicts: under distributed leadership they *rise* with trust, from
# almost none at low trust (claims are refused, so nobody contests) to about one per
# four tasks. That is the opposite of what H2 says for trust: more trust means
# more granted claims, hence more contested tasks.

# %% [markdown]
# ## Part C — clarity: settling contests (C7, H2)
#
# Clarity is the chance that a shared rule ("the most competent claimant leads") settles
# a contested task. We vary it for distributed leadership at two trust levels.

# %%
clar = sweep({"coordination": ["distributed"], "culture.trust": [0.4, 0.8],
              "organization.clarity": CLARITIES})

fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), constrained_layout=True)
for ax, (metric, label) in zip(axes, [("conflict_rate", "conflicts (per task)"),
                                      ("role_ambiguity", "role ambiguity (share of tasks)"),
                                      ("throughput", "throughput (tasks / step)")]):
    for (t, g), color in zip(clar.groupby("culture.trust"), ["C1", "C3"]):
        s = summarise(g, "organization.clarity", metric)
        ax.errorbar(s["organization.clarity"], s["mean"], yerr=[s["mean"] - s["low"], s["high"] - s["mean"]],
                    marker="o", capsize=3, color=color, label=f"trust {t}")
    ax.set(title=label.split(" (")[0].capitalize() + " vs clarity", xlabel="clarity (probability a rule settles a contest)",
           ylabel=label)
    ax.legend(fontsize=8, title="distributed")
fig.suptitle(f"Clear frames under distributed leadership: mean and 95 % CI over {SEEDS} seeds")
plt.show()

# %% [markdown]
# **What the model shows.** Clarity removes **conflicts**: from about one conflict per
# two tasks without a rule to none when the rule always applies — H2 holds for
# conflicts. But clarity does **not** lower *role ambiguity* as measured here: the same
# share of tasks is still contested (several people claim them); a clear rule only
# settles the contest quickly. Reading H2 carefully, the model supports "conflict falls
# as clarity rises" and does not support "ambiguity falls as clarity rises" — unless we
# count only *unsettled* contests as ambiguous. Which definition matches the article's
# "unclear who takes responsibility, and when"? That is a question for discussion, not
# for the model. Throughput shows no clear effect of clarity: with 3 seeds its
# confidence intervals overlap everywhere.

# %% [markdown]
# ## Exercises
#
# **Exercise 1 — can the facilitating leader become a bottleneck?** Run the hybrid
# regime with `organization.leader_capacity=1` at arrival rates 2, 4 and 8, and at a low
# trust (`culture.trust=0.3`). Look at `escalation_rate`, `leader_queue_mean` and
# `owner_wait_mean`.
#
# <details><summary>Hint</summary>
#
# `sweep({"coordination": ["hybrid"], "organization.leader_capacity": [1, 3], "culture.trust": [0.3, 0.6], "workload.arrival_rate": [2, 4, 8]})`.
# The hybrid leader only handles escalations, so it becomes a bottleneck only when
# escalations per step exceed its capacity — many tasks × a high escalation rate.
# </details>
#
# **Exercise 2 — move the tipping point.** Repeat Part B for distributed leadership with
# `coordination.grant_threshold=0.5`. Where is the collapse now? What does that say
# about the *conditions* under which distribution works (claim C12: the advantage is an
# interaction, not a constant)?
#
# <details><summary>Hint</summary>
#
# Add `"coordination.grant_threshold": [0.35, 0.5]` to the grid. The collapse should
# follow the threshold: it is the *gap* between trust and what colleagues require that
# matters.
# </details>
#
# **Exercise 3 — tolerance of errors (C9).** At a trust just above the threshold
# (`culture.trust=0.4`), compare `culture.error_tolerance` 0.1 and 0.9 under
# distributed leadership. How do `trust_mean` and throughput differ?
#
# <details><summary>Hint</summary>
#
# A failure costs trust `feedback × trust_loss_ratio × (1 − error_tolerance) × trust`
# (docs/ODD.md §7.6): with little tolerance every failure pushes trust toward the
# threshold.
# </details>
#
# **Exercise 4 — transparency (C13).** Vary `organization.transparency` from 0 to 1
# under distributed leadership. Does seeing others' claims reduce contested tasks?
#
# <details><summary>Hint</summary>
#
# `sweep({"coordination": ["distributed"], "organization.transparency": [0, 0.5, 1]})`
# and plot `contested_share`. A later claimant who sees an earlier claim holds back
# (docs/ODD.md §7.3).
# </details>

# %%
# Your code here.

# %% [markdown]
# ## What to take away
#
# * A sweep is a loop over combinations and seeds that fills a tidy table; means and
#   95 % CIs per combination make it readable.
# * **H1 holds:** delegation saturates at the leader's capacity (times its success
#   rate) and the queue explodes beyond it; distributed leadership scales with the
#   workforce. Below the bottleneck delegation is faster.
# * **Trust has a tipping point** for distributed leadership: below the level colleagues
#   require to grant a claim, work stalls completely (C5, H3). A facilitating leader
#   catches what nobody claims.
# * **Clarity removes conflicts, not contests.** H2 holds for conflict; for role
#   ambiguity it depends on what you count as ambiguous — and more trust *raises*
#   conflicts, because more claims are granted.
# * Explain results from the model's rules (docs/ODD.md), and say so when a result
#   contradicts a hypothesis.
