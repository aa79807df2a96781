#!/usr/bin/env python3
"""Lead-scoring baselines: leadcast against scikit-learn and LightGBM on the same real data.

    bash benches/scoring_baselines.sh            # normal entry point (venv, build, this script)
    target/bench-venv/bin/python benches/scoring_baselines.py [--skip-leadcast] [--leadcast BIN]

What it does:

1. Writes train/test splits (comma-separated CSV with header) under target/bench-data/:
   - bank_shuffled_{train,test}.csv: UCI bank-full, rows shuffled with RandomState(42), 80/20.
   - bank_order_{train,test}.csv: bank-full in file order, first 80% / last 20%.
   - crm_{train,test}.csv: Won/Lost opportunities of the CRM sample joined with sales teams,
     products and accounts (no close_value / close_date: leakage), shuffled with
     RandomState(42), 80/20.
   - olist_shuffled_{train,test}.csv: Olist's marketing-qualified leads (origin, landing page,
     first contact date as the export writes it, DD-MM-YYYY), converted when the lead appears
     among the closed deals (nothing of the deal is kept: it is known only after conversion);
     shuffled with RandomState(42), 80/20.
   - olist_time_{train,test}.csv: the same leads ordered by first contact date, the latest 20%
     as test (leadcast is told `--time first_contact_date`). The latest leads have had the
     least time to close, so their conversion is censored: a test of drift, as bank in file order.
   The bank files keep every column, including `duration`; every model is told to leave it out
   (it is only known after the call, so it leaks the outcome).
2. On each data set fits two baselines on exactly those files: a scikit-learn logistic
   regression (standardised numerics, one-hot categoricals) and a default LightGBM classifier
   (pandas categoricals), both single-threaded.
3. Runs `leadcast train scoring` / `leadcast evaluate scoring` on the same files for the models
   auto, logistic, gbdt and naive-bayes, reading AUC and log loss from <report>/metrics.json.
   A failing leadcast step gives an n/a row (its stderr tail is printed), never a crash.
4. Prints a machine line and one markdown table per data set (ratios against leadcast `auto`)
   and writes them to target/bench-data/scoring_baselines.md.
5. Repeats the shuffled bank split for the seeds in SHUFFLE_SEEDS (leadcast `auto` against
   LightGBM only), so the split-to-split spread of AUC and log loss is beside the one-split
   figures: a single 9,000-row test part moves log loss by several thousandths. Two more rows
   (outside the mean) split with scikit-learn's `train_test_split(test_size=0.2,
   random_state=42)`, plain and stratified by the target — the usual "fixed seed" of a
   notebook — since the issue's LightGBM reference (AUC 0.798, log loss 0.282) came from a
   split it does not name.

Needs numpy, pandas, scikit-learn and lightgbm (the .sh entry point installs them in a venv).
"""
import os

# Single-threaded fairness: must be set before numpy / LightGBM load their OpenMP runtime.
os.environ["OMP_NUM_THREADS"] = "1"

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

ROOT = Path(__file__).resolve().parent.parent
# Shared real data lives next to the project (see ../shared/data/README.md); overridable.
DATA = Path(os.environ.get("LEADCAST_SHARED_DATA", ROOT.parent / "shared" / "data"))
OUT = ROOT / "target" / "bench-data"

SEED = 42
TRAIN_FRACTION = 0.8
LEADCAST_MODELS = ["auto", "logistic", "gbdt", "naive-bayes"]
LEADCAST_TIMEOUT_S = 3600  # a hung leadcast step must not hang the benchmark
EPS = 1e-15  # probability clipping for log loss


# Each data set: target column, positive label (as leadcast sees it), columns to leave out.
DATASETS = {
    "bank_shuffled": {"target": "y", "positive": "yes", "exclude": ["duration"], "id": None},
    "bank_order": {"target": "y", "positive": "yes", "exclude": ["duration"], "id": None},
    "crm": {"target": "won", "positive": "1", "exclude": [], "id": "opportunity_id"},
    # The Python baselines get the date as leadcast reads it: days (a number), month, weekday.
    "olist_shuffled": {"target": "converted", "positive": "1", "exclude": [], "id": "mql_id",
                       "dates": {"first_contact_date": "%d-%m-%Y"}},
    "olist_time": {"target": "converted", "positive": "1", "exclude": [], "id": "mql_id",
                   "dates": {"first_contact_date": "%d-%m-%Y"}, "time": "first_contact_date"},
}


