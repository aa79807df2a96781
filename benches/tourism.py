"""Tourism competition benchmark: leadcast forecast-series against statsforecast.

Data: ../shared/data/tourism/tourism_long.csv (series,period,split,t,value; split train/test),
Athanasopoulos, Hyndman, Song & Wu (2011). For the quarterly (h=8, season 4) and monthly
(h=24, season 12) series, runs statsforecast's AutoETS and Theta (n_jobs=1) and
`leadcast forecast-series` on the same training data, and prints MASE (scaled by the in-sample
seasonal naive MAE), 80%-interval coverage on the test part, wall and CPU seconds (the CPU time
is what is compared: the machine is shared, wall time depends on its load), and the speed ratio.

--validate holds out the last h values of each *training* series instead of using the test
part: the split used to tune leadcast's choices without looking at the test data.
Run through benches/tourism.sh (which pins everything to one core with taskset -c 0).
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

FREQS = [("QUARTERLY", 8, 4), ("MONTHLY", 24, 12)]


def mase_and_coverage(train, test, point, lo, hi, m):
    mases, inside, total = [], 0, 0
    for sid, y_test in test.items():
        y_train = train[sid]
        scale = np.mean(np.abs(y_train[m:] - y_train[:-m]))
        f = point[sid]
        mases.append(np.mean(np.abs(y_test - f)) / scale)
        if lo is not None:
            inside += int(np.sum((y_test >= lo[sid]) & (y_test <= hi[sid])))
            total += len(y_test)
    cov = inside / total if total else float("nan")
    return float(np.mean(mases)), cov


def split(df, freq, h, holdout):
    d = df[df.period == freq]
    train, test = {}, {}
    for sid, g in d.groupby("series", sort=True):
        tr = g[g.split == "train"].sort_values("t").value.to_numpy(float)
        te = g[g.split == "test"].sort_values("t").value.to_numpy(float)
        if holdout:
            end = len(tr) - (holdout - 1) * h
            tr, te = tr[: end - h], tr[end - h : end]
        train[sid], test[sid] = tr, te
    return train, test


def run_leadcast(binary, train, h, m, workdir):
    inp = os.path.join(workdir, "in.csv")
    out = os.path.join(workdir, "out.csv")
    rows = [(sid, t + 1, v) for sid, y in train.items() for t, v in enumerate(y)]
    pd.DataFrame(rows, columns=["series", "t", "value"]).to_csv(inp, index=False)
    start = time.perf_counter()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([binary, "forecast-series", "--input", inp, "--horizon", str(h), "--season", str(m),
                    "--output", out, "--method", os.environ.get("LEADCAST_METHOD", "auto")], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    secs = time.perf_counter() - start
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    res = pd.read_csv(out)
    point, lo, hi = {}, {}, {}
    for sid, g in res.groupby("series"):
        g = g.sort_values("step")
        point[str(sid)], lo[str(sid)], hi[str(sid)] = g.p50.to_numpy(), g.p10.to_numpy(), g.p90.to_numpy()
    return point, lo, hi, secs, cpu


def run_statsforecast(model_name, train, h, m):
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, Theta

    make = {"AutoETS": lambda: AutoETS(season_length=m), "Theta": lambda: Theta(season_length=m),
            "AutoARIMA": lambda: AutoARIMA(season_length=m)}[model_name]
    df = pd.concat([pd.DataFrame({"unique_id": sid, "ds": np.arange(len(y)), "y": y}) for sid, y in train.items()])
    # Warm-up on one short series so numba's compilation is not counted.
    StatsForecast(models=[make()], freq=1, n_jobs=1).forecast(df=df[df.unique_id == df.unique_id.iloc[0]], h=h, level=[80])
    start, cpu0 = time.perf_counter(), time.process_time()
    fc = StatsForecast(models=[make()], freq=1, n_jobs=1).forecast(df=df, h=h, level=[80])
    secs, cpu = time.perf_counter() - start, time.process_time() - cpu0
    fc = fc.reset_index() if "unique_id" not in fc.columns else fc
    point, lo, hi = {}, {}, {}
    for sid, g in fc.groupby("unique_id"):
        g = g.sort_values("ds")
        point[sid] = g[model_name].to_numpy()
        lo[sid] = g[f"{model_name}-lo-80"].to_numpy()
        hi[sid] = g[f"{model_name}-hi-80"].to_numpy()
    return point, lo, hi, secs, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data/tourism")
    ap.add_argument("--leadcast", default="target/release/leadcast")
    ap.add_argument("--validate", action="store_true")
    ap.add_argument("--holdout", type=int, default=0,
                    help="validation origin k >= 1: the k-th last h values of train are the test part, later ones dropped")
    ap.add_argument("--skip-statsforecast", action="store_true")
    ap.add_argument("--skip-leadcast", action="store_true")
    ap.add_argument("--sets", default="quarterly,monthly",
                    help="comma-separated subset of quarterly,monthly")
    ap.add_argument("--with-arima", action="store_true",
                    help="also run statsforecast's AutoARIMA (slow: minutes per set)")
    a = ap.parse_args()
    df = pd.read_csv(os.path.join(a.data, "tourism_long.csv"), dtype={"series": str})
    holdout = a.holdout or (1 if a.validate else 0)
    what = f"validation: train's {holdout}. last h held out" if holdout else "test split"
    print(f"tourism ({what}), one core")
    print("| set | method | series | MASE | 80% coverage | wall s | CPU s | × faster than AutoETS (CPU) |")
    print("|---|---|---|---|---|---|---|---|")
    sets = {x.strip().lower() for x in a.sets.split(",")}
    for freq, h, m in FREQS:
        if freq.lower() not in sets:
            continue
        train, test = split(df, freq, h, holdout)
        results = []
        snaive = {sid: np.array([y[len(y) - m + (j % m)] for j in range(h)]) for sid, y in train.items()}
        mase, _ = mase_and_coverage(train, test, snaive, None, None, m)
        results.append(("seasonal naive", mase, float("nan"), float("nan"), float("nan")))
        if not a.skip_statsforecast:
            for name in ["AutoETS", "Theta"] + (["AutoARIMA"] if a.with_arima else []):
                p, lo, hi, secs, cpu = run_statsforecast(name, train, h, m)
                mase, cov = mase_and_coverage(train, test, p, lo, hi, m)
                results.append((f"statsforecast {name}", mase, cov, secs, cpu))
        if not a.skip_leadcast:
            with tempfile.TemporaryDirectory() as wd:
                p, lo, hi, secs, cpu = run_leadcast(a.leadcast, train, h, m, wd)
            mase, cov = mase_and_coverage(train, test, p, lo, hi, m)
            results.append(("leadcast", mase, cov, secs, cpu))
        ets_cpu = next((r[4] for r in results if r[0] == "statsforecast AutoETS"), float("nan"))
        for name, mase, cov, secs, cpu in results:
            ratio = ets_cpu / cpu if cpu == cpu and cpu > 0 else float("nan")
            print(f"| {freq.lower()} (h={h}) | {name} | {len(train)} | {mase:.3f} | {cov:.3f} | {secs:.2f} | {cpu:.2f} | {ratio:.1f} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
