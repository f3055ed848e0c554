# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Results: Tables I and II
#
# The paper's tables rebuilt from this run's outputs. Every AUC is the honest one (checkpoint
# chosen on an inner split of the training patients, scored once on validation) with its
# bootstrap 95% CI; the paper's protocol (maximum validation AUC over epochs) stands beside it,
# and the paper's published values sit in columns marked "(paper)". On the synthetic cohort the
# numbers describe the simulator, not gliomas: compare patterns, not values.

# %% tags=["parameters"]
run_dir = "runs/default"
runs = []  # training-run names; [] for every run in the run folder

# %%
import matplotlib.pyplot as plt
import seaborn as sns
from IPython.display import Markdown, display

from glioma_lib.layout import RunLayout
from glioma_lib.results import discover_runs, results_tables

layout = RunLayout(run_dir)
runs = runs or discover_runs(layout)
tables = results_tables(layout, runs)

# %% [markdown]
# ## Table I: AUC by input format and model, and survival C-index

# %%
display(tables["table_i"].set_index("input format").T)

# %% [markdown]
# ## Table II: C-index within WHO subtypes

# %%
display(tables["table_ii"].set_index("model").T if len(tables["table_ii"]) else "no survival results")

# %% [markdown]
# ## Honest vs maximum-over-epochs AUC
# Each point is one run. Points above the diagonal are runs whose AUC the original protocol
# (picking the best epoch on the validation set) would have overstated.

# %% mystnb={"figure": {"caption": "Honest AUC (checkpoint chosen on the inner split) against the maximum validation AUC over epochs, per training run.", "name": "fig-honest-vs-max"}}
aucs = tables["aucs"]
fig, ax = plt.subplots(figsize=(5, 5))
sns.scatterplot(aucs, x="auc", y="paper_style_auc", hue="model", style="task", ax=ax)
ax.plot([0, 1], [0, 1], ls=":", color="k")
ax.set_xlabel("honest AUC")
ax.set_ylabel("max over epochs of validation AUC")
plt.show()

# %% [markdown]
# ## Which of the paper's claims does this run support?
# A claim is **supported** when this run's honest numbers point the paper's way *and* at least one
# comparison's 95% intervals do not overlap; **inconclusive** when they point the paper's way
# inside overlapping intervals (the usual outcome with tens of validation patients); **not
# supported** when they point the other way; **not tested** when the run lacks the models.

# %%
claims = tables["claims"]
display(Markdown("\n".join(f"- **{c.verdict}**: {c.claim} ({c.evidence})." for c in claims.itertuples())))