# ---------------------------------------------------------------------------------------------
# 1. Splits
# ---------------------------------------------------------------------------------------------

def split_write(df, name, shuffle):
    """Write df as <name>_train.csv / <name>_test.csv: first 80% / last 20% (after shuffling)."""
    if shuffle:
        df = df.iloc[np.random.RandomState(SEED).permutation(len(df))]
    n_train = int(len(df) * TRAIN_FRACTION)
    df.iloc[:n_train].to_csv(OUT / f"{name}_train.csv", index=False)
    df.iloc[n_train:].to_csv(OUT / f"{name}_test.csv", index=False)


def build_crm():
    """Won/Lost opportunities joined with teams, products and accounts; leakage columns dropped."""
    crm = DATA / "crm-opportunities"
    pipe = pd.read_csv(crm / "sales_pipeline.csv", dtype=str, keep_default_na=False)
    teams = pd.read_csv(crm / "sales_teams.csv", dtype=str, keep_default_na=False)
    # Whole-number columns as nullable Int64, so the CSV says 4821 (not 4821.0) and empty if missing.
    products = pd.read_csv(crm / "products.csv", dtype={"sales_price": "Int64"}, keep_default_na=False)
    accounts = pd.read_csv(crm / "accounts.csv", keep_default_na=False,
                           dtype={"account": str, "sector": str, "employees": "Int64"})

    pipe = pipe[pipe["deal_stage"].isin(["Won", "Lost"])].copy()
    pipe["product"] = pipe["product"].replace({"GTXPro": "GTX Pro"})  # naming quirk of the export
    accounts["sector"] = accounts["sector"].replace({"technolgy": "technology"})  # source typo

    df = (pipe.merge(teams, on="sales_agent", how="left", validate="many_to_one")
              .merge(products, on="product", how="left", validate="many_to_one")
              .merge(accounts[["account", "sector", "employees", "revenue"]],
                     on="account", how="left", validate="many_to_one"))
    # Opportunities without an account: empty account, sector, employees and revenue.
    # (The left join already leaves them missing; Won/Lost rows all have an account in this export.)
    if df["series"].isna().any():
        raise SystemExit(f"crm: unknown products {sorted(df.loc[df['series'].isna(), 'product'].unique())}")

    engage = pd.to_datetime(df["engage_date"], format="%Y-%m-%d")
    df["engage_month"] = engage.dt.month
    df["engage_dow"] = engage.dt.day_of_week  # Monday = 0
    df["won"] = (df["deal_stage"] == "Won").astype(int)
    columns = ["opportunity_id", "sales_agent", "manager", "regional_office", "product", "series",
               "sales_price", "account", "sector", "employees", "revenue", "engage_month",
               "engage_dow", "won"]
    return df[columns].reset_index(drop=True)


def build_olist():
    """Olist's MQLs with `converted` (the lead is among the closed deals), in file order."""
    olist = DATA / "olist-funnel"
    mql = pd.read_csv(olist / "olist_marketing_qualified_leads_dataset.csv", dtype=str, keep_default_na=False)
    closed = pd.read_csv(olist / "olist_closed_deals_dataset.csv", dtype=str, keep_default_na=False)
    mql["converted"] = mql["mql_id"].isin(set(closed["mql_id"])).astype(int)
    return mql[["mql_id", "first_contact_date", "landing_page_id", "origin", "converted"]]


# Shuffle seeds of the repeated bank split (step 5); 42 is the split of the main table.
SHUFFLE_SEEDS = [42, 0, 1, 2, 3, 4, 5, 6]


def write_splits():
    OUT.mkdir(parents=True, exist_ok=True)
    bank = pd.read_csv(DATA / "bank-marketing" / "bank-full.csv", sep=";")
    split_write(bank, "bank_shuffled", shuffle=True)
    split_write(bank, "bank_order", shuffle=False)
    split_write(build_crm(), "crm", shuffle=True)
    olist = build_olist()
    split_write(olist, "olist_shuffled", shuffle=True)
    first = pd.to_datetime(olist["first_contact_date"], format="%d-%m-%Y")
    split_write(olist.iloc[np.argsort(first.to_numpy(), kind="stable")], "olist_time", shuffle=False)


# ---------------------------------------------------------------------------------------------
# 2. Python baselines
# ---------------------------------------------------------------------------------------------

