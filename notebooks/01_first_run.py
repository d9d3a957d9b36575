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
# # 1 · A first run of leadsim
#
# **Learning goals.** After this notebook you can
# 1. say what an agent-based model is, and what leadsim's people, tasks and three
#    *coordination regimes* are;
# 2. run one simulation from Python with `simulation.run(...)` and read its metrics;
# 3. plot a run's time series and tell the warm-up from the steady state;
# 4. explain why one run is only one random draw (the seed).
#
# Time: about 30 minutes. No programming beyond changing values in the code is needed.

# %% [markdown]
# ## What is the model?
#
# An **agent-based model** describes individuals ("agents") and the rules by which they
# act and react; the patterns of the whole organisation are not programmed in, they
# *emerge* from many small decisions. We run the model and observe.
#
# leadsim simulates one organisation:
#
# * **People** (60 by default) sit on a communication network: each knows a handful of
#   colleagues. Each person has a *competence* in a few skill domains, some
#   *initiative*, an *engagement*, and *trust* in each colleague and in the formal
#   leader.
# * **Tasks** arrive at random (two per step on average). A task needs a domain (or
#   two), has a difficulty and an amount of work, and may need a small team: a *lead*
#   and *followers*. A step is an abstract unit of working time (think of a day).
# * **Who decides who leads a task** is the *coordination regime*:
#
# | regime | who decides | what it needs |
# |---|---|---|
# | `delegation` | the formal leader hands each task to the person it believes fits best | leader attention (a few decisions per step) and knowledge of people |
# | `distributed` | whoever fits the context *claims* the lead; colleagues *grant* the claim, the more readily the more they trust the claimant | trust, competence, clear frames |
# | `hybrid` | as distributed, but a facilitating leader settles contested tasks and assigns tasks nobody took | a little leader attention |
#
# The model turns claims of a Danish article on *distribueret ledelse* (distributed
# leadership) into mechanisms with parameters. The claims are numbered C1–C14 (the
# model description names, rule by rule, the claims each rule expresses); the ones we
# meet today:
#
# * **C1** roles are in constant motion: one person leads in one task and follows in another;
# * **C3** leadership is also exercised informally, without a title;
# * **C4** delegation keeps the hierarchy (every task passes the leader's queue), distribution moves responsibility and initiative;
# * **C7** without clear frames, roles become unclear: several people claim the same task (*contested*), or nobody does (*unowned*).
#
# Two rules of the model matter for C7 today. A *clear frame* (with probability
# `organization.clarity`) names the most competent person who sees a task, and they
# take it before anyone else claims it. And when several people do claim a task, the
# others *defer* to the most competent of them if they trust that person enough; only
# otherwise is there a *conflict*. Trust works by degrees: the more colleagues trust a
# claimant, the likelier they grant the claim, follow or defer.
#
# From these claims the project derived five hypotheses, H1–H5, that the model can
# *test* rather than assume — for example **H1**, the leader bottleneck, and **H2**,
# more role ambiguity under distributed leadership. Notebooks 2–4 test them; a result
# that contradicts a hypothesis is a finding too.
#
# The full model description, rule by rule, is in [`docs/ODD.md`](../docs/ODD.md)
# (the standard "ODD" protocol for agent-based models).

# %% [markdown]
# ## Parameters of this notebook
#
# Change these and re-run the notebook (*Run → Run All Cells*). The test suite runs
# the notebook with smaller values (it sets the environment variable `LEADSIM_NB_SMALL=1`).

# %% tags=["parameters"]
import os

SMALL = os.environ.get("LEADSIM_NB_SMALL") == "1"
STEPS = 150 if SMALL else 500  # length of a run, in steps
WARMUP = 50 if SMALL else 100  # steps left out of rates and means
SEED = 1  # the random seed of the first run

# %%
import matplotlib.pyplot as plt
import pandas as pd

import simulation

pd.set_option("display.precision", 3)

# %% [markdown]
# ## Run one regime
#
# `simulation.run` takes the same settings as the command line (`leadsim
# coordination=distributed seed=1`): a list of *overrides*, plus keyword arguments.
# Nothing is written to disk; everything comes back in a `RunResult`.

