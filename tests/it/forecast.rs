//! Revenue and quota forecasting through the real binary (and the library the server calls):
//! coherent roll-ups, quota plans, backtests that do not peek, intervals against the
//! simulator's truth, clear errors for unknown periods and reps, the shipped model.

use crate::util::*;
use leadcast::domain::Period;
use leadcast::forecast::{ForecastModel, Level, model::quantile};
use leadcast::registry::Registry;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A simulated world with every model trained on it, shared by the tests.
struct World {
    _dir: tempfile::TempDir,
    data: PathBuf,
    models: PathBuf,
}

fn world(as_of: &str, seed: u64) -> World {
    let dir = tempfile::tempdir().unwrap();
    let (data, models) = (dir.path().join("data"), dir.path().join("models"));
    let r = leadcast(&[
        "generate",
        "--out",
        data.to_str().unwrap(),
        "--seed",
        &seed.to_string(),
        "--leads",
        "12000",
        "--reps",
        "16",
        "--quarters",
        "8",
        "--as-of",
        as_of,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = leadcast(&["train", "all", "--data", data.to_str().unwrap(), "--models", models.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("forecast model"), "{}", r.stdout);
    World { _dir: dir, data, models }
}

/// As of the middle of a quarter: there are bookings closed to date.
fn mid_quarter() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| world("2026-08-15", 11))
}

/// As of a quarter's end, with the next quarter's truth.
fn quarter_end() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| world("2026-09-30", 12))
}

