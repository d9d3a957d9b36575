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
# # 5 · Finding the informal roles
#
# **Learning goals.** After this notebook you can
# 1. name the five informal roles leadsim finds — informal leader, coordinator/broker,
#    knowledge holder, the one who pushes, on the sidelines — and the rule behind each;
# 2. read a run's role table (`result.roles`, also written as `roles.csv`) and its
#    `roles_*` metrics;
# 3. compare who emerges under delegation, distributed leadership and a facilitating
#    leader *in the same organisation*;
# 4. check whether the informal leaders are the most competent, the most eager or the
#    most trusted people, and how stable the roles are over a run.
#
# Prerequisites: notebooks 1 and 2. Time: about 40 minutes.

# %% [markdown]
# ## The question
#
# The article says leadership is also exercised informally — "the coordinator, the one
# who pushes, the knowledge holder" (claim **C3**) — and that getting started means to
# *identify the informal roles* (**C14**). Nobody in leadsim has an informal title:
# roles are named afterwards from what people did. The rules (docs/ODD.md, "Informal
# roles") compare each person with the rest of the same run:
#
# | role | rule (defaults) |
# |---|---|
# | informal leader | self-chosen leads ≥ 2 × the equal share (and ≥ 3) |
# | coordinator / broker | betweenness in the who-worked-with-whom network ≥ 3 × the mean, with ≥ 3 partners in other groups |
# | knowledge holder | recruited or named for a domain ≥ 2 × the typical count in that domain (and ≥ 3) |
# | the one who pushes | picks up tasks that waited past patience or were unowned ≥ 2 × the equal share (and ≥ 3) |
# | on the sidelines | leads + joins ≤ ¼ of the mean, while ≥ half of their capacity stayed unused |
#
# The roles connect to the hypotheses: if the leader bottleneck (**H1**) holds, informal
# leaders are what lets distributed work scale; **H5** (competence spreads more widely)
# needs work to be spread, not concentrated on a few knowledge holders.

# %% tags=["parameters"]
import os

SMALL = os.environ.get("LEADSIM_NB_SMALL") == "1"
SEEDS = 3 if SMALL else 10  # replicates per regime
STEPS = 150 if SMALL else 400  # length of each run, in steps
WARMUP = 50 if SMALL else 100  # steps left out of the role analysis
SIZE = 30 if SMALL else 60  # people in the organisation

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import simulation
from simulation.roles import ROLES, top_people
from simulation.roles.figure import plot_network, plot_traits
from simulation.stats import mean_ci

pd.set_option("display.precision", 3)
REGIMES = ["delegation", "distributed", "hybrid"]
COLORS = {"delegation": "C0", "distributed": "C1", "hybrid": "C2"}

# %% [markdown]
# ## One organisation, three regimes
#
# Seed 1 gives every regime the same people and the same network. Each result carries
# its role table: one row per person with the counts behind each rule, the roles held
# and the person's traits.

# %%
runs = {r: simulation.run(coordination=r, seed=1, steps=STEPS, warmup=WARMUP, organization__size=SIZE) for r in REGIMES}
table = runs["distributed"].roles
table[
    [
        "leads",
        "self_leads",
        "joins",
        "pickups",
        "sought_max",
        "betweenness",
        "spare_capacity",
        "roles",
        "competence",
        "initiative",
        "trust_received",
    ]
].sort_values("self_leads", ascending=False).head(8)

# %% [markdown]
# How many people hold each role, per regime?

# %%
counts = pd.DataFrame({r: runs[r].roles[list(ROLES)].sum() for r in REGIMES})
counts

# %% [markdown]
# ## The network, marked by role
#
# Positions come from the organisation's communication network (the same in every
# panel); grey lines are who worked with whom; colour is a person's first role, size
# the number of tasks they led, and a black ring marks people with two roles or more.

# %%
fig, axes = plt.subplots(1, 3, figsize=(16, 5.5))
for ax, r in zip(axes, REGIMES):
    plot_network(runs[r].model, runs[r].roles, ax=ax, title=f"{r}")
fig.suptitle("Informal roles in one organisation (seed 1)")
plt.show()

# %% [markdown]
# ## Who are the informal leaders?
#
# `top_people` lists the people most marked for each role with their traits. Below,
# each person's self-chosen leads against their competence, initiative and the trust
# colleagues place in them (distributed leadership).

# %%
top_people(runs["distributed"].roles, k=3)

# %%
plot_traits(runs["distributed"].roles, title="Self-chosen leads and traits (distributed, seed 1)")
plt.show()