# %%
r = simulation.run(["coordination=distributed"], seed=SEED, steps=STEPS, warmup=WARMUP)
print(
    "finished at step", r.model.steps, "with", len(r.metrics), "metrics and", len(r.timeseries), "rows of time series"
)

# %% [markdown]
# `r.config` holds every parameter of the run, grouped by level as in the article
# (C11): `culture` (the whole organisation), `organization` (structure and leader),
# `people` (individuals), `workload`, and `coordination` (the regime).

# %%
print("regime:", r.config.coordination.name)
print("people:", r.config.organization.size, "on a", r.config.organization.network, "network")
print("trust :", r.config.culture.trust, "  clarity:", r.config.organization.clarity)
print("tasks arriving per step:", r.config.workload.arrival_rate)

# %% [markdown]
# ## Read the metrics
#
# `r.metrics` is a dictionary of numbers, computed the same way for every regime as the
# run goes. Rates and means cover the steps *after* the warm-up (the model starts
# empty, so the first steps are not typical). A failed attempt may come back to be
# redone (*rework*), so the success rate counts attempts. Two measures of ambiguity sit
# side by side: `role_ambiguity` counts the tasks over which people *lived* ambiguity
# (a conflict, or nobody taking the task in time); `contested_or_unowned_share` counts
# every contest, even one settled at once. The most useful metrics:

# %%
EXPLAINED = {
    "throughput": "tasks completed successfully per step",
    "success_rate": "share of attempts that succeeded (a failed attempt may be reworked)",
    "rework_rate": "reworked attempts per task (a failed attempt came back to be redone)",
    "owner_wait_mean": "steps a task waits until someone leads it",
    "lead_time_mean": "steps from arrival to successful completion",
    "role_ambiguity": "share of tasks with a conflict or left unowned: ambiguity people lived with (C7)",
    "contested_or_unowned_share": "share of tasks claimed by several people or by nobody in time",
    "conflict_rate": "conflicts per task (unsettled contests, pushback on the leader)",
    "leader_utilization": "share of the leader's decision capacity used",
    "role_fluidity": "share of people who both led and followed (C1)",
    "workload_gini": "inequality of work between people (0 equal, 1 one does all)",
    "engagement_mean": "mean engagement, 0 to 1",
    "trust_mean": "mean trust between colleagues, 0 to 1",
}
pd.DataFrame({"value": {k: r.metrics[k] for k in EXPLAINED}, "meaning": EXPLAINED})

# %% [markdown]
# A sanity check you can always do: every task that arrived has either succeeded,
# failed, or is still open. Models should keep their books; if this ever fails,
# something is wrong with the model, not with you.

# %%
m = r.metrics
assert m["tasks_arrived"] == m["tasks_completed"] + m["tasks_failed"] + m["tasks_open"]
print(
    f"{m['tasks_arrived']} arrived = {m['tasks_completed']} completed + "
    f"{m['tasks_failed']} failed + {m['tasks_open']} still open"
)

# %% [markdown]
# ## Plot the time series
#
# `r.timeseries` is a table with one row per step. Counts (`completed`, `conflicts`,
# …) are per step; `wip` (*work in progress*) is the number of tasks in the system at
# the end of the step. Per-step counts are noisy, so we smooth throughput with a 20-step
# moving average. For the two measures of ambiguity we go to the run's *event log*
# (`r.events`: one row per thing that happened to a task) and count, step by step, the
# tasks so far that were contested or unowned, and those that had a conflict or went
# unowned, per task arrived so far.

# %%
ts = r.timeseries
ev = r.events
arrived_so_far = ts.set_index("step").arrived.cumsum().clip(lower=1)


def share_so_far(kinds):
    """Tasks with at least one event of ``kinds`` by each step, per task arrived so far."""
    first = ev[ev.event.isin(kinds)].groupby("task").step.min()
    return first.value_counts().reindex(arrived_so_far.index, fill_value=0).cumsum() / arrived_so_far