fn forecast_json(models: &Path, period: &str, by: &str) -> serde_json::Value {
    let r = leadcast(&[
        "forecast",
        "--models",
        models.to_str().unwrap(),
        "--period",
        period,
        "--by",
        by,
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

fn rows(v: &serde_json::Value) -> Vec<&serde_json::Value> {
    v["rows"].as_array().unwrap().iter().collect()
}

fn f(v: &serde_json::Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or_else(|| panic!("{k} missing in {v}"))
}

#[test]
fn rollups_are_coherent_and_closed_to_date_matches_the_data() {
    let w = mid_quarter();
    let company = forecast_json(&w.models, "2026Q3", "company");
    let reps = forecast_json(&w.models, "2026Q3", "rep");
    let c = rows(&company)[0];
    // Closed to date, computed independently from the opportunities file.
    let (h, opps) = read_csv(&w.data.join("opportunities.csv"));
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let mut by_rep: BTreeMap<String, f64> = BTreeMap::new();
    for o in &opps {
        let closed = &o[col("closed_at")];
        if o[col("status")] == "won" && closed.as_str() >= "2026-07-01" && closed.as_str() <= "2026-08-15" {
            *by_rep.entry(o[col("owner_id")].clone()).or_default() += o[col("amount")].parse::<f64>().unwrap();
        }
    }
    let truth_closed: f64 = by_rep.values().sum();
    assert!(truth_closed > 0.0);
    assert!((f(c, "closed_to_date") - truth_closed).abs() < 0.05, "{} vs {truth_closed}", c["closed_to_date"]);
    let rep_closed: f64 = rows(&reps).iter().map(|r| f(r, "closed_to_date")).sum();
    assert!((rep_closed - truth_closed).abs() < 0.05 * rows(&reps).len() as f64);
    for r in rows(&reps) {
        let want = by_rep.get(r["key"].as_str().unwrap()).copied().unwrap_or(0.0);
        assert!((f(r, "closed_to_date") - want).abs() < 0.01, "{r}");
        assert!(
            f(r, "p10") <= f(r, "p50") && f(r, "p50") <= f(r, "p90") && f(r, "p10") >= f(r, "closed_to_date") - 0.01
        );
    }
    // Means add up across levels (P50s need not); the company mean is the sum of the reps'.
    let rep_mean: f64 = rows(&reps).iter().map(|r| f(r, "mean")).sum();
    assert!((rep_mean - f(c, "mean")).abs() < 1.0 + 1e-6 * f(c, "mean"), "{rep_mean} vs {}", c["mean"]);

    // Team figures come from the same draws as their reps: sum the reps' draws ourselves.
    let m = ForecastModel::load(&Registry::new(&w.models)).unwrap();
    let p: Period = "2026Q3".parse().unwrap();
    let sim = m.simulate(p, &m.open).unwrap();
    let teams = m.revenue_rows(&sim, Level::Team);
    let quotas = m.quota("2026Q3", Level::Team).unwrap();
    for t in &teams.rows {
        let mut total = vec![0.0; sim.draws.n];
        for (c, (rep, _)) in sim.draws.cells.iter().enumerate() {
            if m.org[*rep].team == t.key {
                for (a, b) in total.iter_mut().zip(&sim.draws.draws[c]) {
                    *a += b + sim.draws.closed[c];
                }
            }
        }
        total.sort_by(f64::total_cmp);
        assert!((quantile(&total, 0.5) - t.p50).abs() < 0.01, "team {}: {} vs {}", t.key, quantile(&total, 0.5), t.p50);
        // P(attain) is the share of the same summed draws at or above the team's quota, which is
        // the sum of its reps' quotas in the data.
        let q = quotas.rows.iter().find(|r| r.key == t.key).unwrap();
        let team_quota: f64 = (0..m.org.len())
            .filter(|&r| m.org[r].team == t.key)
            .filter_map(|r| ds_quota(&w.data, &m.org[r].rep_id, "2026Q3"))
            .sum();
        assert!((q.quota.unwrap() - team_quota).abs() < 0.01);
        let hit = total.iter().filter(|v| **v >= team_quota).count() as f64 / total.len() as f64;
        assert!((q.p_attain.unwrap() - hit).abs() < 1e-3, "{q:?} vs {hit}");
        assert!(q.gap.unwrap() >= 0.0);
    }
    // The same request gives the same numbers (seeded draws).
    assert_eq!(forecast_json(&w.models, "2026Q3", "team"), forecast_json(&w.models, "2026Q3", "team"));
}

#[test]
fn quota_plan_sums_to_the_target_and_respects_floors_and_caps() {
    let w = mid_quarter();
    let models = w.models.to_str().unwrap();
    let base = forecast_json(&w.models, "2026Q4", "company");
    let target = (f(rows(&base)[0], "mean") * 1.1).round();
    let reps = rows(&forecast_json(&w.models, "2026Q4", "rep")).len() as f64;
    let (floor, cap) = ((0.1 * target / reps).round(), (1.6 * target / reps).round());
    let r = leadcast(&[
        "quota-plan",
        "--models",
        models,
        "--period",
        "2026Q4",
        "--target",
        &target.to_string(),
        "--rep-floor",
        &floor.to_string(),
        "--rep-cap",
        &cap.to_string(),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let plan: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let rows = plan["rows"].as_array().unwrap();
    let of = |level: &'static str| rows.iter().filter(move |r| r["level"] == level);
    let sum = |it: &mut dyn Iterator<Item = &serde_json::Value>| it.map(|r| f(r, "quota")).sum::<f64>();
    assert!((sum(&mut of("region")) - target).abs() < 1.0);
    for parent in of("region").chain(of("team")) {
        let key = parent["key"].as_str().unwrap();
        let kids: Vec<&serde_json::Value> = rows.iter().filter(|r| r["parent"].as_str() == Some(key)).collect();
        assert!(!kids.is_empty());
        let s: f64 = kids.iter().map(|r| f(r, "quota")).sum();
        assert!((s - f(parent, "quota")).abs() < 1.0, "{key}: {s} vs {}", parent["quota"]);
    }
    let mut bound_hit = false;
    for r in of("rep") {
        let q = f(r, "quota");
        assert!(q >= floor - 0.01 && q <= cap + 0.01, "{r}");
        bound_hit |= (q - floor).abs() < 0.01 || (q - cap).abs() < 0.01;
        assert!((0.0..=1.0).contains(&f(r, "p_attain")));
    }
    assert!(bound_hit, "the floors and caps were chosen to bind for some rep");
    // Without bounds, quotas are proportional to capacity.
    let r = leadcast(&[
        "quota-plan",
        "--models",
        models,
        "--period",
        "2026Q4",
        "--target",
        &target.to_string(),
        "--format",
        "json",
    ]);
    let plan: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let capacity = f(&plan, "capacity");
    for r in plan["rows"].as_array().unwrap().iter().filter(|r| r["level"] == "region") {
        assert!((f(r, "quota") - target * f(r, "capacity") / capacity).abs() < 0.01 * target / 100.0 + 1.0, "{r}");
    }
    // Infeasible floors: a clear error, non-zero exit.
    let r =
        leadcast(&["quota-plan", "--models", models, "--period", "2026Q4", "--target", "1000", "--rep-floor", "500"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("floors"), "{}", r.stderr);
}

#[test]
fn backtest_snapshots_do_not_peek_and_the_report_is_written() {
    let w = quarter_end();
    let ds = leadcast::data::check_dir(&w.data, None).dataset;
    let origin: chrono::NaiveDate = "2026-03-31".parse().unwrap();
    let cut = leadcast::forecast::snapshot::as_of(&ds, origin);
    assert!(cut.activities.iter().all(|a| a.at <= origin));
    assert!(cut.stage_history.iter().all(|s| s.entered_at <= origin));
    assert!(cut.opportunities.iter().all(|o| o.created_at <= origin && o.closed_at.is_none_or(|c| c <= origin)));
    assert!(cut.leads.iter().all(|l| l.created_at <= origin && l.converted_at.is_none_or(|c| c <= origin)));
    // Deals open at the origin in the cut but closed later in the full data keep the stage they
    // had reached then, never a later one.
    let full: BTreeMap<&str, &leadcast::domain::Opportunity> =
        ds.opportunities.iter().map(|o| (o.opportunity_id.as_str(), o)).collect();
    let reopened = cut
        .opportunities
        .iter()
        .filter(|o| full[o.opportunity_id.as_str()].status.is_closed() && o.closed_at.is_none())
        .count();
    assert!(reopened > 0);
    for o in cut.opportunities.iter().filter(|o| o.closed_at.is_none()) {
        let last = ds
            .stage_history
            .iter()
            .filter(|s| s.opportunity_id == o.opportunity_id && s.entered_at <= origin)
            .map(|s| (s.entered_at, s.stage))
            .max();
        assert_eq!(o.stage, last.map_or(leadcast::domain::Stage::Discovery, |x| x.1));
    }

    let report = w._dir.path().join("bt");
    let r = leadcast(&[
        "backtest",
        "--data",
        w.data.to_str().unwrap(),
        "--periods",
        "3",
        "--win",
        "empirical",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    for level in ["company", "region", "team", "rep"] {
        assert!(r.stdout.lines().any(|l| l.starts_with(level) && l.contains('%')), "{level}: {}", r.stdout);
    }
    let html = std::fs::read_to_string(report.join("index.html")).unwrap();
    assert!(html.contains("fan.svg") && html.contains("WAPE"));
    assert!(std::fs::read_to_string(report.join("fan.svg")).unwrap().contains("<svg"));
    // The realised bookings of the report match the data (independent sum of won deals).
    let bt: serde_json::Value = serde_json::from_slice(&std::fs::read(report.join("backtest.json")).unwrap()).unwrap();
    for o in bt["origins"].as_array().unwrap() {
        let p: Period = o["period"].as_str().unwrap().parse().unwrap();
        let want: f64 = ds
            .opportunities
            .iter()
            .filter(|x| x.status == leadcast::domain::Status::Won && x.closed_at.is_some_and(|c| p.contains(c)))
            .map(|x| x.amount)
            .sum();
        let got =
            o["rows"].as_array().unwrap().iter().find(|r| r["level"] == "company").map(|r| f(r, "actual")).unwrap();
        assert!((got - want).abs() < 0.05, "{p}: {got} vs {want}");
        assert!(o["origin"].as_str().unwrap() < o["period"].as_str().unwrap());
    }
    // Too many periods for the history: a clear error.
    let r = leadcast(&["backtest", "--data", w.data.to_str().unwrap(), "--periods", "40", "--win", "empirical"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("at most"), "{}", r.stderr);
    let r = leadcast(&["backtest", "--data", w.data.to_str().unwrap(), "--periods", "0"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--periods must be at least 1") && !r.stderr.contains("hint"), "{}", r.stderr);
}

#[test]
fn rep_intervals_cover_the_simulators_truth() {
    let w = quarter_end();
    let fc = forecast_json(&w.models, "2026Q4", "rep");
    let (_, truth) = read_csv(&w.data.join("truth/bookings.csv"));
    let actual: BTreeMap<&str, f64> =
        truth.iter().filter(|r| r[1] == "2026Q4").map(|r| (r[0].as_str(), r[2].parse().unwrap())).collect();
    let rows = rows(&fc);
    assert_eq!(rows.len(), actual.len(), "one row per rep");
    let covered = rows
        .iter()
        .filter(|r| {
            let a = actual[r["key"].as_str().unwrap()];
            f(r, "p10") <= a && a <= f(r, "p90")
        })
        .count() as f64
        / rows.len() as f64;
    // 16 reps: a binomial 80% has a wide spread; the bounds fail on too-narrow or too-wide bands.
    assert!((0.5..=1.0).contains(&covered) && covered < 1.0 || rows.len() < 10, "coverage {covered}");
}

/// The company P50 against the realised bookings of the next quarter, within 25%. On this
/// small world the realised 4.72M is 2.3× the 2025Q4 and 1.5× the 2024Q4 bookings: 3.69M of it
/// came from 80 deals open at the as-of whose true win probabilities (at creation) expected
/// 2.12M of them by amount, three of them over 280k. The P50 is 4.00M (−15%; P10 3.03M, P90
/// 5.06M); until new business grew with the deal flow (2026-12-07) it was 3.41M (−28%) and
/// this test was ignored. One small world is a single draw: the 5% is judged over many
/// seeds by `benches/forecast_sim.sh` and `benches/forecast_noise.sh`.
#[test]
fn company_p50_is_close_to_the_truth() {
    let w = quarter_end();
    let (_, truth) = read_csv(&w.data.join("truth/bookings.csv"));
    let actual: BTreeMap<&str, f64> =
        truth.iter().filter(|r| r[1] == "2026Q4").map(|r| (r[0].as_str(), r[2].parse().unwrap())).collect();
    let company = forecast_json(&w.models, "2026Q4", "company");
    let total: f64 = actual.values().sum();
    let p50 = f(rows_first(&company), "p50");
    assert!((p50 - total).abs() / total < 0.25, "company P50 {p50} vs truth {total}");
    let c = rows_first(&company);
    assert!(f(c, "p10") < total * 1.25 && f(c, "p90") > total * 0.75);
}

fn rows_first(v: &serde_json::Value) -> &serde_json::Value {
    &v["rows"][0]
}

#[test]
fn unknown_periods_reps_and_levels_are_clear_errors() {
    let w = quarter_end();
    let models = w.models.to_str().unwrap();
    for (args, says) in [
        (vec!["--period", "2024Q1"], "unknown period 2024Q1"),
        (vec!["--period", "2031Q1"], "too far ahead"),
        (vec!["--period", "2026Q5"], "cannot parse"),
        // An unreadable period still says which periods there are.
        (vec!["--period", "Q4 2026"], "; forecasts cover 20"),
        (vec!["--period", "2026Q4", "--by", "planet"], "unknown level"),
        (vec!["--period", "2026Q4", "--by", "rep", "--key", "R999"], "unknown rep \"R999\""),
        (vec!["--period", "2026Q4", "--format", "xml"], "--format"),
    ] {
        let mut a = vec!["forecast", "--models", models];
        a.extend(args.iter());
        let r = leadcast(&a);
        assert_ne!(r.code, 0, "{a:?}");
        assert!(r.stderr.contains(says), "{a:?}: {}", r.stderr);
        assert!(!r.stderr.contains("panicked"));
    }
    let r = leadcast(&["quota-plan", "--models", models, "--period", "2019Q1", "--target", "100"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("unknown period"), "{}", r.stderr);
    let r = leadcast(&["quota-plan", "--models", models, "--period", "2026Q4", "--target", "-5"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("the target must be a positive amount, got -5"), "{}", r.stderr);
    // The library the server calls: an unknown owner in a what-if pipeline.
    let m = ForecastModel::load(&Registry::new(&w.models)).unwrap();
    let deal: leadcast::forecast::OpenOpportunity = serde_json::from_value(serde_json::json!({
        "opportunity_id": "X1", "owner_id": "NOBODY", "product": "CRM Pro", "amount": 1000.0,
        "stage": "negotiation", "created_at": "2026-09-01" }))
    .unwrap();
    let e = m.revenue_for("2026Q4", Level::Rep, std::slice::from_ref(&deal)).unwrap_err().to_string();
    assert!(e.contains("unknown rep") && e.contains("NOBODY"), "{e}");
    // A what-if with a known owner and a sure deal raises that rep's forecast by its amount.
    let mut sure = deal;
    sure.owner_id = m.org[0].rep_id.clone();
    sure.win_probability = Some(1.0);
    sure.amount = 1e9;
    let with = m.revenue_for("2026Q4", Level::Rep, &[sure.clone()]).unwrap();
    let r0 = with.rows.iter().find(|r| r.key == m.org[0].rep_id).unwrap();
    assert!(r0.p90 > 1e9 * 0.5, "{r0:?}");
    // The simulated history records a discount on every won deal: the sure deal without one is
    // expected to book its amount less the won deals' mean discount, with one as it says.
    assert!(m.discounts.overall > 1.0 && m.discounts.overall < 30.0, "{:?}", m.discounts);
    let mut agreed = sure;
    agreed.discount_pct = Some(0.0);
    let net = m.revenue_for("2026Q4", Level::Rep, &[agreed]).unwrap();
    let a0 = net.rows.iter().find(|r| r.key == m.org[0].rep_id).unwrap();
    let share = r0.mean / a0.mean;
    let expected = m.discounts.share("CRM Pro", None);
    assert!((share - expected).abs() < 0.02, "booked {share:.3} of the agreed amount, expected {expected:.3}");
    assert!(m.quota("2026Q4", Level::Product).is_err());
    let json = serde_json::to_string(&m.quota("2026Q4", Level::Rep).unwrap()).unwrap();
    assert!(!json.contains("NaN") && !json.contains("inf"));
}

#[test]
fn the_shipped_model_serves_the_sample() {
    let models = repo().join("models");
    let m = ForecastModel::load(&Registry::new(&models)).expect("models/forecast is shipped");
    // The open pipeline snapshot is the sample's open deals, counted independently.
    let (h, opps) = read_csv(&repo().join("data/sample/opportunities.csv"));
    let st = h.iter().position(|x| x == "status").unwrap();
    assert_eq!(m.open.len(), opps.iter().filter(|o| o[st] == "open").count());
    assert_eq!(m.as_of.to_string(), "2026-09-30");
    assert!(m.win_source.contains("opportunity model"), "{}", m.win_source);
    let fc = forecast_json(&models, "2026Q4", "region");
    assert_eq!(rows(&fc).len(), 4);
    // The sample's truth: the company's 2026Q4 bookings.
    let (_, truth) = read_csv(&repo().join("data/sample/truth/bookings.csv"));
    let total: f64 = truth.iter().filter(|r| r[1] == "2026Q4").map(|r| r[2].parse::<f64>().unwrap()).sum();
    let company = forecast_json(&models, "2026Q4", "company");
    let c = rows_first(&company);
    assert!(f(c, "p10") <= total && total <= f(c, "p90"), "truth {total} outside [{}, {}]", c["p10"], c["p90"]);
}

/// A rep's quota for a period, read from the data directory's quotas file.
fn ds_quota(data: &Path, rep: &str, period: &str) -> Option<f64> {
    let (_, rows) = read_csv(&data.join("quotas.csv"));
    rows.iter().find(|r| r[0] == rep && r[1] == period).map(|r| r[2].parse().unwrap())
}

#[test]
fn forecast_tables_line_up_with_long_and_chinese_names() {
    // "Implementation Services" is wider than the key column's default 14: the column grows.
    let w = mid_quarter();
    let m = w.models.to_str().unwrap();
    let r = leadcast(&["forecast", "--models", m, "--period", "2026Q3", "--by", "product"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let table: Vec<&str> =
        r.stdout.lines().skip_while(|l| !l.starts_with("product ")).take_while(|l| !l.starts_with("note:")).collect();
    assert!(table.iter().any(|l| l.starts_with("Implementation Services ")), "{}", r.stdout);
    let widths: Vec<usize> = table.iter().map(|l| l.chars().count()).collect();
    assert!(table.len() > 2 && widths.iter().all(|&x| x == widths[0]), "ragged table:\n{}", r.stdout);
    // Reps by ID and name (the simulator names them in Chinese, two terminal columns a
    // character), still lined up.
    let r = leadcast(&["forecast", "--models", m, "--period", "2026Q3", "--by", "rep"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let reps = w.data.join("reps.csv");
    let (id, name) = (cell(&reps, 1, "rep_id"), cell(&reps, 1, "name"));
    let table: Vec<&str> =
        r.stdout.lines().skip_while(|l| !l.starts_with("rep ")).take_while(|l| !l.starts_with("note:")).collect();
    assert!(table.iter().any(|l| l.starts_with(&format!("{id} {name} "))), "{}", r.stdout);
    let widths: Vec<usize> = table.iter().map(|l| unicode_width::UnicodeWidthStr::width(*l)).collect();
    assert!(table.len() > 2 && widths.iter().all(|&x| x == widths[0]), "ragged table:\n{}", r.stdout);
    // JSON names them too, by rep only.
    let v = forecast_json(&w.models, "2026Q3", "rep");
    let row = rows(&v).into_iter().find(|r| r["key"] == id.as_str()).unwrap();
    assert_eq!(row["name"], name.as_str());
    assert!(rows(&forecast_json(&w.models, "2026Q3", "team")).iter().all(|r| r.get("name").is_none()));
}

#[test]
fn csv_outputs_name_reps_and_take_a_byte_order_mark_for_excel() {
    let w = mid_quarter();
    let m = w.models.to_str().unwrap();
    let reps = w.data.join("reps.csv");
    let (id, name) = (cell(&reps, 1, "rep_id"), cell(&reps, 1, "name"));
    const BOM: &str = "\u{feff}";
    let csv_rows = |stdout: &str| -> Vec<Vec<String>> {
        let body = stdout.strip_prefix(BOM).expect("--bom starts the output with the mark");
        csv::Reader::from_reader(body.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect()
    };
    let header = |stdout: &str| stdout.trim_start_matches(BOM).lines().next().unwrap_or("").to_string();

    let r = leadcast(&["forecast", "--models", m, "--period", "2026Q3", "--by", "rep", "--format", "csv", "--bom"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(header(&r.stdout).starts_with("period,key,name,"), "{}", r.stdout);
    assert!(csv_rows(&r.stdout).iter().any(|row| row[1] == id && row[2] == name), "{}", r.stdout);

    // The quota plan names its reps too (and only them); without --bom there is no mark.
    let plan = |bom: bool| {
        let mut args =
            vec!["quota-plan", "--models", m, "--period", "2026Q4", "--target", "9000000", "--format", "csv"];
        if bom {
            args.push("--bom");
        }
        leadcast(&args)
    };
    let (with, without) = (plan(true), plan(false));
    assert_eq!(with.code, 0, "{}", with.stderr);
    assert_eq!(with.stdout.strip_prefix(BOM), Some(without.stdout.as_str()));
    assert_eq!(header(&without.stdout), "level,key,name,parent,capacity,quota,p_attain");
    let lines = csv_rows(&with.stdout);
    assert!(lines.iter().any(|row| row[0] == "rep" && row[1] == id && row[2] == name), "{}", with.stdout);
    assert!(lines.iter().filter(|row| row[0] != "rep").all(|row| row[2].is_empty()), "{}", with.stdout);
    let j = leadcast(&["quota-plan", "--models", m, "--period", "2026Q4", "--target", "9000000", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    let rep = rows(&v).into_iter().find(|r| r["key"] == id.as_str()).unwrap();
    assert_eq!(rep["name"], name.as_str());
    assert!(rows(&v).iter().filter(|r| r["level"] != "rep").all(|r| r.get("name").is_none()));

    // Analytics CSV the same way.
    let data = w.data.to_str().unwrap();
    let r = leadcast(&["analytics", "scorecard", "--data", data, "--format", "csv", "--bom"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!csv_rows(&r.stdout).is_empty(), "{}", r.stdout);

    // A mark is for CSV: with a table it is an error, not a stray character.
    for args in [
        vec!["forecast", "--models", m, "--period", "2026Q3", "--bom"],
        vec!["quota-plan", "--models", m, "--period", "2026Q4", "--target", "9000000", "--bom"],
        vec!["analytics", "scorecard", "--data", data, "--format", "json", "--bom"],
    ] {
        let r = leadcast(&args);
        assert_ne!(r.code, 0, "{args:?}");
        assert!(r.stderr.contains("--bom is for --format csv") && r.stdout.is_empty(), "{args:?}: {}", r.stderr);
    }
}

#[test]
fn backtest_tables_in_chinese() {
    // `backtest --lang zh` (回测): the same figures as the English tables, line by line, the
    // tables lined up in terminal columns, and no English word left but WAPE and P10/P50/P90.
    let data = repo().join("data/sample");
    let run = |lang: &str| {
        let r = leadcast(&[
            "backtest",
            "--data",
            data.to_str().unwrap(),
            "--periods",
            "2",
            "--win",
            "empirical",
            "--lang",
            lang,
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout
    };
    let (en, zh) = (run("en"), run("zh"));
    assert!(zh.starts_with("回测：2 个季度（赢单概率：按阶段和在途时长的经验赢单率）"), "{zh}");
    let (en, zh): (Vec<&str>, Vec<&str>) = (en.lines().collect(), zh.lines().collect());
    assert_eq!(en.len(), zh.len(), "{en:?}\n{zh:?}");
    let numbers = |l: &str| -> Vec<String> {
        l.split(|c: char| !(c.is_ascii_digit() || ".-+".contains(c)))
            .filter(|t| t.chars().any(|c| c.is_ascii_digit()))
            .map(String::from)
            .collect()
    };
    for (e, z) in en.iter().zip(&zh) {
        assert_eq!(numbers(e), numbers(z), "{e}\n{z}");
        // Letters but those of WAPE, P10/P50/P90 and quarters (2026Q2).
        let kept = z.replace("WAPE", "").replace("P10", "").replace("P50", "").replace("P90", "");
        let chars: Vec<char> = kept.chars().collect();
        let latin: String = chars
            .iter()
            .enumerate()
            .filter(|&(k, c)| c.is_ascii_alphabetic() && !(*c == 'Q' && k > 0 && chars[k - 1].is_ascii_digit()))
            .map(|(_, c)| *c)
            .collect();
        assert!(latin.is_empty(), "an English word in {z:?}");
    }
    for level in ["公司", "大区", "团队", "销售", "产品"] {
        assert!(zh.iter().any(|l| l.starts_with(level) && l.ends_with('%')), "{level}: {zh:?}");
    }
    // The level table and the origins' table, each lined up.
    let width = |l: &&str| unicode_width::UnicodeWidthStr::width(*l);
    let levels: Vec<usize> = zh[1..7].iter().map(width).collect();
    assert!(levels.iter().all(|&w| w == levels[0]), "{zh:?}");
    let origins: Vec<usize> = zh[zh.len() - 3..].iter().map(width).collect();
    assert!(zh[zh.len() - 3].starts_with("起点") && origins.iter().all(|&w| w == origins[0]), "{zh:?}");
}

#[test]
fn forecast_and_quota_plan_tables_in_chinese() {
    let models = repo().join("models");
    let m = models.to_str().unwrap();
    let run = |args: &[&str]| {
        let r = leadcast(args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        r.stdout
    };
    let latin = |s: &str| s.chars().filter(|c| c.is_ascii_alphabetic()).collect::<String>();
    // The table's lines: from the column names to the first note.
    let table = |out: &str, note: &str| -> Vec<String> {
        out.lines()
            .skip(1)
            .filter(|l| !l.starts_with("method") && !l.starts_with("方法"))
            .take_while(|l| !l.starts_with(note))
            .map(str::to_string)
            .collect()
    };
    let numbers = |line: &str| line.split_whitespace().rev().take(10).map(str::to_string).collect::<Vec<_>>();
    for (period, by) in [("2026Q4", "team"), ("2026Q4", "company"), ("2026-11", "rep")] {
        let en = run(&["forecast", "--models", m, "--period", period, "--by", by]);
        let zh = run(&["forecast", "--models", m, "--period", period, "--by", by, "--lang", "zh"]);
        assert!(zh.starts_with(&format!("{period} 业绩预测（按")), "{zh}");
        let (te, tz) = (table(&en, "note:"), table(&zh, "注："));
        assert_eq!(te.len(), tz.len(), "{en}\n{zh}");
        // Column names in Chinese (P10/P50/P90 as Chinese reports write them too), the same
        // figures row by row, and lined up in terminal columns.
        assert_eq!(latin(&tz[0]), "PPP", "{}", tz[0]);
        for (e, z) in te.iter().zip(&tz).skip(1) {
            assert_eq!(numbers(e), numbers(z), "{e}\n{z}");
        }
        let widths: Vec<usize> = tz.iter().map(|l| unicode_width::UnicodeWidthStr::width(l.as_str())).collect();
        assert!(widths.iter().all(|&w| w == widths[0]), "ragged table:\n{zh}");
        // Every note in Chinese, one for each English one.
        let notes_en = en.lines().filter(|l| l.starts_with("note: ")).count();
        let notes_zh: Vec<&str> = zh.lines().filter_map(|l| l.strip_prefix("注：")).collect();
        assert!(notes_en > 0 && notes_zh.len() == notes_en, "{en}\n{zh}");
        for n in &notes_zh {
            assert!(latin(n).is_empty(), "an English word in {n:?}");
        }
        if by == "company" {
            assert!(tz[1].starts_with("合计 "), "{zh}");
        }
        if period == "2026-11" {
            assert!(notes_zh.contains(&"月度目标取季度目标的三分之一") && zh.contains("11月的赢单概率"), "{zh}");
        }
    }
    // The quota plan (目标分解): levels, column names and notes in Chinese, the same split.
    let plan =
        |lang: &str| run(&["quota-plan", "--models", m, "--period", "2027Q1", "--target", "12000000", "--lang", lang]);
    let (en, zh) = (plan("en"), plan("zh"));
    assert!(zh.starts_with("2027Q1 目标分解：公司目标 12000000"), "{zh}");
    // The target as a Chinese planner writes it (1200万), or a US one (12M, 12,000,000).
    for target in ["1200万", "12M", "12,000,000", "¥1200万元"] {
        let other = run(&["quota-plan", "--models", m, "--period", "2027Q1", "--target", target, "--lang", "zh"]);
        assert_eq!(other, zh, "--target {target}");
    }
    let (te, tz) = (table(&en, "note:"), table(&zh, "注："));
    assert_eq!(latin(&tz[0]), "", "{}", tz[0]);
    assert_eq!(te.len(), tz.len());
    for (e, z) in te.iter().zip(&tz).skip(1) {
        let level = z.split_whitespace().next().unwrap();
        let expected = match e.split_whitespace().next().unwrap() {
            "region" => "大区",
            "team" => "团队",
            "rep" => "销售",
            other => panic!("level {other}"),
        };
        assert_eq!(level, expected, "{z}");
        assert_eq!(e.split_whitespace().skip(1).collect::<Vec<_>>(), z.split_whitespace().skip(1).collect::<Vec<_>>());
    }
    let widths: Vec<usize> = tz.iter().map(|l| unicode_width::UnicodeWidthStr::width(l.as_str())).collect();
    assert!(widths.iter().all(|&w| w == widths[0]), "ragged table:\n{zh}");
    // A rep by name as by ID; a name that is no rep's is an error saying what --key takes.
    let reps = repo().join("data/sample/reps.csv");
    let (id, name) = (cell(&reps, 1, "rep_id"), cell(&reps, 1, "name"));
    let by_id = run(&["forecast", "--models", m, "--period", "2026Q4", "--by", "rep", "--key", &id]);
    let by_name = run(&["forecast", "--models", m, "--period", "2026Q4", "--by", "rep", "--key", &name]);
    assert_eq!(by_id, by_name);
    assert!(by_id.lines().any(|l| l.starts_with(&format!("{id} {name} "))), "{by_id}");
    let r = leadcast(&["forecast", "--models", m, "--period", "2026Q4", "--by", "rep", "--key", "张三丰"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("neither a rep's ID nor a rep's name; known: R001 "), "{}", r.stderr);
    // Chinese is for tables; machines keep the API's keys.
    for args in [
        vec!["forecast", "--models", m, "--period", "2026Q4", "--format", "json", "--lang", "zh"],
        vec!["forecast", "--models", m, "--period", "2026Q4", "--format", "csv", "--lang", "zh"],
        vec!["quota-plan", "--models", m, "--period", "2027Q1", "--target", "1000", "--format", "json", "--lang", "zh"],
    ] {
        let r = leadcast(&args);
        assert_eq!(r.code, 1, "{args:?}");
        assert!(r.stderr.contains("--lang zh is for tables") && r.stdout.is_empty(), "{args:?}: {}", r.stderr);
    }
    let r = leadcast(&["quota-plan", "--models", m, "--period", "2027Q1", "--target", "1000", "--lang", "fr"]);
    assert!(r.code == 1 && r.stderr.contains("--lang must be zh or en"), "{}", r.stderr);
}

#[test]
fn rep_floors_and_caps_bound_the_teams_and_regions_above_them() {
    // The shipped model, 2026Q4: split in proportion to capacity alone, team west-2 (five reps)
    // would get about 416,000 — less than five rep floors of 100,000. Each unit's quota is
    // kept within what its members can take together, so the plan holds at every level.
    let m = ForecastModel::load(&Registry::new(repo().join("models"))).unwrap();
    let rep = leadcast::forecast::Bound { floor: Some(100_000.0), cap: Some(600_000.0) };
    let limits = leadcast::forecast::PlanLimits { rep, ..Default::default() };
    let plan = m.plan("2026Q4", 9_000_000.0, &limits).expect("a feasible plan");
    let of = |level: Level| plan.rows.iter().filter(move |r| r.level == level);
    assert!((of(Level::Region).map(|r| r.quota).sum::<f64>() - 9_000_000.0).abs() < 1.0);
    for parent in of(Level::Region).chain(of(Level::Team)) {
        let kids: Vec<f64> =
            plan.rows.iter().filter(|r| r.parent.as_deref() == Some(parent.key.as_str())).map(|r| r.quota).collect();
        assert!((kids.iter().sum::<f64>() - parent.quota).abs() < 1.0, "{}", parent.key);
        if parent.level == Level::Team {
            assert!(parent.quota >= 100_000.0 * kids.len() as f64 - 0.01, "{}: {}", parent.key, parent.quota);
        }
    }
    for r in of(Level::Rep) {
        assert!((100_000.0 - 0.01..=600_000.01).contains(&r.quota), "{} {}", r.key, r.quota);
    }
    // Some team is held up by its reps' floors: its quota is above its proportional share.
    let west2 = of(Level::Team).find(|r| r.key == "west-2").unwrap();
    assert!((west2.quota - 500_000.0).abs() < 1.0, "west-2: {}", west2.quota);
    // A team cap below what its reps' floors need, and floors or caps that cannot meet the
    // target, are errors that say so.
    let tight = leadcast::forecast::PlanLimits {
        rep,
        team: leadcast::forecast::Bound { floor: None, cap: Some(400_000.0) },
        ..Default::default()
    };
    let e = m.plan("2026Q4", 9_000_000.0, &tight).unwrap_err().to_string();
    assert!(e.contains("its members' floors add up to 500000, above its cap 400000"), "{e}");
    let e = m.plan("2026Q4", 30_000_000.0, &limits).unwrap_err().to_string();
    assert!(e.contains("the caps allow at most 24000000 in all"), "{e}");
    let e = m.plan("2026Q4", 3_000_000.0, &limits).unwrap_err().to_string();
    assert!(e.contains("the floors need at least 4000000 in all"), "{e}");
}

#[test]
fn the_open_pipeline_is_scored_from_a_data_directory() {
    // `score --kind opportunity --data DIR`: every open deal of the sample, as of its last
    // day, with owner, stage, amount and amount × probability — the same probabilities the
    // shipped forecast model gave its open pipeline (before its level factor).
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("open.csv");
    let models = repo().join("models");
    let data = repo().join("data/sample");
    // `score --data <sample> --output <out>`, then `extra`.
    let score = |extra: &[&str]| {
        let mut args = vec!["score", "--models", models.to_str().unwrap(), "--data", data.to_str().unwrap()];
        args.extend(["--output", out.to_str().unwrap()]);
        args.extend_from_slice(extra);
        leadcast(&args)
    };
    let r = score(&["--kind", "opportunity", "--explain"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("open opportunities as of 2026-09-30"), "{}", r.stdout);
    let (h, rows) = read_csv(&out);
    assert_eq!(
        h[..8],
        ["opportunity_id", "probability", "score", "grade", "owner_id", "stage", "amount", "expected_amount"]
    );
    assert_eq!(h[8], "factor_1");
    let col = |name: &str| h.iter().position(|x| x == name).unwrap();
    let (oh, opps) = read_csv(&data.join("opportunities.csv"));
    let oc = |name: &str| oh.iter().position(|x| x == name).unwrap();
    let open: BTreeMap<&str, &Vec<String>> =
        opps.iter().filter(|o| o[oc("status")] == "open").map(|o| (o[oc("opportunity_id")].as_str(), o)).collect();
    assert_eq!(rows.len(), open.len());
    let m = ForecastModel::load(&Registry::new(&models)).unwrap();
    let k = m.pipeline_factor.unwrap_or(1.0);
    for row in &rows {
        let o = open[row[0].as_str()];
        assert_eq!(row[col("owner_id")], o[oc("owner_id")]);
        assert_eq!(row[col("stage")], o[oc("stage")]);
        let (amount, p): (f64, f64) = (row[col("amount")].parse().unwrap(), row[col("probability")].parse().unwrap());
        assert!((amount - o[oc("amount")].parse::<f64>().unwrap()).abs() < 0.01);
        // The probability is written to 6 decimals.
        let expected: f64 = row[col("expected_amount")].parse().unwrap();
        assert!((expected - amount * p).abs() <= amount * 5e-7 + 0.01, "{expected} vs {amount} × {p}");
        assert!(!row[col("factor_1")].is_empty());
        let served = m.open.iter().find(|d| d.opportunity_id == row[0]).unwrap().win_probability;
        assert!((served - (p * k).min(0.99)).abs() < 1e-5 * k.max(1.0), "{}: {served} vs {p} × {k}", row[0]);
    }
    // The sample's newest reps are too new for the model: each such warning is said once on
    // stderr, with how many deals it concerns, and in full in every row's warnings column.
    let mut warned: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for row in rows.iter().filter(|r| !r[col("warnings")].is_empty()) {
        for w in row[col("warnings")].split(" | ") {
            warned.entry(w).or_default().push(&row[0]);
        }
    }
    assert!(warned.len() >= 2 && warned.values().any(|ids| ids.len() > 3), "{warned:?}");
    assert_eq!(r.stderr.matches("warning: ").count(), warned.len().min(10), "{}", r.stderr);
    for (w, ids) in &warned {
        let line = match ids.len() {
            1 => format!("warning: opportunity {}: {w}", ids[0]),
            n => format!("warning: {n} opportunities ({}, ", ids[0]),
        };
        assert!(r.stderr.contains(&line), "{line}\n{}", r.stderr);
    }
    // Leads are scored from their file; --data is for the open pipeline.
    let r = score(&[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--data scores a contract directory's open opportunities"), "{}", r.stderr);
    // How to read --input means nothing with --data.
    let r = score(&["--kind", "opportunity", "--sep", ";"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--sep is for --input"), "{}", r.stderr);
}