def load(name, spec):
    """Read a data set's split files back: features (numeric / categorical), 0/1 targets."""
    train = pd.read_csv(OUT / f"{name}_train.csv")
    test = pd.read_csv(OUT / f"{name}_test.csv")
    for df in (train, test):
        for col, form in spec.get("dates", {}).items():
            d = pd.to_datetime(df.pop(col), format=form)
            df[f"{col}_days"] = (d - pd.Timestamp("1970-01-01")).dt.days
            df[f"{col}_month"] = d.dt.month.astype(str)
            df[f"{col}_weekday"] = d.dt.day_of_week.astype(str)
    drop = [spec["target"], *spec["exclude"], *([spec["id"]] if spec["id"] else [])]
    features = [c for c in train.columns if c not in drop]
    numeric = [c for c in features if pd.api.types.is_numeric_dtype(train[c])]
    categorical = [c for c in features if c not in numeric]

    def prepare(df):
        x = df[features].copy()
        # Missing categories (e.g. no account) become their own level.
        x[categorical] = x[categorical].fillna("").astype(str)
        y = (df[spec["target"]].astype(str) == spec["positive"]).astype(int).to_numpy()
        return x, y

    x_train, y_train = prepare(train)
    x_test, y_test = prepare(test)
    return x_train, y_train, x_test, y_test, numeric, categorical


def metrics(y, p):
    p = np.clip(p, EPS, 1 - EPS)
    return {"auc": roc_auc_score(y, p), "log_loss": log_loss(y, p)}


def fit_logistic(x_train, y_train, x_test, numeric, categorical):
    """Standardised numerics + one-hot categoricals into a default-C logistic regression."""
    prep = ColumnTransformer([
        # The imputer is a no-op on these files (no missing numerics); it keeps the pipeline
        # from failing should a split ever contain an empty numeric cell.
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
        ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
    ])
    model = Pipeline([("prep", prep), ("clf", LogisticRegression(max_iter=1000))])
    start = time.perf_counter()
    model.fit(x_train, y_train)
    seconds = time.perf_counter() - start
    return model.predict_proba(x_test)[:, 1], seconds


def fit_lightgbm(x_train, y_train, x_test, categorical):
    """Default LGBMClassifier, single-threaded, categoricals as pandas 'category' dtype."""
    x_train, x_test = x_train.copy(), x_test.copy()
    for c in categorical:
        x_train[c] = x_train[c].astype("category")
        # Same category codes as training; values unseen in training become missing (NaN).
        # (bank_order: the test months include "sep", which the training rows never see.)
        dtype = x_train[c].dtype
        x_test[c] = x_test[c].where(x_test[c].isin(dtype.categories)).astype(dtype)
    model = lgb.LGBMClassifier(n_jobs=1, verbose=-1)
    start = time.perf_counter()
    model.fit(x_train, y_train)
    seconds = time.perf_counter() - start
    return model.predict_proba(x_test)[:, 1], seconds


def run_baselines(name, spec):
    x_train, y_train, x_test, y_test, numeric, categorical = load(name, spec)
    rows = {}
    for label, fit in [
        ("scikit-learn logistic", lambda: fit_logistic(x_train, y_train, x_test, numeric, categorical)),
        ("LightGBM (default)", lambda: fit_lightgbm(x_train, y_train, x_test, categorical)),
    ]:
        log(f"{name}: fitting {label}")
        p, seconds = fit()
        rows[label] = {**metrics(y_test, p), "fit_s": seconds}
    return rows


# ---------------------------------------------------------------------------------------------
# 3. leadcast
# ---------------------------------------------------------------------------------------------

def run_step(cmd):
    """Run one leadcast command; on failure print its stderr tail and return None."""
    try:
        # One core, like the baselines (forust's trees would otherwise use rayon's whole pool).
        env = {**os.environ, "RAYON_NUM_THREADS": "1"}
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=LEADCAST_TIMEOUT_S, env=env)
    except (OSError, subprocess.TimeoutExpired) as err:
        log(f"  failed: {' '.join(map(str, cmd))}\n    {err}")
        return None
    if done.returncode != 0:
        tail = "\n    ".join(done.stderr.strip().splitlines()[-10:]) or "(no stderr)"
        log(f"  failed (exit {done.returncode}): {' '.join(map(str, cmd))}\n    {tail}")
        return None
    return done