either_so_far = share_so_far(["contested", "unowned"])
lived_so_far = share_so_far(["conflict", "unowned"])
ev.head(8)

# %%
fig, axes = plt.subplots(2, 2, figsize=(11, 6.5), sharex=True, constrained_layout=True)

ax = axes[0, 0]
ax.plot(ts.step, ts.completed, color="0.75", lw=0.8, label="per step")
ax.plot(ts.step, ts.completed.rolling(20, min_periods=1).mean(), color="C0", label="20-step average")
ax.axhline(r.config.workload.arrival_rate, color="k", ls=":", label="arrival rate")
ax.set(title="Throughput", ylabel="tasks completed (tasks / step)")

ax = axes[0, 1]
ax.plot(ts.step, ts.wip, color="C1", label="all open tasks")
ax.plot(ts.step, ts.pool, color="C2", label="waiting for an owner (pool)")
ax.set(title="Work in progress", ylabel="tasks in the system (tasks)")

ax = axes[1, 0]
ax.plot(either_so_far.index, either_so_far, color="C3", label="contested or unowned (cumulative)")
ax.plot(lived_so_far.index, lived_so_far, color="C9", label="lived: conflict or unowned (cumulative)")
ax.plot(ts.step, ts.conflict_rate, color="C4", ls="--", label="conflicts (cumulative)")
ax.set(title="Role ambiguity and conflict", ylabel="per arrived task (share)", xlabel="step (steps)")

ax = axes[1, 1]
ax.plot(ts.step, ts.engagement_mean, color="C5", label="engagement")
ax.plot(ts.step, ts.trust_mean, color="C6", label="trust between colleagues")
ax.set(title="Engagement and trust", ylabel="mean (0-1 scale)", xlabel="step (steps)", ylim=(0, 1))

for ax in axes.flat:
    ax.axvspan(0, r.config.warmup, color="0.92", zorder=0, label="warm-up")
    ax.legend(fontsize=8, loc="best")
fig.suptitle(f"One run: {r.config.coordination.name} leadership, seed {SEED}")
plt.show()

# %% [markdown]
# **Things to notice.** During the grey warm-up the organisation fills with work;
# afterwards throughput fluctuates around a level a little below the arrival rate
# (some tasks fail for good), and the work in progress stays bounded: the organisation
# keeps up. The share of contested or unowned tasks settles at a fairly stable level —
# the "price" of letting people claim work (C7) — but the ambiguity people *live* stays
# far below it: most contests are settled at once by a frame or by deference, so
# conflicts are rare. Notebook 2 compares this across regimes, notebook 3 shows how
# trust and clarity move it. Engagement climbs above its starting value of 0.6: people
# chose their own work, and self-chosen work raises engagement in the model (C6).

# %% [markdown]
# ## Who led? Informal leaders and fluid roles
#
# The model keeps, for every person, how many tasks they led and followed after
# the warm-up (`r.model.led`, `r.model.followed`). Nobody has a title, yet some people
# lead far more often than others: *informal leaders* emerge (C3). And many people
# both lead and follow (C1).

# %%
model = r.model
people = pd.DataFrame(
    {
        "led": model.led,
        "followed": model.followed,
        "competence": model.competence.mean(axis=1),
        "initiative": model.initiative,
    }
)
top = people.sort_values("led", ascending=False).head(5)
print("role fluidity (led and followed):", round(r.metrics["role_fluidity"], 2))
top

# %%
fig, ax = plt.subplots(figsize=(7, 4))
ax.hist(people.led, bins=range(int(people.led.max()) + 2), color="C0", alpha=0.7, label="tasks led")
ax.hist(people.followed, bins=range(int(people.followed.max()) + 2), color="C1", alpha=0.5, label="tasks followed")
ax.set(
    title="How often each person led and followed (after warm-up)",
    xlabel="tasks per person (tasks)",
    ylabel="people (count)",
)
ax.legend()
plt.show()

