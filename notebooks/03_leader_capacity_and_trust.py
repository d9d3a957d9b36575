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
# 3. show how **trust** and **clarity** shape distributed leadership (H2, H3), and tell
#    a *threshold* (a cliff) from a *dose-response* (a slope);
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
#   lead counts with a probability that rises with colleagues' mean trust in the
#   claimant, around `coordination.grant_threshold` (0.35 by default).
# * **C7** without clear frames roles become unclear: several people claim a task, or
#   nobody does. `organization.clarity` is the probability that a task is *framed*: a
#   named person takes it before anyone claims it. **H2**: role ambiguity and conflict
#   fall as clarity and trust rise.
#   **H3**: with low trust and low clarity, distributed leadership can do worse than
#   delegation.

# %% tags=["parameters"]
import os

SMALL = os.environ.get("LEADSIM_NB_SMALL") == "1"
SEEDS = 2 if SMALL else 3  # replicates per combination
STEPS = 150 if SMALL else 400  # length of each run, in steps
WARMUP = 50 if SMALL else 100  # steps left out of rates and means
CAPACITIES = [1, 4] if SMALL else [1, 2, 4, 8]  # leader decisions per step
ARRIVALS = [1, 4] if SMALL else [1, 2, 4, 6, 8]  # tasks arriving per step
TRUSTS = [0.1, 0.35, 0.6] if SMALL else [0.1, 0.2, 0.3, 0.35, 0.4, 0.5, 0.6, 0.8]
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
deleg = sweep(
    {"coordination": ["delegation"], "organization.leader_capacity": CAPACITIES, "workload.arrival_rate": ARRIVALS}
)
distr = sweep({"coordination": ["distributed"], "workload.arrival_rate": ARRIVALS})
print(len(deleg) + len(distr), "runs")

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), constrained_layout=True)
ax = axes[0]
ax.plot(ARRIVALS, ARRIVALS, color="0.7", ls=":", label="everything that arrives")
for i, cap in enumerate(CAPACITIES):
    s = summarise(deleg[deleg["organization.leader_capacity"] == cap], "workload.arrival_rate", "throughput")
    ax.errorbar(
        s["workload.arrival_rate"],
        s["mean"],
        yerr=[s["mean"] - s["low"], s["high"] - s["mean"]],
        marker="o",
        capsize=3,
        color=plt.cm.Blues(0.4 + 0.6 * i / max(len(CAPACITIES) - 1, 1)),
        label=f"delegation, leader capacity {cap}",
    )
s = summarise(distr, "workload.arrival_rate", "throughput")
ax.errorbar(
    s["workload.arrival_rate"],
    s["mean"],
    yerr=[s["mean"] - s["low"], s["high"] - s["mean"]],
    marker="s",
    capsize=3,
    color=COLORS["distributed"],
    lw=2,
    label="distributed",
)
ax.set(
    title="Throughput as work arrives faster", xlabel="arrival rate (tasks / step)", ylabel="throughput (tasks / step)"
)
ax.legend(fontsize=8)

ax = axes[1]
for i, cap in enumerate(CAPACITIES):
    s = deleg[deleg["organization.leader_capacity"] == cap].groupby("workload.arrival_rate")["leader_queue_mean"].mean()
    ax.plot(
        s.index,
        s.to_numpy() + 1,
        marker="o",
        color=plt.cm.Blues(0.4 + 0.6 * i / max(len(CAPACITIES) - 1, 1)),
        label=f"leader capacity {cap}",
    )
ax.set_yscale("log")
ax.set(
    title="The delegating leader's queue",
    xlabel="arrival rate (tasks / step)",
    ylabel="mean queue length + 1 (tasks, log scale)",
)
ax.legend(fontsize=8)
fig.suptitle(f"H1, the leader bottleneck: mean and 95 % CI over {SEEDS} seeds")
plt.show()

# %% [markdown]
# Where does delegation's throughput stop growing? Compare the plateau with the
# leader's capacity times the success rate (each decision starts one attempt — a task
# that failed and comes back for rework needs a new decision — and about nine in ten
# attempts succeed under delegation):

# %%
top = max(ARRIVALS)
plateau = (
    deleg[deleg["workload.arrival_rate"] == top]
    .groupby("organization.leader_capacity")[["throughput", "success_rate", "leader_utilization"]]
    .mean()
)
plateau["capacity × success rate"] = plateau.index * plateau["success_rate"]
plateau

