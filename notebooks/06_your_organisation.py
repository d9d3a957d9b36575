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
# # 6 · Your own organisation: load it, calibrate to it, compare ways of leading
#
# **Learning goals.** After this notebook you can
# 1. describe a real organisation in leadsim's files (people, teams, org chart, ties);
# 2. load it, draw its network and run the three regimes on it;
# 3. calibrate unknown parameters to observed figures by approximate Bayesian
#    computation and read a posterior (median, 95 % credible interval);
# 4. compare delegation, distributed leadership and a facilitating leader *for this
#    organisation*, with intervals that carry the parameters' uncertainty.
#
# Time: about 45 minutes. File formats and method: `docs/organisations.md`.
#
# The example is a classic of network analysis: the 21 managers of a high-tech firm
# studied by Krackhardt (1987). Each manager said whom they go to for advice and who
# their friends are; company documents said who reports to whom. leadsim reads the
# managers as people, departments as teams, reports-to as the org chart, and advice
# ties as the communication network and a prior for trust (C2: trust is built in
# relations). What the data do not say (competence, initiative) is drawn from the
# configured distributions.

# %% tags=["parameters"]
import os

SMALL = os.environ.get("LEADSIM_NB_SMALL") == "1"
SEEDS = 2 if SMALL else 10  # replicates per regime in section 2
STEPS = 120 if SMALL else 240  # length of each run, in steps
POPULATION = 20 if SMALL else 100  # ABC particles per generation
GENERATIONS = 2 if SMALL else 3  # ABC generations
CHECKS = 6 if SMALL else 30  # posterior draws for the checks and the comparison

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd

import simulation
from simulation.organisations import load_organisation

ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
KRACK = ROOT / "examples" / "organisations" / "krackhardt-1987"

# %% [markdown]
# ## 1. The organisation in files
#
# `people.csv` has one row per manager (id, team, manager and the study's attributes);
# `ties.csv` one row per tie (source, target, kind); `organization.yaml` names the CEO
# as the formal leader and says that advice ties form the network.

# %%
org = load_organisation(KRACK)
print(
    f"{org.n} people, {len(org.edges)} ties in the communication network, "
    f"{len(org.trust)} directed trust priors from advice ties"
)
print("teams:", org.team_names, "| formal leader:", [org.ids[i] for i in org.leaders])
print("from the data or drawn from the config:", org.sources)
org.attributes.head()

# %% [markdown]
# Who is asked for advice? The number of colleagues who go to a manager for advice
# (in-degree of the advice network) against their tenure.

# %%
advice = org.ties[org.ties.kind == "advice"]
asked = np.bincount(advice.target, minlength=org.n)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
g = nx.Graph(org.edges.tolist())
g.add_nodes_from(range(org.n))
pos = nx.spring_layout(g, seed=1)
xy = np.array([pos[i] for i in range(org.n)])
for a, b in org.edges:
    ax1.plot(*xy[[a, b]].T, color="lightgrey", lw=0.6, zorder=1)
for t, name in enumerate(org.team_names):
    m = org.team == t
    ax1.scatter(*xy[m].T, s=40 + 15 * asked[m], label=name, zorder=2)
ceo = org.leaders[0]
ax1.scatter(*xy[ceo], s=200, marker="*", color="black", label="CEO (formal leader)", zorder=3)
ax1.set(
    title="Communication network (size: asked for advice)",
    xlabel="layout x (arbitrary units)",
    ylabel="layout y (arbitrary units)",
)
ax1.legend(fontsize=7)
ax2.scatter(org.attributes.tenure, asked, color="tab:blue")
ax2.set(title="Advice sought from each manager", xlabel="tenure (years)", ylabel="colleagues who ask them (people)")
plt.show()

# %% [markdown]
# ## 2. The three regimes on this organisation (default parameters)
#
# The same seed gives every regime the same people and the same tasks (common random
# numbers), so differences between regimes are paired.

# %%
BASE = ["organization=from_files", f"organization.path={KRACK}", f"steps={STEPS}"]
rows = []
for regime in ("delegation", "distributed", "hybrid"):
    for seed in range(SEEDS):
        m = simulation.run([*BASE, f"coordination={regime}"], seed=seed).metrics
        rows.append({"regime": regime, "seed": seed, **m})
