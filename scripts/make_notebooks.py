"""Writes the notebooks in notebooks/ from the cells below (outputs empty: git holds no
outputs). Edit here, run `python3 scripts/make_notebooks.py`, commit both."""
import json
import os

ROOT = os.path.join(os.path.dirname(__file__), "..")


def nb(cells):
    return {
        "cells": [
            {"cell_type": kind, "id": f"cell-{i}", "metadata": {}, "source": src.strip("\n").splitlines(keepends=True),
             **({"outputs": [], "execution_count": None} if kind == "code" else {})}
            for i, (kind, src) in enumerate(cells)
        ],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                     "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


SETUP = r'''
import json, os, subprocess, pathlib
import pandas as pd
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

ROOT = pathlib.Path(os.environ.get("LEADCAST_ROOT", "..")).resolve()
LEADCAST = os.environ.get("LEADCAST_BIN", str(ROOT / "target/release/leadcast"))
DATA = ROOT / "data/sample"

def leadcast(*args):
    """Runs the leadcast CLI and returns its standard output (raises on failure)."""
    r = subprocess.run([LEADCAST, *map(str, args)], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"leadcast {' '.join(map(str, args))} failed:\n{r.stderr}")
    return r.stdout
'''

explore = nb([
    ("markdown", """
# Exploring a CRM export and the data contract

leadcast reads a directory of contract tables (`reps`, `quotas`, `leads`, `opportunities`,
`stage_history`, `activities`, optional `accounts` and `payments`). This notebook looks at the
shipped sample (a simulated B2B sales organisation), checks it with `leadcast validate`, and
draws the funnel from lead to cash (线索获取 → 需求挖掘 → 商机转化 → 谈判审核 → 合同签订 → 回款管理).
"""),
    ("code", SETUP),
    ("code", """
tables = {p.stem: pd.read_csv(p) for p in sorted(DATA.glob("*.csv"))}
pd.DataFrame({"rows": {k: len(v) for k, v in tables.items()}, "columns": {k: ", ".join(v.columns) for k, v in tables.items()}})
"""),
    ("markdown", "`validate` reports every problem with its file, row and column, and exits non-zero when there is one:"),
    ("code", "print(leadcast('validate', '--data', DATA))"),
    ("markdown", "A real export goes through a mapping first (here: the public CRM opportunities export, when present beside the project):"),
    ("code", """
crm = ROOT / "../shared/data/crm-opportunities"
if crm.exists():
    print(leadcast("validate", "--data", crm, "--mapping", ROOT / "data/mappings/crm-opportunities.toml"))
else:
    print("the shared CRM export is not beside the project; skipping")
"""),
    ("markdown", "## Leads by source and their conversion"),
    ("code", """
leads = tables["leads"]
by_source = leads.groupby("source").agg(leads=("lead_id", "count"), conversion=("converted", "mean")).sort_values("conversion")
ax = by_source["conversion"].plot.barh(title="Lead conversion by source")
ax.set_xlabel("share converted")
by_source
"""),
    ("markdown", "## The funnel: how many opportunities reached each stage"),
    ("code", """
stages = ["discovery", "qualification", "negotiation", "contract"]
reached = tables["stage_history"].groupby("stage")["opportunity_id"].nunique().reindex(stages)
won = (tables["opportunities"]["status"] == "won").sum()
funnel = pd.concat([pd.Series({"lead": len(leads)}), reached, pd.Series({"won": won})])
ax = funnel.plot.bar(title="From lead to won deal", logy=True)
funnel.to_frame("count").assign(step_conversion=lambda f: f["count"] / f["count"].shift(1))
"""),
    ("markdown", "## Bookings per quarter (closed-won amount)"),
    ("code", """
opps = tables["opportunities"]
won = opps[opps["status"] == "won"].copy()
won["quarter"] = pd.to_datetime(won["closed_at"]).dt.to_period("Q").astype(str)
q = won.groupby("quarter")["amount"].sum()
ax = q.plot(marker="o", title="Bookings per quarter")
assert q.min() > 0
q.tail(8)
"""),
])

train = nb([
    ("markdown", """
# Training and comparing scoring models from the CLI

Train the lead-scoring model three ways on the bank-marketing leads (a real public data set:
`--exclude duration`, which is only known after the call), read the metrics each version
saves, and compare. Each version also has an HTML report (`report/index.html`).
"""),
    ("code", SETUP),
    ("code", """
import tempfile
bank = ROOT / "../shared/data/bank-marketing/bank-full.csv"
if not bank.exists():
    bank = ROOT / "data/sample/leads.csv"   # fall back to the sample's leads
    target, positive, exclude = "converted", "1", "converted_at,lead_id"
else:
    target, positive, exclude = "y", "yes", "duration"
models = pathlib.Path(tempfile.mkdtemp()) / "models"
results = {}
for model in ["logistic", "gbdt", "naive-bayes"]:
    out = leadcast("train", "scoring", "--input", bank, "--target", target, "--positive", positive,
                   "--exclude", exclude, "--model", model, "--models", models)
    version = (models / "scoring/CURRENT").read_text().strip()
    metrics = json.loads((models / "scoring" / version / "metrics.json").read_text())
    results[model] = metrics
print(out)
"""),
    ("code", """
def flat(m):
    v = m.get("validation", m)
    return {k: v[k] for k in ["auc", "log_loss", "brier", "ece", "lift_top_decile"] if k in v}
table = pd.DataFrame({k: flat(v) for k, v in results.items()}).T
table
"""),
    ("code", """
ax = table["auc"].plot.bar(title="Held-out AUC by model", ylim=(0.5, 1.0))
assert table["auc"].min() > 0.5, "every model beats chance"
"""),
    ("markdown", "The report of the last version (open `index.html` in a browser):"),
    ("code", "print(models / 'scoring' / version / 'report' / 'index.html')"),
])

api = nb([
    ("markdown", """
# Pulling a forecast from the API and plotting it with its interval

A planner's view over HTTP: the revenue forecast per region for the next quarter (P10/P50/P90
and what is already closed), and the quota forecast per team with the chance of making quota.
The server is `leadcast serve --models models --data data/sample`; the key is a planner key.
"""),
    ("code", """
import json, os, urllib.request
import pandas as pd
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

URL = os.environ.get("LEADCAST_URL", "http://127.0.0.1:8080")
KEY = os.environ.get("LEADCAST_KEY") or open(".leadcast/admin.key").read().strip()
PERIOD = os.environ.get("LEADCAST_PERIOD", "2026Q4")

def get(path):
    req = urllib.request.Request(URL + path, headers={"Authorization": f"Bearer {KEY}"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)
"""),
    ("code", """
rev = get(f"/v1/forecasts/revenue?period={PERIOD}&by=region")
df = pd.DataFrame(rev["rows"]).set_index("key")
df[["closed_to_date", "p10", "p50", "p90"]]
"""),
    ("code", """
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.bar(df.index, df["p50"], color="#4e79a7", alpha=0.7, label="P50")
ax.errorbar(df.index, df["p50"], yerr=[df["p50"] - df["p10"], df["p90"] - df["p50"]], fmt="none", ecolor="#333", capsize=4, label="P10–P90")
ax.bar(df.index, df["closed_to_date"], color="#59a14f", alpha=0.9, label="closed to date")
ax.set_title(f"Bookings forecast {PERIOD} by region")
ax.legend()
assert (df["p10"] <= df["p50"]).all() and (df["p50"] <= df["p90"]).all()
"""),
    ("code", """
quota = pd.DataFrame(get(f"/v1/forecasts/quota?period={PERIOD}&level=team")["rows"]).set_index("key")
ax = quota["p_attain"].sort_values().plot.barh(title=f"P(team makes quota) {PERIOD}", xlim=(0, 1))
quota[["quota", "p50", "expected_attainment", "p_attain", "gap", "coverage_needed"]]
"""),
])

os.makedirs(os.path.join(ROOT, "notebooks"), exist_ok=True)
for name, book in [("01-explore-data.ipynb", explore), ("02-train-and-compare.ipynb", train), ("03-forecast-from-the-api.ipynb", api)]:
    with open(os.path.join(ROOT, "notebooks", name), "w") as f:
        json.dump(book, f, indent=1, ensure_ascii=False)
        f.write("\n")