# %% [markdown]
# **What the model shows.** H1 is **supported**. Under delegation, throughput follows the
# arrivals until they reach the leader's capacity; then it flattens at about
# *capacity × success rate* (the table), the leader works at 100 % of its capacity, and
# its queue grows for the whole run (hundreds of tasks: the log scale hides how bad it
# is). Distributed leadership has no such ceiling: its throughput keeps growing with the
# arrivals, with its lower success rate as the only loss. Below the bottleneck the two
# regimes complete about as much (delegation a little more, notebook 2). Rework adds to
# the leader's load: every failed attempt that comes back needs another decision, so a
# leader saturates a little *before* arrivals reach its capacity. The bottleneck, not
# the regime as such, decides which is faster.

# %% [markdown]
# ## Part B — trust by degrees (C5, H3)
#
# In the first version of the model (*model 1*) trust acted through hard thresholds: a
# claim counted only if colleagues' mean trust in the claimant reached
# `grant_threshold`, and then always. People do not work like that. Now (*model 2*, the
# default) granting a claim, joining as a follower, deferring to a more competent rival
# and pushing back on the leader are *probabilities* that rise with trust around the
# same thresholds, from 12 % to 88 % over `culture.trust_width` (0.2). Trust also makes
# people bolder (psychological safety: they claim more when they trust their
# colleagues), and it is *evidence* that fades, so distrust can recover. Here is the
# grant rule itself under both models:

# %%
from simulation.rules import grant_probability

grid = np.linspace(0, 1, 201)
cfg = simulation.SimConfig()  # the defaults
fig, ax = plt.subplots(figsize=(6.5, 4))
ax.plot(
    grid,
    grant_probability(grid, cfg.coordination.grant_threshold, cfg.culture.trust_width),
    color="C1",
    label=f"model 2: by degrees (width {cfg.culture.trust_width})",
)
ax.plot(
    grid,
    grant_probability(grid, cfg.coordination.grant_threshold, 0.0),
    color="k",
    ls="--",
    label="model 1: a hard threshold",
)
ax.set(
    title="The grant rule: a claim counts with this probability",
    xlabel="colleagues' mean trust in the claimant (0-1 scale)",
    ylabel="probability the claim counts (0-1)",
)
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# What does that do to the organisation? We vary the baseline trust between colleagues
# (`culture.trust`) for all three regimes at the default clarity (0.5) and workload
# (2 tasks per step), and run distributed leadership once more under model 1
# (`mechanisms=model1` switches every new mechanism off at once). Lines are means, bands
# 95 % confidence intervals.

# %%
trust = sweep({"coordination": ["delegation", "distributed", "hybrid"], "culture.trust": TRUSTS})
trust_m1 = sweep({"coordination": ["distributed"], "mechanisms": ["model1"], "culture.trust": TRUSTS})
TRUST_METRICS = [
    ("throughput", "throughput (tasks / step)"),
    ("role_ambiguity", "lived role ambiguity (share of tasks)"),
    ("conflict_rate", "conflicts (per task)"),
]


def band(ax, df, x, metric, color, label, **line):
    """Mean line and 95 % CI band of ``metric`` over ``x``."""
    s = summarise(df, x, metric)
    ax.plot(s[x], s["mean"], marker="o", ms=3, color=color, label=label, **line)
    ax.fill_between(s[x], s["low"].fillna(s["mean"]), s["high"].fillna(s["mean"]), color=color, alpha=0.2)


fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), constrained_layout=True)
for ax, (metric, label) in zip(axes, TRUST_METRICS):
    for regime, g in trust.groupby("coordination"):
        band(ax, g, "culture.trust", metric, COLORS[regime], regime)
    band(ax, trust_m1, "culture.trust", metric, "k", "distributed, model 1", ls="--")
    ax.axvline(0.35, color="0.5", ls=":", lw=1, label="grant threshold (0.35)")
    ax.set(title=label.split(" (")[0].capitalize() + " vs trust", xlabel="baseline trust (0-1 scale)", ylabel=label)
    ax.legend(fontsize=8)