# %% [markdown]
# ## One run is one random draw
#
# Arrivals, claims and outcomes are random. The *seed* fixes the random numbers: the
# same seed and settings give exactly the same run (try it), another seed gives
# another run. So a difference between two single runs may be luck. Notebook 2 shows
# how to compare regimes fairly over many seeds.

# %%
again = simulation.run(["coordination=distributed"], seed=SEED, steps=STEPS, warmup=WARMUP)
# same seed, same settings: identical (Series.equals counts two NaNs, "not measured", as equal)
assert pd.Series(again.metrics).equals(pd.Series(r.metrics))
others = pd.DataFrame(
    {
        s: simulation.run(["coordination=distributed"], seed=s, steps=STEPS, warmup=WARMUP).metrics
        for s in (SEED, SEED + 1, SEED + 2)
    }
)
others.loc[["throughput", "role_ambiguity", "conflict_rate", "engagement_mean"]].rename(columns=lambda s: f"seed {s}")

# %% [markdown]
# ## Exercises
#
# Add a code cell under each exercise (or edit the cells above) and run it.
#
# **Exercise 1 — the other regimes.** Run `delegation` and `hybrid` with the same seed.
# Which regime has the highest throughput? Which has the most role ambiguity? Where
# does the leader's capacity get used (`leader_utilization`)?
#
# <details><summary>Hint</summary>
#
# `simulation.run(["coordination=delegation"], seed=SEED, steps=STEPS, warmup=WARMUP).metrics["throughput"]`.
# Put the three `metrics` dictionaries into `pd.DataFrame({...})` to see them side by side.
# Remember: one seed only — be careful with conclusions.
# </details>
#
# **Exercise 2 — are the informal leaders the most competent?** Plot, for each person,
# mean competence against the number of tasks led (`people` table above).
#
# <details><summary>Hint</summary>
#
# `ax.scatter(people.competence, people.led)`; and try `people.initiative` on the
# x-axis too. In the model, the chance to claim a task grows with competence *and*
# initiative *and* spare capacity *and* trust in one's colleagues, and falls when many
# see the same task (docs/ODD.md §7.3); clear frames hand tasks to the most competent.
# Expect a loose relation, not a perfect one. `people.corr()` gives the correlations.
# </details>
#
# **Exercise 3 — switch feedback off (C2, C14).** Run distributed leadership with
# `culture.feedback=0` and plot `trust_mean` over time next to the default run. What
# happens to trust when outcomes no longer change it?
#
# <details><summary>Hint</summary>
#
# `simulation.run(["coordination=distributed", "culture.feedback=0"], seed=SEED, steps=STEPS, warmup=WARMUP)`,
# then `ax.plot(ts.step, ts.trust_mean, label=...)` for both runs. With feedback off
# no trust ever moves (docs/ODD.md §7.6): the line is flat.
# </details>
#
# **Exercise 4 — a small team.** The preset `organization=team` has 12 people who all
# know each other. Run it and compare role ambiguity and throughput with the department
# of 60. Why might the arrival rate need to change for a fair comparison?
#
# <details><summary>Hint</summary>
#
# `simulation.run(["coordination=distributed", "organization=team"], seed=SEED, steps=STEPS, warmup=WARMUP)`.
# Twelve people with two tasks each at most cannot work on as much as sixty:
# look at `overload_share` and `wip_mean`.
# </details>

# %%
# Your code here.

# %% [markdown]
# ## What to take away
#
# * An agent-based model states *rules for individuals*; the organisation's behaviour
#   (throughput, ambiguity, informal leaders) *emerges* and is measured afterwards.
# * `simulation.run([...overrides...], seed=...)` runs one simulation; `.metrics`,
#   `.timeseries` and `.model` let you read it. Rates leave out the warm-up.
# * Under distributed leadership a fair share of tasks is contested or unowned (C7), but
#   frames and deference settle most contests at once: the ambiguity people live with is
#   much smaller. Roles are fluid (C1) and some people lead much more than others without
#   a title (C3).
# * One run is one random draw: same seed, same result; another seed, another result.
#   Compare regimes over many seeds — that is notebook 2.
