#!/usr/bin/env python3
"""What a simulated world's ground truth looks like: the figures later models are judged by.

    python3 benches/truth_summary.py data/sample

Standard library only. Prints the oracle AUC of lead conversion (the true probabilities
against what eventually happened), conversion and win rates, bookings per quarter, quota
attainment, and how much talk-track evidence the activity log holds.
"""
import csv
import statistics
import sys
from collections import Counter, defaultdict
from pathlib import Path


def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def auc(scores, labels):
    """Area under the ROC curve by the rank-sum (Mann-Whitney) formula, ties averaged."""
    pairs = sorted(zip(scores, labels))
    ranks, i = [0.0] * len(pairs), 0
    while i < len(pairs):
        j = i
        while j + 1 < len(pairs) and pairs[j + 1][0] == pairs[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        i = j + 1
    pos = sum(1 for _, y in pairs if y)
    neg = len(pairs) - pos
    rank_pos = sum(r for r, (_, y) in zip(ranks, pairs) if y)
    return (rank_pos - pos * (pos + 1) / 2) / (pos * neg)


def main(d):
    d = Path(d)
    leads, tl = rows(d / "leads.csv"), rows(d / "truth/leads.csv")
    opps, to = rows(d / "opportunities.csv"), rows(d / "truth/opportunities.csv")
    p = [float(r["true_probability"]) for r in tl]
    y = [r["converted_eventually"] == "1" for r in tl]
    print(f"leads: {len(leads)}; converted by as-of {sum(r['converted'] == '1' for r in leads) / len(leads):.3f}, "
          f"eventually {sum(y) / len(y):.3f}; mean true probability {statistics.mean(p):.3f}")
    print(f"oracle AUC of lead conversion (true probability vs eventual outcome): {auc(p, y):.4f}")
    by_src = defaultdict(list)
    for r, t in zip(leads, tl):
        by_src[r["source"]].append(t["converted_eventually"] == "1")
    print("conversion by source: " + ", ".join(f"{s} {sum(v) / len(v):.3f}" for s, v in sorted(by_src.items(), key=lambda x: -sum(x[1]) / len(x[1]))))

    status = Counter(r["status"] for r in opps)
    closed = status["won"] + status["lost"]
    print(f"opportunities: {len(opps)}; {dict(status)}; win rate of closed {status['won'] / closed:.3f}")
    done = [(float(t["true_win_probability"]), t["final_status"] == "won") for t in to if t["final_status"] != "open"]
    print(f"oracle AUC of opportunity win at creation: {auc([a for a, _ in done], [b for _, b in done]):.4f} "
          f"(over {len(done)} deals closed by the end of the truth horizon)")
    lost_at = Counter(r["stage"] for r in opps if r["status"] == "lost")
    print("lost at stage: " + ", ".join(f"{k} {v}" for k, v in lost_at.items()))

    bq = defaultdict(float)
    for r in opps:
        if r["status"] == "won":
            m = int(r["closed_at"][5:7])
            bq[f"{r['closed_at'][:4]}Q{(m - 1) // 3 + 1}"] += float(r["amount"])
    print("bookings by quarter (closed-won amount, in thousands):")
    print("  " + "  ".join(f"{q} {v / 1000:,.0f}" for q, v in sorted(bq.items())))
    truth_b = defaultdict(float)
    for r in rows(d / "truth/bookings.csv"):
        truth_b[r["period"]] += float(r["amount"])
    print("truth: bookings after as-of: " + ", ".join(f"{q} {v / 1000:,.0f}k" for q, v in sorted(truth_b.items())))

    quota = {(r["rep_id"], r["period"]): float(r["quota"]) for r in rows(d / "quotas.csv")}
    rep_q = defaultdict(float)
    for r in opps:
        if r["status"] == "won":
            m = int(r["closed_at"][5:7])
            rep_q[(r["owner_id"], f"{r['closed_at'][:4]}Q{(m - 1) // 3 + 1}")] += float(r["amount"])
    last_full = sorted(bq)[-1]
    att = [rep_q[k] / q for k, q in quota.items() if k[1] == last_full and q > 0]
    if att:
        print(f"quota attainment in {last_full}: median {statistics.median(att):.2f}, "
              f"reps at or above quota {sum(a >= 1 for a in att)}/{len(att)}")

    acts = rows(d / "activities.csv")
    ctx = Counter((a["stage"], a["persona"], a["industry"], a["objection"]) for a in acts)
    print(f"activities: {len(acts)}; contexts {len(ctx)}; contexts with >= 200 touches: {sum(v >= 200 for v in ctx.values())} "
          f"(holding {sum(v for v in ctx.values() if v >= 200) / len(acts):.0%} of touches)")
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in Counter(a["outcome"] for a in acts).items()))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "data/sample")