def run_leadcast(binary, name, spec, model, test_rows):
    """Train + evaluate one leadcast model; {auc, log_loss, fit_s} or None when anything fails."""
    with tempfile.TemporaryDirectory(prefix=f"leadcast-{name}-{model}-") as tmp:
        models, report = Path(tmp), Path(tmp) / "report"
        train = [binary, "train", "scoring", "--input", OUT / f"{name}_train.csv",
                 "--target", spec["target"], "--positive", spec["positive"]]
        if spec["exclude"]:
            train += ["--exclude", ",".join(spec["exclude"])]
        if spec["id"]:
            train += ["--id", spec["id"]]
        if spec.get("time"):
            train += ["--time", spec["time"]]
        train += ["--model", model, "--models", models]

        start = time.perf_counter()
        if run_step(train) is None:
            return None
        seconds = time.perf_counter() - start  # wall time of the whole train process

        evaluate = [binary, "evaluate", "scoring", "--models", models,
                    "--input", OUT / f"{name}_test.csv", "--report", report]
        if run_step(evaluate) is None:
            return None
        try:
            found = json.loads((report / "metrics.json").read_text())
            result = {"auc": float(found["auc"]), "log_loss": float(found["log_loss"]), "fit_s": seconds,
                      "model_fit_s": chosen_fit_seconds(models)}
        except (OSError, ValueError, KeyError, TypeError) as err:
            log(f"  {name}/{model}: no usable {report / 'metrics.json'}: {err!r}")
            return None
        if "rows" in found and found["rows"] != test_rows:
            log(f"  warning: {name}/{model}: metrics.json says rows={found['rows']}, test file has {test_rows}")
        return result


def chosen_fit_seconds(models):
    """The chosen estimator's own fit time on the training part (metadata.json's candidates)."""
    try:
        meta = next(models.glob("scoring/*/metadata.json"))
        found = json.loads(meta.read_text())
        report = found.get("training", found)
        chosen = report["model"]
        return next(float(c["fit_seconds"]) for c in report["candidates"] if c["model"] == chosen)
    except (StopIteration, OSError, ValueError, KeyError, TypeError):
        return None


# ---------------------------------------------------------------------------------------------
# 4. Report
# ---------------------------------------------------------------------------------------------

def log(message):
    print(message, file=sys.stderr, flush=True)


def machine_line():
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    mem_kib = next((int(l.split()[1]) for l in meminfo.splitlines() if l.startswith("MemTotal:")), None)
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    cpu = next((l.split(":", 1)[1].strip() for l in cpuinfo.splitlines() if l.startswith("model name")),
               platform.processor() or "unknown CPU")
    mem = f"{mem_kib / 1048576:.1f} GiB" if mem_kib else "unknown memory"
    packages = ", ".join(f"{p} {version(p)}" for p in ["numpy", "pandas", "scikit-learn", "lightgbm"])
    return (f"machine: {os.cpu_count()} cores, {mem}, {cpu}; "
            f"Python {platform.python_version()}, {packages}")


def leadcast_line():
    """Which source the leadcast rows measure: git commit, plus a note if the tree is dirty."""
    try:
        sha = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                             capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        sha = "unknown"
    return f"leadcast: git {sha} (release build)"