runs = pd.DataFrame(rows)
runs.groupby("regime")[["throughput", "lead_time_mean", "success_rate", "leader_utilization"]].mean().round(3)

# %% [markdown]
# ## 3. Calibrating to what was observed
#
# Suppose we observed this firm for a while: about 1.7 tasks finished per day, 85 % of
# them done well, 2.6 days from arrival to finish — each with an uncertainty (these
# figures are **illustrative**; Krackhardt did not measure task flow). Which values of
# the unknown parameters (mean competence, baseline trust, how readily people claim
# work) reproduce them? `targets.yaml` says it:

# %%
print((KRACK / "targets.yaml").read_text())

# %% [markdown]
# ABC-SMC (pyabc) draws parameter values from the priors, runs the model, keeps the
# draws whose simulated figures lie close to the observed ones (distance in units of
# each figure's uncertainty), and narrows the threshold generation by generation.

# %%
from simulation.calibration import calibrate, load_spec

spec = load_spec(
    KRACK / "targets.yaml",
    overrides=[f"steps={STEPS}"],
    settings={"population": POPULATION, "generations": GENERATIONS, "predictive": CHECKS, "compare": CHECKS},
)
out = Path(tempfile.mkdtemp(prefix="leadsim-calibration-"))
result = calibrate(spec, out, log=print)
result.summary[["parameter", "prior_low", "prior_high", "median", "ci_low", "ci_high"]].round(3)

# %%
from simulation.calibration import plots

plots.posterior_figure(result.posterior, result.summary)
plt.show()

# %% [markdown]
# **Reading it.** A parameter whose interval is much narrower than its prior range is
# pinned down by the targets; one whose posterior is flat over the prior is not (the
# targets carry no information about it). The posterior-predictive check asks whether
# the calibrated model reproduces what was observed:

# %%
plots.predictive_figure(result.predictive, spec.targets)
plt.show()
result.predictive_summary.round(3)

# %% [markdown]
# ## 4. Which way of leading fits this organisation?
#
# At posterior draws, each regime runs with the draw's parameters and the same seed.
# The table gives each paired difference's median, 95 % interval and the share of
# draws in which the first regime scores higher (H1: delegation's bottleneck; H4: the
# facilitating leader).

# %%
diffs = result.regime_summary[result.regime_summary.regime.str.contains(" - ")]
diffs[diffs.metric.isin(["throughput", "lead_time_mean", "success_rate"])].round(3)

# %%
plots.regimes_figure(result.regime_summary, ["throughput", "lead_time_mean", "success_rate"])
plt.show()

# %% [markdown]
# ## Exercises
#
# **Exercise 1.** Change `advice_trust` in a copy of the folder's `organization.yaml`
# (e.g. to 0.4) and rerun section 2. Does lower trust on advice ties change the
# distributed regime more than delegation (C2, H3)?
#
# <details><summary>Hint</summary>Copy the folder with <code>shutil.copytree(KRACK,
# "myorg")</code>, edit the file, and use <code>organization.path=myorg</code>.</details>
#
# **Exercise 2.** Make the communication network advice *and* friendship
# (`communication: [advice, friendship]`). How many ties does the network gain, and
# does the comparison of regimes change?
#
# <details><summary>Hint</summary><code>load_organisation(path).edges</code> gives the
# undirected ties; compare <code>len(...)</code> before and after.</details>
#
# **Exercise 3.** Halve every `sd` in `targets.yaml` (more precise observations) and
# calibrate again. Do the credible intervals narrow? Which parameter stays unidentified?
#
# <details><summary>Hint</summary>Write the changed YAML to a new file, call
# <code>load_spec</code> on it and <code>calibrate</code> into a new folder; compare the
# two <code>summary</code> tables' <code>ci_high - ci_low</code>.</details>
#
# ## What to take away
#
# * A real organisation's structure (people, teams, org chart, who asks whom) can be
#   loaded as data; the model fills in what the data do not say.
# * Calibration turns observed figures into a *distribution* over parameters, not one
#   best value; parameters the data do not inform stay as uncertain as their prior.
# * The regime comparison for one organisation carries that uncertainty: report
#   intervals, not a single winner.
#
# Reference: Krackhardt, D. (1987). Cognitive social structures. *Social Networks*, 9(2), 109–134.
