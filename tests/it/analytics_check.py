# Independent check of `leadcast analytics ... --format json`, written from the documented
# definitions (README "Analytics") with the Python standard library only: reads the contract
# CSVs, recomputes every figure and compares. Exit 1 and print every mismatch when any differs.
#
# usage: python3 analytics_check.py DATA_DIR REPORT PERIOD GOT.json [BY]
import csv
import datetime as dt
import json
import math
import os
import statistics
import sys
from collections import defaultdict

data, report, period, got_path = sys.argv[1:5]
by = sys.argv[5] if len(sys.argv) > 5 else None
got = json.load(open(got_path, encoding="utf-8"))
errors = []


def read(name):
    p = os.path.join(data, name + ".csv")
    if not os.path.exists(p):
        return None
    with open(p, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def d(s):
    return dt.date.fromisoformat(s[:10]) if s else None


reps = read("reps")
quotas = read("quotas")
leads = read("leads")
opps = read("opportunities")
history = read("stage_history")
acts = read("activities")
pays = read("payments")

# ---- dates and period ------------------------------------------------------------------
events = [d(l["created_at"]) for l in leads] + [d(l["converted_at"]) for l in leads if l["converted_at"]]
events += [d(o["created_at"]) for o in opps] + [d(o["closed_at"]) for o in opps if o["closed_at"]]
events += [d(h["entered_at"]) for h in history] + [d(a["at"]) for a in acts]
events += [d(p["paid_at"]) for p in (pays or []) if p["paid_at"]]
as_of = max(events)


def bounds(p):
    if "Q" in p:
        y, q = int(p[:4]), int(p[5])
        start = dt.date(y, 3 * q - 2, 1)
        nxt = dt.date(y + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    else:
        y, m = int(p[:4]), int(p[5:7])
        start = dt.date(y, m, 1)
        nxt = dt.date(y + (m == 12), 1 if m == 12 else m + 1, 1)
    return start, nxt - dt.timedelta(days=1)


def previous(p):
    if "Q" in p:
        y, q = int(p[:4]), int(p[5])
        return f"{y - 1}Q4" if q == 1 else f"{y}Q{q - 1}"
    y, m = int(p[:4]), int(p[5:7])
    return f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}"


start, last = bounds(period)
end = min(last, as_of)


def inside(x, s=None, e=None):
    return x is not None and (s or start) <= x <= (e or end)


team = {r["rep_id"]: r["team"] for r in reps}
name = {r["rep_id"]: r["name"] for r in reps}
lead_by_id = {l["lead_id"]: l for l in leads}
opp_by_id = {o["opportunity_id"]: o for o in opps}


def source_of(o):
    l = lead_by_id.get(o["lead_id"])
    return l["source"] if l else "(no lead)"


def quota_of(rep, p):
    total, any_ = 0.0, False
    ps, pl = bounds(p)
    for q in quotas:
        if q["rep_id"] != rep:
            continue
        qs, ql = bounds(q["period"])
        if q["period"] == p:
            share = 1.0
        elif "Q" in q["period"] and "Q" not in p and qs <= ps and pl <= ql:
            share = 1 / 3
        elif "Q" not in q["period"] and "Q" in p and ps <= qs and ql <= pl:
            share = 1.0
        else:
            continue
        total += float(q["quota"]) * share
        any_ = True
    return total if any_ else None


def div(a, b):
    return a / b if b else None


def med(xs):
    return statistics.median(xs) if xs else None


def check(path, g, e):
    if isinstance(e, float) or isinstance(g, float):
        if g is None or e is None:
            ok = g is None and e is None
        else:
            ok = math.isclose(g, e, rel_tol=1e-9, abs_tol=1e-6)
    else:
        ok = g == e
    if not ok:
        errors.append(f"{path}: leadcast {g!r}, expected {e!r}")


def check_window(w):
    check("window.period", w["period"], period)
    check("window.start", w["start"], start.isoformat())
    check("window.end", w["end"], end.isoformat())
    check("window.as_of", w["as_of"], as_of.isoformat())


# ---- funnel ----------------------------------------------------------------------------
STAGES = ["lead", "discovery", "qualification", "negotiation", "contract", "won", "collection"]
PIPE = ["discovery", "qualification", "negotiation", "contract"]


def funnel():
    check_window(got["window"])
    first_entry = defaultdict(dict)
    for h in history:
        e = first_entry[h["opportunity_id"]]
        x = d(h["entered_at"])
        if h["stage"] not in e or x < e[h["stage"]]:
            e[h["stage"]] = x
    deals_of_lead = defaultdict(list)
    for o in opps:
        if o["lead_id"] in lead_by_id:
            deals_of_lead[o["lead_id"]].append(d(o["created_at"]))
    invoices = defaultdict(list)
    for p in pays or []:
        invoices[p["opportunity_id"]].append(p)

    journeys = []  # (group keys, {stage: (entered date, advanced, lost, left date)})
    for l in leads:
        converted = l["converted"] == "1" or bool(l["converted_at"]) or bool(deals_of_lead[l["lead_id"]])
        when = d(l["converted_at"]) or (min(deals_of_lead[l["lead_id"]]) if deals_of_lead[l["lead_id"]] else None)
        keys = {"source": l["source"], "team": team.get(l["owner_id"], "(unknown)"), "rep": l["owner_id"]}
        journeys.append((keys, {"lead": (d(l["created_at"]), converted, False, when if converted else None)}))
    for o in opps:
        oid = o["opportunity_id"]
        won, lost = o["status"] == "won", o["status"] == "lost"
        at = PIPE.index(o["stage"])
        reached = {s: i <= at or s in first_entry[oid] or won for i, s in enumerate(PIPE)}
        for i in range(len(PIPE) - 2, -1, -1):
            reached[PIPE[i]] = reached[PIPE[i]] or reached[PIPE[i + 1]]
        entered = {s: first_entry[oid].get(s) for s in PIPE}
        entered["discovery"] = entered["discovery"] or d(o["created_at"])
        reached["won"] = won
        entered["won"] = d(o["closed_at"]) if won else None
        paid = None
        inv = invoices[oid]
        if won and inv and all(p["paid_at"] for p in inv):
            paid = max(d(p["paid_at"]) for p in inv)
        reached["collection"] = paid is not None
        entered["collection"] = paid
        lost_in = max((s for s in PIPE if reached[s]), key=PIPE.index) if lost else None
        order = STAGES[1:]
        path = {}
        for i, s in enumerate(order):
            if not reached[s]:
                continue
            nxt = [entered[t] for t in order[i + 1:] if reached[t] and entered[t]]
            left = nxt[0] if nxt else (d(o["closed_at"]) if lost_in == s else None)
            advanced = i + 1 < len(order) and reached[order[i + 1]]
            path[s] = (entered[s], advanced, lost_in == s, left)
        keys = {"source": source_of(o), "team": team.get(o["owner_id"], "(unknown)"), "rep": o["owner_id"]}
        journeys.append((keys, path))

    has_coll = pays is not None
    stages = STAGES if has_coll else STAGES[:-1]

    def rows(js):
        out = []
        for i, s in enumerate(stages):
            ent = adv = lst = 0
            days = []
            for _, path in js:
                if s not in path or not inside(path[s][0]):
                    continue
                e, a, lo, left = path[s]
                ent += 1
                adv += a
                lst += lo
                if left:
                    days.append((left - e).days)
            is_last = i == len(stages) - 1
            out.append(
                {
                    "stage": s,
                    "entered": ent,
                    "advanced": None if is_last else adv,
                    "lost": lst if s in PIPE else None,
                    "conversion": None if is_last else div(adv, ent),
                    "median_days": med(days),
                    "left": len(days),
                }
            )
        return out

    def compare(prefix, g_rows, e_rows):
        check(prefix + " stages", [r["stage"] for r in g_rows], [r["stage"] for r in e_rows])
        for gr, er in zip(g_rows, e_rows):
            for k, v in er.items():
                check(f"{prefix}.{er['stage']}.{k}", gr[k], float(v) if isinstance(v, float) else v)

    compare("overall", got["overall"], rows(journeys))
    if by:
        groups = defaultdict(list)
        for j in journeys:
            groups[j[0][by]].append(j)
        expected = {k: rows(v) for k, v in groups.items()}
        expected = {k: v for k, v in expected.items() if any(r["entered"] for r in v)}
        check("group keys", [g["key"] for g in got["groups"]], sorted(expected))
        for g in got["groups"]:
            if g["key"] in expected:
                compare(g["key"], g["stages"], expected[g["key"]])


# ---- channels --------------------------------------------------------------------------
def channels():
    check_window(got["window"])
    converted_leads = {o["lead_id"] for o in opps if o["lead_id"]}
    acc = defaultdict(lambda: {"leads": 0, "converted": 0, "opps": 0, "won": 0, "lost": 0, "rev": 0.0, "days": []})
    for l in leads:
        if inside(d(l["created_at"])):
            for k in (l["source"], "total"):
                acc[k]["leads"] += 1
                acc[k]["converted"] += l["converted"] == "1" or bool(l["converted_at"]) or l["lead_id"] in converted_leads
    for o in opps:
        src = source_of(o)
        created = inside(d(o["created_at"])) and src != "(no lead)"
        closed = o["status"] in ("won", "lost") and inside(d(o["closed_at"]))
        for k in (src, "total"):
            if created:
                acc[k]["opps"] += 1
            if closed and o["status"] == "won":
                acc[k]["won"] += 1
                acc[k]["rev"] += float(o["amount"])
                if src != "(no lead)":
                    acc[k]["days"].append((d(o["closed_at"]) - d(lead_by_id[o["lead_id"]]["created_at"])).days)
            elif closed:
                acc[k]["lost"] += 1
    rows = {r["source"]: r for r in got["rows"]}
    rows["total"] = got["total"]
    keys = sorted(k for k in acc if k != "total")
    check("channel keys", [r["source"] for r in got["rows"]], keys)
    for k, a in acc.items():
        r = rows.get(k)
        if r is None:
            continue
        exp = {
            "leads": a["leads"],
            "converted": a["converted"],
            "conversion": div(a["converted"], a["leads"]),
            "opportunities": a["opps"],
            "won_deals": a["won"],
            "lost_deals": a["lost"],
            "win_rate": div(a["won"], a["won"] + a["lost"]),
            "won_revenue": a["rev"],
            "revenue_per_lead": div(a["rev"], a["leads"]),
            "average_deal": div(a["rev"], a["won"]),
            "median_days_to_close": med(a["days"]),
        }
        for f, v in exp.items():
            check(f"{k}.{f}", r[f], float(v) if isinstance(v, (float,)) else v)


# ---- teams -----------------------------------------------------------------------------
def teams():
    check_window(got["window"])
    snap = start if last <= as_of else as_of + dt.timedelta(days=1)
    check("snapshot", got["snapshot"], snap.isoformat())
    per = {}

    def rep(r):
        return per.setdefault(r, {"q": None, "book": 0.0, "before": 0.0, "won": 0, "lost": 0, "cyc": [], "open": 0, "pipe": 0.0, "stale": 0.0})

    # Stale: open at the snapshot longer than 99% of the wins before it took (at least 100 wins;
    # the position in the sorted days rounded half away from zero).
    day_before = snap - dt.timedelta(days=1)
    wins = sorted((d(o["closed_at"]) - d(o["created_at"])).days for o in opps
                  if o["status"] == "won" and d(o["closed_at"]) <= day_before)
    stale_after = wins[math.floor((len(wins) - 1) * 0.99 + 0.5)] if len(wins) >= 100 else None

    for r in sorted({q["rep_id"] for q in quotas}):
        q = quota_of(r, period)
        if q is not None:
            rep(r)["q"] = q
    for o in opps:
        closed = d(o["closed_at"]) if o["status"] in ("won", "lost") else None
        in_p = inside(closed)
        open_at = d(o["created_at"]) < snap and (closed is None or closed >= snap)
        if not in_p and not open_at:
            continue
        a = rep(o["owner_id"])
        if in_p and o["status"] == "won":
            a["won"] += 1
            a["book"] += float(o["amount"])
            a["cyc"].append((closed - d(o["created_at"])).days)
            if closed < snap:
                a["before"] += float(o["amount"])
        elif in_p:
            a["lost"] += 1
        if open_at:
            a["open"] += 1
            a["pipe"] += float(o["amount"])
            if stale_after is not None and (day_before - d(o["created_at"])).days > stale_after:
                a["stale"] += float(o["amount"])

    def expect(members):
        qs = [per[m]["q"] for m in members if per[m]["q"] is not None]
        q = sum(qs) if qs else None
        book = sum(per[m]["book"] for m in members)
        won = sum(per[m]["won"] for m in members)
        lost = sum(per[m]["lost"] for m in members)
        pipe = sum(per[m]["pipe"] for m in members)
        rem = None if q is None else max(q - sum(per[m]["before"] for m in members), 0.0)
        return {
            "reps": len(members),
            "quota": q,
            "bookings": book,
            "won": won,
            "lost": lost,
            "win_rate": div(won, won + lost),
            "median_cycle_days": med([c for m in members for c in per[m]["cyc"]]),
            "open_deals": sum(per[m]["open"] for m in members),
            "open_pipeline": pipe,
            "stale_pipeline": None if stale_after is None else sum(per[m]["stale"] for m in members),
            "remaining_quota": rem,
            "pipeline_coverage": None if rem is None else div(pipe, rem),
            "attainment": None if q is None else div(book, q),
        }

    def compare(prefix, row, exp):
        for f, v in exp.items():
            check(f"{prefix}.{f}", row[f], float(v) if isinstance(v, float) else v)

    check("rep keys", [r["key"] for r in got["reps"]], sorted(per))
    for r in got["reps"]:
        compare(r["key"], r, expect([r["key"]]))
        check(r["key"] + ".team", r["team"], team.get(r["key"], "(unknown)"))
    by_team = defaultdict(list)
    for m in per:
        by_team[team.get(m, "(unknown)")].append(m)
    check("team keys", [r["key"] for r in got["teams"]], sorted(by_team))
    for r in got["teams"]:
        compare(r["key"], r, expect(by_team[r["key"]]))
    compare("total", got["total"], expect(list(per)))


# ---- scorecard -------------------------------------------------------------------------
VISIT = {"visit", "visits", "onsite", "on-site", "拜访", "上门拜访"}
CALL = {"phone", "call", "calls", "phone call", "电话"}


def scorecard():
    check_window(got["window"])
    prev = previous(period)
    ps, pl = bounds(prev)
    check("previous_period", got["previous_period"], prev)
    wins = defaultdict(list)  # account -> win dates
    for o in opps:
        if o["status"] == "won" and o["account_id"]:
            wins[o["account_id"]].append(d(o["closed_at"]))
    present = set()
    fig = defaultdict(lambda: {"book": 0.0, "prev": 0.0, "orders": 0, "visits": 0, "calls": 0, "new": set(), "lost": set()})
    for q in quotas:
        if quota_of(q["rep_id"], period) is not None:
            present.add(q["rep_id"])
    for o in opps:
        if o["status"] not in ("won", "lost"):
            continue
        c = d(o["closed_at"])
        r = o["owner_id"]
        acc = o["account_id"]
        if o["status"] == "won" and ps <= c <= pl:
            fig[r]["prev"] += float(o["amount"])
        if not inside(c):
            continue
        present.add(r)
        if o["status"] == "won":
            fig[r]["book"] += float(o["amount"])
            fig[r]["orders"] += 1
            if acc and not any(w < start for w in wins[acc]):
                fig[r]["new"].add(acc)
        elif acc and any(w < start for w in wins[acc]) and not any(inside(w) for w in wins[acc]):
            fig[r]["lost"].add(acc)
    for a in acts:
        at = d(a["at"])
        if not inside(at) or a["opportunity_id"] not in opp_by_id:
            continue
        o = opp_by_id[a["opportunity_id"]]
        r = o["owner_id"]
        present.add(r)
        if o["account_id"] and any(w < at for w in wins[o["account_id"]]):
            ch = a["channel"].strip().lower()
            fig[r]["visits"] += ch in VISIT
            fig[r]["calls"] += ch in CALL
    weeks = ((end - start).days + 1) / 7
    check("weeks", got["weeks"], weeks)
    exp = {}
    for r in sorted(present):
        f = fig[r]
        q = quota_of(r, period)
        exp[r] = {
            "quota": q,
            "bookings": f["book"],
            "completion": None if q is None else div(f["book"], q),
            "new_customers": len(f["new"]),
            "visits": f["visits"],
            "calls": f["calls"],
            "orders": f["orders"],
            "orders_per_week": f["orders"] / weeks,
            "previous_bookings": f["prev"],
            "growth": div(f["book"] - f["prev"], f["prev"]),
            "customers_lost": len(f["lost"]),
        }
    check("scorecard reps", sorted(r["rep_id"] for r in got["rows"]), sorted(exp))
    members = defaultdict(list)
    for r in exp:
        members[team.get(r, "(unknown)")].append(r)
    for row in got["rows"]:
        r = row["rep_id"]
        if r not in exp:
            continue
        check(r + ".team", row["team"], team.get(r, "(unknown)"))
        check(r + ".name", row["name"], name.get(r, ""))
        for k, v in exp[r].items():
            check(f"{r}.{k}", row["figures"][k], float(v) if isinstance(v, float) else v)
            vals = [exp[m][k] for m in members[row["team"]] if exp[m][k] is not None]
            check(f"{r}.team_median.{k}", row["team_median"][k], float(med(vals)) if vals else None)


# ---- tiers -----------------------------------------------------------------------------
def tiers():
    check_window(got["window"])
    ref = end
    check("reference", got["reference"], ref.isoformat())
    inv = defaultdict(list)
    for p in pays or []:
        inv[p["opportunity_id"]].append(p)
    acc = {}
    for o in opps:
        if o["status"] != "won" or not o["account_id"] or d(o["closed_at"]) > ref:
            continue
        a = acc.setdefault(o["account_id"], {"rev": 0.0, "n": 0, "dates": [], "paid": 0.0, "out": 0.0})
        a["rev"] += float(o["amount"])
        a["n"] += 1
        a["dates"].append(d(o["closed_at"]))
        for p in inv[o["opportunity_id"]]:
            if p["paid_at"] and d(p["paid_at"]) <= ref:
                a["paid"] += float(p["amount"])
                a["dates"].append(d(p["paid_at"]))
            else:
                a["out"] += float(p["amount"])
    ids = sorted(acc, key=lambda k: (-acc[k]["rev"], k))
    total = sum(acc[k]["rev"] for k in acc)
    check("total_revenue", got["total_revenue"], total)
    # ABC: by the revenue of the accounts ranked strictly above (ties share the first's class).
    cls = {}
    for k in ids:
        above = sum(acc[j]["rev"] for j in acc if acc[j]["rev"] > acc[k]["rev"])
        cls[k] = "A" if above < 0.8 * total else "B" if above < 0.95 * total else "C"
    n = len(ids)

    def score(vals, k, better):  # mid-rank percentile quintile, exact fractions
        v = vals[k]
        worse = sum(1 for x in vals.values() if (x < v if better == "high" else x > v))
        same = sum(1 for x in vals.values() if x == v)
        num = 5 * (2 * worse + same)
        return max(1, min(5, -(-num // (2 * n))))

    rec = {k: (ref - max(acc[k]["dates"])).days for k in acc}
    freq = {k: acc[k]["n"] for k in acc}
    mon = {k: acc[k]["rev"] for k in acc}

    def segment(r, f, m):
        if r >= 4 and f >= 4 and m >= 4:
            return "champions"
        if r >= 3 and f >= 4:
            return "loyal"
        if r >= 4 and m >= 4:
            return "potential_loyalists"
        if r >= 4:
            return "recent"
        if r <= 2 and (f >= 4 or m >= 4):
            return "at_risk"
        return {3: "need_attention", 2: "hibernating", 1: "lost"}[r]

    got_rows = got["accounts"]
    check("account order", [a["account_id"] for a in got_rows], ids)
    cum = 0.0
    seg_count = defaultdict(int)
    for row in got_rows:
        k = row["account_id"]
        if k not in acc:
            continue
        a = acc[k]
        cum += a["rev"]
        r, f, m = score(rec, k, "low"), score(freq, k, "high"), score(mon, k, "high")
        seg_count[segment(r, f, m)] += 1
        exp = {
            "revenue": a["rev"],
            "share": div(a["rev"], total),
            "cumulative_share": div(cum, total),
            "class": cls[k],
            "frequency": a["n"],
            "last_purchase": max(a["dates"]).isoformat(),
            "recency_days": rec[k],
            "r": r,
            "f": f,
            "m": m,
            "rfm": f"{r}{f}{m}",
            "segment": segment(r, f, m),
            "paid": a["paid"] if pays is not None else None,
            "outstanding": a["out"] if pays is not None else None,
        }
        for f_, v in exp.items():
            check(f"{k}.{f_}", row[f_], v)
    for c in got["classes"]:
        members = [k for k in ids if cls[k] == c["class"]]
        check(f"class {c['class']}.accounts", c["accounts"], len(members))
        check(f"class {c['class']}.revenue", c["revenue"], float(sum(acc[k]["rev"] for k in members)))
    for s in got["segments"]:
        check(f"segment {s['segment']}.accounts", s["accounts"], seg_count[s["segment"]])


# ---- collections -----------------------------------------------------------------------
def collections():
    check_window(got["window"])
    if pays is None:
        check("available", got["available"], False)
        check("teams", got["teams"], [])
        if not got.get("message") or "payments" not in got["message"]:
            errors.append(f"message should say there is no payments table: {got.get('message')!r}")
        return
    check("available", got["available"], True)
    acc = defaultdict(lambda: {"n": 0, "rec": 0.0, "age": [[0, 0.0] for _ in range(5)], "inv": 0.0, "end": 0.0, "due": 0.0, "got": 0.0, "cash": 0.0})
    for p in pays:
        o = opp_by_id.get(p["opportunity_id"])
        issued = d(o["closed_at"]) if o and o["closed_at"] else d(p["due_at"])
        t = team.get(o["owner_id"], "(unknown)") if o else "(unknown)"
        due, paid, amt = d(p["due_at"]), d(p["paid_at"]), float(p["amount"])
        for k in (t, "total"):
            a = acc[k]
            if issued <= as_of and (paid is None or paid > as_of):
                a["n"] += 1
                a["rec"] += amt
                late = (as_of - due).days
                b = 0 if late <= 0 else 1 if late <= 30 else 2 if late <= 60 else 3 if late <= 90 else 4
                a["age"][b][0] += 1
                a["age"][b][1] += amt
            if inside(issued):
                a["inv"] += amt
            if issued <= end and (paid is None or paid > end):
                a["end"] += amt
            if inside(due):
                a["due"] += amt
                if paid is not None and paid <= end:
                    a["got"] += amt
            if inside(paid):
                a["cash"] += amt
    days = (end - start).days + 1
    rows = {r["team"]: r for r in got["teams"]}
    rows["total"] = got["total"]
    check("collection teams", sorted(r["team"] for r in got["teams"]), sorted(k for k in acc if k != "total"))
    for k, a in acc.items():
        r = rows.get(k)
        if r is None:
            continue
        overdue = sum(x[1] for x in a["age"][1:])
        exp = {
            "outstanding_invoices": a["n"],
            "receivables": a["rec"],
            "overdue": overdue,
            "overdue_share": div(overdue, a["rec"]),
            "invoiced": a["inv"],
            "receivables_at_end": a["end"],
            "dso": None if not a["inv"] else a["end"] / a["inv"] * days,
            "due": a["due"],
            "collected_of_due": a["got"],
            "collection_rate": div(a["got"], a["due"]),
            "cash_collected": a["cash"],
        }
        for f, v in exp.items():
            check(f"{k}.{f}", r[f], float(v) if isinstance(v, float) else v)
        check(f"{k}.buckets", [b["bucket"] for b in r["ageing"]], ["current", "1-30", "31-60", "61-90", "90+"])
        for b, (cnt, amt) in zip(r["ageing"], a["age"]):
            check(f"{k}.{b['bucket']}.invoices", b["invoices"], cnt)
            check(f"{k}.{b['bucket']}.amount", b["amount"], amt)


{"funnel": funnel, "channels": channels, "teams": teams, "scorecard": scorecard, "tiers": tiers, "collections": collections}[report]()
if errors:
    print(f"{len(errors)} mismatch(es) in {report} {period}:")
    for e in errors[:40]:
        print("  " + e)
    sys.exit(1)
print(f"{report} {period}: every figure matches")