def fmt(value, digits):
    return "n/a" if value is None else f"{value:.{digits}f}"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def table(name, rows, n_train, n_test):
    """One markdown table; ratios are baseline / leadcast auto (n/a when auto is missing)."""
    ref = rows.get("leadcast auto")
    lines = [f"### {name} (train {n_train:,} rows, test {n_test:,} rows)", "",
             "| model | AUC | log loss | fit s | model fit s | AUC vs leadcast | fit time vs leadcast |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for label, r in rows.items():
        get = (lambda k: r[k]) if r else (lambda k: None)
        lines.append(" | ".join([
            f"| {label}", fmt(get("auc"), 4), fmt(get("log_loss"), 4), fmt(get("fit_s"), 2),
            fmt(get("model_fit_s") if r and "model_fit_s" in r else get("fit_s"), 2),
            fmt(ratio(get("auc"), ref and ref["auc"]), 3),
            fmt(ratio(get("fit_s"), ref and ref["fit_s"]), 2),
        ]) + " |")
    return "\n".join(lines)


def shuffle_seeds(binary, skip_leadcast):
    """Step 5: the shuffled bank split under several seeds; one markdown table."""
    bank = pd.read_csv(DATA / "bank-marketing" / "bank-full.csv", sep=";")
    spec = dict(DATASETS["bank_shuffled"])
    lines = ["### bank, shuffled 80/20 under several seeds (leadcast auto vs LightGBM default)", "",
             "| split | leadcast AUC | leadcast log loss | LightGBM AUC | LightGBM log loss |",
             "|---|---:|---:|---:|---:|"]

    def one(name, train, test):
        """Write one split, fit both on it; (leadcast metrics or None, LightGBM metrics)."""
        train.to_csv(OUT / f"{name}_train.csv", index=False)
        test.to_csv(OUT / f"{name}_test.csv", index=False)
        log(f"{name}: leadcast auto, LightGBM")
        lc = None if skip_leadcast else run_leadcast(binary, name, spec, "auto", len(test))
        x_train, y_train, x_test, y_test, _, categorical = load(name, spec)
        lg = metrics(y_test, fit_lightgbm(x_train, y_train, x_test, categorical)[0])
        lines.append(f"| {name} | {fmt(lc and lc['auc'], 4)} | {fmt(lc and lc['log_loss'], 4)} | "
                     f"{lg['auc']:.4f} | {lg['log_loss']:.4f} |")
        return lc, lg

    found = {"lc_auc": [], "lc_ll": [], "lgb_auc": [], "lgb_ll": []}
    for seed in SHUFFLE_SEEDS:
        df = bank.iloc[np.random.RandomState(seed).permutation(len(bank))]
        n_train = int(len(df) * TRAIN_FRACTION)
        lc, lg = one(f"bank_seed{seed}", df.iloc[:n_train], df.iloc[n_train:])
        if lc:
            found["lc_auc"].append(lc["auc"])
            found["lc_ll"].append(lc["log_loss"])
        found["lgb_auc"].append(lg["auc"])
        found["lgb_ll"].append(lg["log_loss"])
    mean = lambda v: float(np.mean(v)) if len(v) == len(SHUFFLE_SEEDS) else None
    sd = lambda v: float(np.std(v, ddof=1)) if len(v) == len(SHUFFLE_SEEDS) else None
    lines.append(f"| mean of the seeds | {fmt(mean(found['lc_auc']), 4)} | {fmt(mean(found['lc_ll']), 4)} | "
                 f"{fmt(mean(found['lgb_auc']), 4)} | {fmt(mean(found['lgb_ll']), 4)} |")
    lines.append(f"| sd of the seeds | {fmt(sd(found['lc_auc']), 4)} | {fmt(sd(found['lc_ll']), 4)} | "
                 f"{fmt(sd(found['lgb_auc']), 4)} | {fmt(sd(found['lgb_ll']), 4)} |")
    # scikit-learn's split: the test part is the first 20% of the same permutation.
    rows = np.arange(len(bank))
    for name, stratify in [("bank_tts42", None), ("bank_tts42_stratified", bank["y"])]:
        train, test = train_test_split(rows, test_size=0.2, random_state=42, stratify=stratify)
        one(name, bank.iloc[train], bank.iloc[test])
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leadcast", default=str(ROOT / "target" / "release" / "leadcast"),
                        help="leadcast binary (default: target/release/leadcast)")
    parser.add_argument("--skip-leadcast", action="store_true",
                        help="only run the Python baselines (e.g. when the build failed)")
    args = parser.parse_args()

    head = machine_line()
    print(head, flush=True)
    if not args.skip_leadcast:
        head += "\n" + leadcast_line()
        print(head.splitlines()[-1], flush=True)
    log(f"writing splits to {OUT}")
    write_splits()

    if args.skip_leadcast:
        log("leadcast skipped: its rows are n/a")
    elif not Path(args.leadcast).is_file():
        log(f"leadcast binary {args.leadcast} not found: its rows are n/a")
        args.skip_leadcast = True

    sections = [head]
    for name, spec in DATASETS.items():
        n_train = sum(1 for _ in open(OUT / f"{name}_train.csv")) - 1
        n_test = sum(1 for _ in open(OUT / f"{name}_test.csv")) - 1
        rows = {}
        for model in LEADCAST_MODELS:
            if args.skip_leadcast:
                rows[f"leadcast {model}"] = None
                continue
            log(f"{name}: leadcast {model}")
            rows[f"leadcast {model}"] = run_leadcast(args.leadcast, name, spec, model, n_test)
        rows.update(run_baselines(name, spec))
        section = table(name, rows, n_train, n_test)
        print("\n" + section, flush=True)
        sections.append(section)

    section = shuffle_seeds(args.leadcast, args.skip_leadcast)
    print("\n" + section, flush=True)
    sections.append(section)

    (OUT / "scoring_baselines.md").write_text("\n\n".join(sections) + "\n")
    log(f"tables written to {OUT / 'scoring_baselines.md'}")


if __name__ == "__main__":
    main()