fig.suptitle(f"Trust between colleagues: mean and 95 % CI over {SEEDS} seeds")
plt.show()

# %% [markdown]
# The cell below reads the curves for you: how much distributed leadership changes from
# the lowest to the highest trust, and how steep the steepest step between neighbouring
# trust values is under each model (a cliff puts almost all of the change into one step).


# %%
def dose_response(df, metric):
    m = df.groupby("culture.trust")[metric].mean()
    steps = m.diff().abs()
    return {
        "lowest trust": m.iloc[0],
        "highest trust": m.iloc[-1],
        "share of the change in the steepest step": steps.max() / max(steps.sum(), 1e-12),
        "steepest between": f"{steps.index[steps.argmax() - 1]:g}-{steps.idxmax():g}",
    }


pd.DataFrame(
    {
        (name, metric): dose_response(df, metric)
        for name, df in [("model 2", trust[trust.coordination == "distributed"]), ("model 1", trust_m1)]
        for metric in ["throughput", "role_ambiguity"]
    }
)

# %% [markdown]
# **What the model shows.** Under model 1 (dashed) distributed leadership has a
# **tipping point**: below the grant threshold colleagues refuse every claim, nearly
# every task goes unowned and throughput collapses to zero; just above it the
# organisation works and further trust changes little — except conflicts, which *rise*
# with trust (more claims granted, more contests fought out). Near the threshold runs
# differ a lot between seeds: outcomes move trust up or down and decide on which side an
# organisation ends up.
#
# Under model 2 the cliff is gone: trust acts **by degrees**. Lived role ambiguity falls
# step by step as trust rises — a *dose-response* — because fewer claims are refused and
# fewer tasks wait unowned. Throughput hardly moves: at this workload a task that nobody
# may take at once is framed, or granted a little later, or waits and is done later, so
# low trust costs *waiting and lived ambiguity*, not output. Conflicts stay rare at every
# trust level: rivals defer to the most competent claimant; they appear, if at all,
# around the thresholds, where claims are granted but people do not yet defer.
#
# **H3** ("with low trust and low clarity, distributed leadership can do worse than
# delegation") is supported in its strong form by model 1 (distributed leadership
# stalls) and only in a weaker form by model 2: more lived ambiguity and longer waits,
# not less output. Delegation barely notices trust, apart from pushback on the leader at
# low trust (its conflicts). The hybrid curve lies on the distributed one for lived
# ambiguity: a task is escalated only after it went unowned, when the ambiguity has been
# lived; the facilitator shortens the wait that follows (look at
# `owner_wait_lower_bound` in `trust`). **H2** for trust holds under model 2 (ambiguity
# falls as trust rises); under model 1 it fails for conflicts, which rose with trust.

# %% [markdown]
# ## Part C — clarity: frames before contests (C7, H2)
#
# Clarity is the chance that a task arrives *framed*: the frame names, among those who
# see it, the most competent in its domains, who takes it at once if they have room — no
# claims, no contest, no vote (docs/ODD.md §7.3). We vary it for distributed leadership
# at two trust levels and look at both measures of ambiguity, at throughput, and at how
# evenly work is shared (frames send work to the same domain owners).

# %%
clar = sweep({"coordination": ["distributed"], "culture.trust": [0.4, 0.8], "organization.clarity": CLARITIES})

fig, axes = plt.subplots(1, 4, figsize=(18, 4.5), constrained_layout=True)
for ax, (metric, label) in zip(
    axes,
    [
        ("contested_or_unowned_share", "contested or unowned (share of tasks)"),
        ("role_ambiguity", "lived role ambiguity (share of tasks)"),
        ("throughput", "throughput (tasks / step)"),
        ("workload_gini", "workload inequality (Gini, 0-1)"),
    ],
):
    for (t, g), color in zip(clar.groupby("culture.trust"), ["C1", "C3"]):
        band(ax, g, "organization.clarity", metric, color, f"trust {t}")
    ax.set(
        title=label.split(" (")[0].capitalize() + " vs clarity",
        xlabel="clarity (probability a task is framed)",
        ylabel=label,
    )
    ax.legend(fontsize=8, title="distributed")
fig.suptitle(f"Clear frames under distributed leadership: mean and 95 % CI over {SEEDS} seeds")
plt.show()