# %% [markdown]
# ## Many seeds: how the regimes differ
#
# One run is one story. Over several seeds (the same seeds for every regime), the role
# metrics get confidence intervals: the share of people in each role, the share of leads
# taken by informal leaders, and how stable roles are between the first and the second
# half of the run (Jaccard index of the holders; 1 = the same people).

# %%
rows = []
for regime in REGIMES:
    for seed in range(SEEDS):
        res = simulation.run(coordination=regime, seed=seed, steps=STEPS, warmup=WARMUP, organization__size=SIZE)
        rows.append(
            {"regime": regime, "seed": seed, **{k: v for k, v in res.metrics.items() if k.startswith("roles_")}}
        )
df = pd.DataFrame(rows)
shown = [
    "roles_informal_leader_share",
    "roles_informal_leader_lead_share",
    "roles_knowledge_holder_share",
    "roles_sidelines_share",
    "roles_stability",
]
summary = pd.DataFrame(
    {
        r: {m: "{:.3f} [{:.3f}, {:.3f}]".format(*mean_ci(df.loc[df.regime == r, m].dropna())) for m in shown}
        for r in REGIMES
    }
)
summary

# %%
fig, ax = plt.subplots(figsize=(9, 4))
width = 0.25
for i, r in enumerate(REGIMES):
    part = df[df.regime == r]
    cis = [mean_ci(part[m].dropna()) for m in shown]
    means = [c[0] for c in cis]
    err = np.array([[c[0] - c[1] for c in cis], [c[2] - c[0] for c in cis]])
    ax.bar(np.arange(len(shown)) + (i - 1) * width, means, width, yerr=np.nan_to_num(err), label=r, color=COLORS[r])
ax.set_xticks(np.arange(len(shown)), [m.removeprefix("roles_") for m in shown], rotation=20, ha="right")
ax.set_xlabel("role metric")
ax.set_ylabel("share or index (0-1)")
ax.set_title(f"Informal roles by regime, mean and 95 % CI over {SEEDS} seeds")
ax.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Exercises
#
# **Exercise 1 — switch feedback off.** Run distributed leadership with
# `culture__feedback=0` on the same seeds. Trust then no longer learns from outcomes.
# Do the informal leaders change? Compare `roles_leads_trust_rho` and
# `roles_informal_leader_share` with the default (claim C14: feedback mechanisms).
#
# <details><summary>Hint</summary>
#
# `simulation.run(coordination="distributed", culture__feedback=0, seed=s, ...)`; collect
# `res.metrics["roles_leads_trust_rho"]` over seeds and use `mean_ci` as above.
# </details>
#
# **Exercise 2 — clear frames.** Set `organization__clarity=1` and then `0`. With clear
# frames, the frame names a responsible person for each task. What happens to the
# informal leaders, and to the knowledge holders? Why do leads named by a frame not
# count as informal leadership?
#
# <details><summary>Hint</summary>
#
# Look at the columns `self_leads` and `framed_leads` of `result.roles`: a lead the frame
# named was not self-chosen. docs/ODD.md ("Informal roles") explains the rule.
# </details>
#
# **Exercise 3 — make an informal leader.** Build the model yourself, give one person
# initiative 1.0 (`m.initiative[0] = 1.0`) before running it, and check in how many seeds
# person 0 is named informal leader. Then do the same under delegation. What do you see,
# and why?
#
# <details><summary>Hint</summary>
#
# `from simulation import LeadershipModel, SimConfig`; `m = LeadershipModel(SimConfig(seed=s, steps=STEPS))`;
# `m.initiative[0] = 1.0`; `m.run()`; then `from simulation.roles import analyse` and
# `table, metrics = analyse(m)`. Under delegation the leader names every lead.
# </details>
#
# **Exercise 4 — does the role stay with the person?** Compare `roles_stability` across
# regimes. Is a role a property of the person (traits) or of the situation (who was
# free when the task came)?
#
# <details><summary>Hint</summary>
#
# Compare `roles_lead_rank_stability` (how well first-half leads predict second-half
# leads) with `roles_leads_initiative_rho` (how well initiative predicts leads).
# </details>

# %% [markdown]
# ## What to take away
#
# * Informal roles are *named from behaviour*, relative to the same run, so the rules
#   work for a team of 12 and for 1,000 people; a person can hold several roles.
# * Under delegation informal leadership is essentially absent — the leader names every
#   lead — and many people sit on the sidelines; distributed leadership and a
#   facilitating leader let informal leaders and pushers emerge (C3).
# * Whether informal leaders are the most competent, eager or trusted is a result, not
#   an assumption: read `roles_leads_*_rho` and the trait plots.
# * The study `experiments/roles.md` repeats this over trust and clarity with confidence
#   intervals.