# %% [markdown]
# **What the model shows.** Clarity now does what H2 says, and visibly: the more tasks are
# framed, the fewer are contested or unowned — almost none when every task is framed —
# and the less ambiguity people live. Framing matters most where trust is low: at trust
# 0.4 lived ambiguity falls steeply with clarity, at trust 0.8 there is little to remove
# (rivals defer anyway). **Clarity can stand in for trust** (C12: the effect of one
# condition depends on the other). Throughput, if anything, rises a little with clarity
# (its intervals overlap): a frame sends each task to the most competent person who sees
# it.
#
# The price is in the last panel: frames send work to the same domain owners again and
# again, so work is shared less evenly. Under model 1 (`organization.clarity_acts=after`)
# clarity was only the chance that a rule settled a contest *after* it arose: it removed
# conflicts, but every contest still counted as ambiguity. Which rule matches the
# article's "clear frames"? That is a question for discussion, not for the model.

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
# **Exercise 2 — move the threshold.** Repeat Part B for distributed leadership with
# `coordination.grant_threshold=0.5`, under both models. Where is model 1's cliff now?
# Where does model 2's lived ambiguity start to rise? What does that say about the
# *conditions* under which distribution works (claim C12: the advantage is an
# interaction, not a constant)?
#
# <details><summary>Hint</summary>
#
# `sweep({"coordination": ["distributed"], "mechanisms": ["model1", "model2"], "coordination.grant_threshold": [0.35, 0.5], "culture.trust": TRUSTS})`.
# Both should follow the threshold: it is the *gap* between trust and what colleagues
# require that matters — as a cliff in one model, as a slope in the other.
# </details>
#
# **Exercise 3 — tolerance of errors (C9).** At a trust just above the threshold
# (`culture.trust=0.4`), compare `culture.error_tolerance` 0.1 and 0.9 under
# distributed leadership. How do `trust_mean` and throughput differ?
#
# <details><summary>Hint</summary>
#
# The first failure seen on a tie costs trust
# `feedback × trust_loss_ratio × (1 − error_tolerance) × trust`; later outcomes move it
# less as evidence accumulates, and old evidence fades (docs/ODD.md §7.6). With little
# tolerance failures push trust down toward the grant threshold, where claims start
# being refused.
# </details>
#
# **Exercise 4 — transparency (C13).** Vary `organization.transparency` from 0 to 1
# under distributed leadership. Does seeing others' claims reduce contested tasks?
#
# <details><summary>Hint</summary>
#
# `sweep({"coordination": ["distributed"], "organization.transparency": [0, 0.5, 1]})`
# and plot `contested_share`, `unowned_share` and `claims_per_task`. A later claimant who
# sees an earlier claim holds back, and people who can see that a task has waited feel
# less of the diffusion of responsibility (docs/ODD.md §7.3).
# </details>
#
# **Exercise 5 — which mechanism removes the cliff?** Model 2 differs from model 1 in
# several mechanisms at once (docs/ODD.md §9). Rerun Part B's model-1 line, switching on
# *one* mechanism at a time: `culture.trust_width=0.2` (trust by degrees), then
# `organization.clarity_acts=before` (frames before contests). Which of them turns the
# cliff into a slope?
#
# <details><summary>Hint</summary>
#
# `sweep({"coordination": ["distributed"], "mechanisms": ["model1"], "culture.trust_width": [0.0, 0.2], "culture.trust": TRUSTS})`.
# A key you set wins over the preset. Frames bypass the grant vote altogether, so
# with clarity 0.5 half of the tasks need no trust to start; smooth thresholds let some
# claims through below the threshold and refuse some above it.
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
#   workforce. Below the bottleneck the two complete about as much.
# * **A threshold or a dose-response?** With hard thresholds (model 1) trust has a
#   tipping point: below it distributed work stalls. With trust acting by degrees
#   (model 2) lived ambiguity and waiting fall gradually as trust rises, and output
#   hardly changes (C5; H3 only in a weak form). Which one a model assumes decides what
#   it can show — check the rule before reading the curve.
# * **Clarity frames tasks before contests**: it lowers contests, lived ambiguity and
#   waiting (H2), most where trust is low (C12), and concentrates work on domain owners.
# * Explain results from the model's rules (docs/ODD.md), and say so when a result
#   contradicts a hypothesis.
