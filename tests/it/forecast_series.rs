//! `leadcast forecast-series`: output shape and order independence, forecasts of a series whose
//! future is known, accuracy against the seasonal naive benchmark on real tourism series,
//! every kind of bad input (short, constant, zero, negative, gaps, duplicates, non-numbers), and
//! a property test over random series of every shape and scale.

use crate::util::{leadcast, read_csv, shared_data};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs forecast-series; returns (exit code, stderr, output rows).
fn run(input: &Path, horizon: &str, season: Option<&str>) -> (i32, String, Vec<Vec<String>>) {
    let out = input.with_extension("out.csv");
    let _ = std::fs::remove_file(&out);
    let (i, o) = (input.to_str().unwrap(), out.to_str().unwrap());
    let mut args = vec!["forecast-series", "--input", i, "--horizon", horizon, "--output", o];
    if let Some(s) = season {
        args.extend(["--season", s]);
    }
    let r = leadcast(&args);
    let rows = if r.code == 0 {
        let (h, rows) = read_csv(&out);
        assert_eq!(h, ["series", "step", "p10", "p50", "p90"]);
        rows
    } else {
        Vec::new()
    };
    (r.code, r.stderr, rows)
}

fn num(s: &str) -> f64 {
    s.parse().unwrap()
}

/// A quarterly pattern on a linear trend with a little deterministic noise.
fn seasonal(t: usize) -> f64 {
    let pattern = [1.25, 0.8, 1.05, 0.9];
    (200.0 + 3.0 * t as f64) * pattern[t % 4] + 2.0 * ((t * 7 % 5) as f64 - 2.0)
}

fn rows_text(rows: &[(String, String, String)]) -> String {
    let mut s = String::from("series,t,value\n");
    for (a, b, c) in rows {
        writeln!(s, "{a},{b},{c}").unwrap();
    }
    s
}

fn sample_rows() -> Vec<(String, String, String)> {
    let mut rows = Vec::new();
    for t in 0..40 {
        rows.push(("north".to_string(), (t + 1).to_string(), format!("{:.3}", seasonal(t))));
    }
    for t in 0..30 {
        rows.push(("south".to_string(), (t + 1).to_string(), format!("{}", 50.0 + (t as f64 * 1.3).sin() * 5.0)));
    }
    rows
}

#[test]
fn output_has_every_series_and_step_in_order_with_ordered_quantiles() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "in.csv", &rows_text(&sample_rows()));
    let (code, stderr, rows) = run(&input, "6", Some("4"));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(rows.len(), 12);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r[0], if i < 6 { "north" } else { "south" });
        assert_eq!(r[1], (i % 6 + 1).to_string());
        let (lo, mid, hi) = (num(&r[2]), num(&r[3]), num(&r[4]));
        assert!(lo.is_finite() && mid.is_finite() && hi.is_finite());
        assert!(lo <= mid && mid <= hi, "{r:?}");
    }
}

#[test]
fn row_order_does_not_change_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let rows = sample_rows();
    let a = write(dir.path(), "a.csv", &rows_text(&rows));
    // Reversed, then interleaved: every series' rows out of order and mixed.
    let mut shuffled: Vec<_> = rows.iter().rev().cloned().collect();
    let half = shuffled.len() / 2;
    let (x, y) = shuffled.split_at_mut(half);
    let mixed: Vec<_> = x.iter().zip(y.iter()).flat_map(|(p, q)| [q.clone(), p.clone()]).collect();
    let b = write(dir.path(), "b.csv", &rows_text(&mixed));
    let (ca, ea, ra) = run(&a, "8", Some("4"));
    let (cb, eb, rb) = run(&b, "8", Some("4"));
    assert_eq!((ca, cb), (0, 0), "{ea}{eb}");
    assert_eq!(ra, rb);
}

#[test]
fn a_clean_seasonal_series_is_forecast_close_to_its_known_future() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<_> = (0..48).map(|t| ("s".to_string(), t.to_string(), format!("{:.4}", seasonal(t)))).collect();
    let input = write(dir.path(), "in.csv", &rows_text(&rows));
    let (code, stderr, out) = run(&input, "8", Some("4"));
    assert_eq!(code, 0, "{stderr}");
    for (j, r) in out.iter().enumerate() {
        let truth = seasonal(48 + j);
        let p50 = num(&r[3]);
        assert!((p50 - truth).abs() < 0.03 * truth, "step {}: {p50} vs {truth}", j + 1);
        assert!(num(&r[2]) < p50 && p50 < num(&r[4]), "a noisy series has a spread: {r:?}");
    }
}

#[test]
fn monthly_dates_give_the_same_forecast_as_indices_with_season_12() {
    let dir = tempfile::tempdir().unwrap();
    let y: Vec<f64> =
        (0..60).map(|t| 100.0 + t as f64 + 20.0 * ((t % 12) as f64 / 12.0 * std::f64::consts::TAU).sin()).collect();
    let by_index: Vec<_> = y.iter().enumerate().map(|(t, v)| ("m".into(), t.to_string(), v.to_string())).collect();
    let by_date: Vec<_> = y
        .iter()
        .enumerate()
        .map(|(t, v)| ("m".into(), format!("{}-{:02}-01", 2015 + t / 12, t % 12 + 1), v.to_string()))
        .rev()
        .collect();
    let a = write(dir.path(), "a.csv", &rows_text(&by_index));
    let b = write(dir.path(), "b.csv", &rows_text(&by_date));
    let (ca, _, ra) = run(&a, "12", Some("12"));
    let (cb, eb, rb) = run(&b, "12", None);
    assert_eq!((ca, cb), (0, 0), "{eb}");
    assert!(eb.contains("season [12]"), "{eb}");
    assert_eq!(ra, rb);
}

#[test]
fn dates_written_day_first_month_first_or_at_month_ends_count_in_months() {
    // Finance exports: `;`-separated with DD.MM.YYYY and decimal commas, US MM/DD/YYYY, ISO
    // month ends, Chinese YYYY/M/D. Each must forecast exactly as the same values indexed 0..60 with season 12.
    let dir = tempfile::tempdir().unwrap();
    let y: Vec<f64> =
        (0..60).map(|t| 100.0 + t as f64 + 20.0 * ((t % 12) as f64 / 12.0 * std::f64::consts::TAU).sin()).collect();
    let month_end = |year: usize, month: usize| {
        let next = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
        chrono::NaiveDate::from_ymd_opt(next.0 as i32, next.1 as u32, 1).unwrap().pred_opt().unwrap()
    };
    // With `;` the values are written as European exports do: with a decimal comma.
    let text = |sep: char, t: &dyn Fn(usize, usize) -> String| {
        let mut s = format!("series{sep}t{sep}value\n");
        for (i, v) in y.iter().enumerate().rev() {
            let v = if sep == ';' { v.to_string().replace('.', ",") } else { v.to_string() };
            writeln!(s, "m{sep}{}{sep}{v}", t(2015 + i / 12, i % 12 + 1)).unwrap();
        }
        s
    };
    let by_index: Vec<_> = y.iter().enumerate().map(|(t, v)| ("m".into(), t.to_string(), v.to_string())).collect();
    let (_, _, want) = run(&write(dir.path(), "index.csv", &rows_text(&by_index)), "12", Some("12"));
    let cases: [(&str, String, &str); 6] = [
        (
            "eu.csv",
            text(';', &|y, m| format!("01.{m:02}.{y}")),
            "t dates read as day-month-year (every date on one day",
        ),
        ("eu-values.csv", text(';', &|y, m| format!("{y}-{m:02}-01")), "value read with decimal commas (1,5 = 1.5)"),
        (
            "us.csv",
            text(',', &|y, m| format!("{m:02}/01/{y}")),
            "t dates read as month-day-year (every date on one day",
        ),
        ("end.csv", text(',', &|y, m| month_end(y, m).format("%Y-%m-%d").to_string()), ""),
        // Excel in a Chinese locale: year first, no leading zeros.
        ("cn.csv", text(',', &|y, m| format!("{y}/{m}/1")), ""),
        (
            "end-dmy.csv",
            text(',', &|y, m| month_end(y, m).format("%d/%m/%Y").to_string()),
            "t dates read as day-month-year",
        ),
    ];
    for (name, body, note) in cases {
        let (code, stderr, rows) = run(&write(dir.path(), name, &body), "12", None);
        assert_eq!(code, 0, "{name}: {stderr}");
        assert!(stderr.contains("season [12]") && stderr.contains(note), "{name}: {stderr}");
        assert_eq!(rows, want, "{name}");
    }
    // Nothing tells the order (every day ≤ 12, and neither reading is on one day of the
    // month): day-first, and the note says it was assumed.
    let body = "series,t,value\na,01/02/2018,5\na,02/03/2018,6\na,03/04/2018,7\na,04/05/2018,8\n";
    let (code, stderr, _) = run(&write(dir.path(), "vague.csv", body), "1", Some("1"));
    assert!(stderr.contains("day-month-year (no value tells"), "{stderr}");
    assert_ne!(code, 0, "read day-first these dates are irregular: {stderr}");
}

/// MASE of forecasts scaled by the in-sample seasonal naive MAE (Hyndman & Koehler 2006).
fn mase(train: &[f64], test: &[f64], f: &[f64], m: usize) -> f64 {
    let scale: f64 = (m..train.len()).map(|t| (train[t] - train[t - m]).abs()).sum::<f64>() / (train.len() - m) as f64;
    test.iter().zip(f).map(|(a, b)| (a - b).abs()).sum::<f64>() / test.len() as f64 / scale
}

#[test]
fn beats_seasonal_naive_on_real_tourism_series_with_sensible_coverage() {
    let path = shared_data().join("tourism/tourism_long.csv");
    let (h, rows) = read_csv(&path);
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let (cs, cp, csplit, ct, cv) = (col("series"), col("period"), col("split"), col("t"), col("value"));
    // The first 80 quarterly series (in file order), train and test parts.
    let mut names: Vec<String> = Vec::new();
    #[allow(clippy::type_complexity)] // series -> (train, test) points, local to this test
    let mut data: std::collections::HashMap<String, (Vec<(i64, f64)>, Vec<(i64, f64)>)> = Default::default();
    for r in &rows {
        if r[cp] != "QUARTERLY" {
            continue;
        }
        if !data.contains_key(&r[cs]) {
            if names.len() == 80 {
                continue;
            }
            names.push(r[cs].clone());
        }
        let e = data.entry(r[cs].clone()).or_default();
        let v = (r[ct].parse().unwrap(), r[cv].parse().unwrap());
        if r[csplit] == "train" { e.0.push(v) } else { e.1.push(v) }
    }
    let mut text = String::from("series,t,value\n");
    for n in &names {
        for (t, v) in &data[n].0 {
            writeln!(text, "{n},{t},{v}").unwrap();
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "tourism.csv", &text);
    let (code, stderr, out) = run(&input, "8", Some("4"));
    assert_eq!(code, 0, "{stderr}");
    let (mut ours, mut naive, mut inside, mut total) = (0.0, 0.0, 0usize, 0usize);
    for n in &names {
        let mut tr = data[n].0.clone();
        let mut te = data[n].1.clone();
        tr.sort_by_key(|x| x.0);
        te.sort_by_key(|x| x.0);
        let train: Vec<f64> = tr.iter().map(|x| x.1).collect();
        let test: Vec<f64> = te.iter().map(|x| x.1).take(8).collect();
        let mine: Vec<&Vec<String>> = out.iter().filter(|r| &r[0] == n).collect();
        assert_eq!(mine.len(), 8);
        let p50: Vec<f64> = mine.iter().map(|r| num(&r[3])).collect();
        let sn: Vec<f64> = (0..8).map(|j| train[train.len() - 4 + j % 4]).collect();
        ours += mase(&train, &test, &p50, 4);
        naive += mase(&train, &test, &sn, 4);
        for (r, y) in mine.iter().zip(&test) {
            inside += usize::from(num(&r[2]) <= *y && *y <= num(&r[4]));
            total += 1;
        }
    }
    let k = names.len() as f64;
    let coverage = inside as f64 / total as f64;
    assert!(ours / k < naive / k, "MASE {} vs seasonal naive {}", ours / k, naive / k);
    assert!((0.65..=0.95).contains(&coverage), "80% intervals cover {coverage}");
}

#[test]
fn a_series_too_short_for_its_season_falls_back_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "in.csv",
        "series,t,value\nshort,1,10\nshort,2,12\nshort,3,11\nshort,4,13\nshort,5,12\nshort,6,14\n",
    );
    let (code, stderr, rows) = run(&input, "4", Some("4"));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("series short") && stderr.contains("too few for season 4"), "{stderr}");
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| num(&r[2]) <= num(&r[3]) && num(&r[3]) <= num(&r[4])));
}

#[test]
fn constant_and_zero_series_forecast_their_value_with_no_spread() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("series,t,value\n");
    for t in 1..=20 {
        writeln!(text, "flat,{t},42.5\nzero,{t},0").unwrap();
    }
    let input = write(dir.path(), "in.csv", &text);
    let (code, stderr, rows) = run(&input, "5", Some("4"));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("series flat: constant series"), "{stderr}");
    for r in rows {
        let v = if r[0] == "flat" { 42.5 } else { 0.0 };
        assert_eq!((num(&r[2]), num(&r[3]), num(&r[4])), (v, v, v), "{r:?}");
    }
}

#[test]
fn negative_values_are_forecast_with_additive_models() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("series,t,value\n");
    for t in 0..32 {
        writeln!(text, "profit,{t},{}", seasonal(t) - 260.0).unwrap();
    }
    let input = write(dir.path(), "in.csv", &text);
    let (code, stderr, rows) = run(&input, "8", Some("4"));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("multiplicative models excluded"), "{stderr}");
    for (j, r) in rows.iter().enumerate() {
        let truth = seasonal(32 + j) - 260.0;
        assert!(num(&r[2]) <= num(&r[3]) && num(&r[3]) <= num(&r[4]));
        assert!((num(&r[3]) - truth).abs() < 25.0, "step {}: {} vs {truth}", j + 1, r[3]);
    }
}

#[test]
fn bad_files_stop_with_the_place_named() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "gap",
            "series,t,value\na,1,5\na,2,6\na,3,7\na,5,8\na,6,9\n",
            &["series a", "gap between t = 3 and t = 5", "1 missing"],
        ),
        (
            "month-gap",
            "series,t,value\nb,2024-01-01,5\nb,2024-02-01,6\nb,2024-03-01,7\nb,2024-05-01,8\n",
            &["series b", "2024-03-01", "2024-05-01"],
        ),
        (
            "duplicate",
            "series,t,value\na,1,5\na,2,6\na,2,7\na,3,8\n",
            &["series a", "two values for t = 2", "lines 3 and 4"],
        ),
        ("text", "series,t,value\na,1,5\na,2,abc\n", &["row 2", "column value", "\"abc\""]),
        ("nan", "series,t,value\na,1,5\na,2,NaN\n", &["row 2", "column value", "not a finite number"]),
        ("missing", "series,t,value\na,1,5\na,2,\n", &["row 2", "column value", "missing value"]),
        ("bad-t", "series,t,value\na,1,5\na,yesterday,6\n", &["row 2", "column t", "yesterday"]),
        (
            "bad-date",
            "series,t,value\na,01/02/2018,5\na,01/03/2018,6\na,13/13/2018,7\n",
            &["row 3 (line 4), column t", "\"13/13/2018\"", "written one way in the whole file"],
        ),
        ("ragged", "series,t,value\na,1,5\na,2\n", &["row 2 (line 3)", "2 fields but the header has 3"]),
        ("no-column", "name,t,value\na,1,5\n", &["no column `series`"]),
        ("empty", "series,t,value\n", &["no data rows"]),
    ];
    for (name, text, want) in cases {
        let input = write(dir.path(), &format!("{name}.csv"), text);
        let (code, stderr, _) = run(&input, "3", Some("1"));
        assert_ne!(code, 0, "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        for w in *want {
            assert!(stderr.contains(w), "{name}: {w:?} not in {stderr}");
        }
    }
    let ok = write(dir.path(), "ok.csv", "series,t,value\na,1,5\na,2,6\n");
    let (code, stderr, _) = run(&ok, "0", None);
    assert_ne!(code, 0);
    assert!(stderr.contains("--horizon"), "{stderr}");
}

mod any_series {
    //! Whatever finite series comes in — any length, scale, sign, spikes, flat stretches — every
    //! method answers every step with finite, ordered quantiles (the module's invariant), or
    //! declines with an error; it never panics, hangs or writes NaN.

    use leadcast::forecast::ts::{Method, Options, forecast_with};
    use proptest::prelude::*;

    /// A series built from a random shape: level × (trend, season, noise), with spikes, zeros,
    /// flat stretches and sign flips mixed in, at a random power-of-ten scale.
    fn series() -> impl Strategy<Value = Vec<f64>> {
        (
            1usize..70,
            -300i32..300,
            prop::collection::vec(-1.0f64..1.0, 70),
            0u8..7,
            prop::collection::vec(0usize..70, 0..4),
        )
            .prop_map(|(n, exp, noise, shape, spikes)| {
                let scale = 10f64.powi(exp);
                let mut y: Vec<f64> = (0..n)
                    .map(|t| {
                        let base = match shape {
                            0 => 1.0 + noise[t] * 0.1,
                            1 => 1.0 + t as f64 * 0.05 + noise[t] * 0.1,
                            2 => 1.0 + 0.5 * (t as f64 * std::f64::consts::PI / 6.0).sin() + noise[t] * 0.05,
                            3 => noise[t],
                            4 => (t % 7) as f64,
                            5 => {
                                if t % 3 == 0 {
                                    0.0
                                } else {
                                    1.0 + noise[t]
                                }
                            }
                            // Magnitudes all over the float range within one series.
                            _ => noise[t].signum() * 10f64.powf(noise[t] * 300.0) / scale,
                        };
                        base * scale
                    })
                    .collect();
                for s in spikes {
                    if let Some(v) = y.get_mut(s) {
                        *v = if *v == 0.0 { scale * 50.0 } else { *v * 50.0 };
                    }
                }
                // Finite, as the reader guarantees: an overflow becomes the largest double.
                y.iter().map(|v| v.clamp(-f64::MAX, f64::MAX)).collect()
            })
    }

    fn method() -> impl Strategy<Value = Method> {
        prop_oneof![
            Just(Method::Auto),
            Just(Method::SeasonalNaive),
            Just(Method::Ets),
            Just(Method::Theta),
            Just(Method::OptimizedTheta),
            Just(Method::Combination),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn every_step_is_finite_and_ordered(y in series(), horizon in 1usize..30, season in 1usize..14, method in method()) {
            let opts = Options { method, ..Options::new(horizon, season) };
            let f = forecast_with(&y, &opts);
            prop_assert!(f.is_ok(), "{:?} on {y:?}", f.err());
            let f = f.unwrap();
            prop_assert_eq!(f.steps.len(), horizon);
            for (j, s) in f.steps.iter().enumerate() {
                prop_assert!(
                    s.p10.is_finite() && s.p50.is_finite() && s.p90.is_finite() && s.p10 <= s.p50 && s.p50 <= s.p90,
                    "step {} of {} ({}): {s:?} on {y:?}", j + 1, horizon, f.method
                );
            }
        }
    }
}

#[test]
fn an_output_that_cannot_be_written_is_named_and_leaves_nothing_behind() {
    // The forecast is written to a temporary file renamed into place; when that fails (here the
    // output is a directory) the error names the output and the temporary file is gone.
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "in.csv", "series,t,value\na,1,5\na,2,6\na,3,7\na,4,8\n");
    let out = dir.path().join("out.csv");
    std::fs::create_dir(&out).unwrap();
    let r = leadcast(&[
        "forecast-series",
        "--input",
        input.to_str().unwrap(),
        "--horizon",
        "2",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("out.csv: ") && !r.stderr.contains("out.csv.tmp"), "{}", r.stderr);
    let left: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(left.iter().all(|f| !f.ends_with(".tmp")), "{left:?}");
}

#[test]
fn a_wide_table_forecasts_like_its_long_form() {
    // Spreadsheets keep series side by side: t first, one column per series. `south` starts
    // ten steps after `north` (its first cells empty), as a newer product's revenue does.
    let dir = tempfile::tempdir().unwrap();
    let long = sample_rows();
    let mut wide = String::from("quarter;north;south\n");
    for t in 1..=40usize {
        let cell = |name: &str| {
            let first = if name == "south" { 11 } else { 1 };
            let mut values = long.iter().filter(|r| r.0 == name);
            if t < first { String::new() } else { values.nth(t - first).map_or(String::new(), |r| r.2.clone()) }
        };
        writeln!(wide, "{t};{};{}", cell("north"), cell("south")).unwrap();
    }
    wide.push_str(";;\n"); // a blank row below the table, as spreadsheets leave
    let shifted: Vec<_> = long
        .iter()
        .map(|(s, t, v)| {
            let t = if s == "south" { (t.parse::<usize>().unwrap() + 10).to_string() } else { t.clone() };
            (s.clone(), t, v.clone())
        })
        .collect();
    let (cl, el, rl) = run(&write(dir.path(), "long.csv", &rows_text(&shifted)), "6", Some("4"));
    let (cw, ew, rw) = run(&write(dir.path(), "wide.csv", &wide), "6", Some("4"));
    assert_eq!((cl, cw), (0, 0), "{el}{ew}");
    assert!(
        ew.contains("read as a wide table, t from column `quarter` and one series per other column (north, south)"),
        "{ew}"
    );
    assert_eq!(rl, rw);

    // An empty cell inside a series is a gap, named by its cell; a bad value by its column.
    let edit = |at: &str, column: usize, to: &dyn Fn(&str) -> String| -> String {
        let lines: Vec<String> = wide
            .lines()
            .map(|l| {
                let mut f: Vec<String> = l.split(';').map(str::to_string).collect();
                if f[0] == at {
                    f[column] = to(&f[column]);
                }
                f.join(";")
            })
            .collect();
        lines.join("\n") + "\n"
    };
    let (c, e, _) = run(&write(dir.path(), "gap.csv", &edit("12", 1, &|_| String::new())), "6", Some("4"));
    assert_eq!(c, 1);
    assert!(e.contains("gap.csv, row 12 (line 13), column north: no value at t 12 inside series north"), "{e}");
    let bad = edit("20", 2, &|v| format!("lots{v}"));
    let (c, e, _) = run(&write(dir.path(), "bad.csv", &bad), "6", Some("4"));
    assert_eq!(c, 1);
    assert!(e.contains("bad.csv, row 20 (line 21), column south: \"lots"), "{e}");
}

#[test]
fn a_workbooks_other_sheet_is_read_with_sheet() {
    // tests/fixtures/series_book.xlsx: a sheet of notes first (说明), the table on the second
    // (季度收入: quarters 2022Q1–2025Q4, one column per region), as finance keeps a workbook.
    // The same numbers as a CSV.
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("季度,华东,华北\n");
    for i in 0..16usize {
        let east = 1000 + 40 * i + [0, 120, 60, 300][i % 4];
        let north = 800 + 25 * i + [50, 0, 90, 200][i % 4];
        writeln!(csv, "{}Q{},{east},{north}", 2022 + i / 4, i % 4 + 1).unwrap();
    }
    let (code, err, from_csv) = run(&write(dir.path(), "季度收入.csv", &csv), "4", None);
    assert_eq!(code, 0, "{err}");
    let book = crate::util::repo().join("tests/fixtures/series_book.xlsx");
    let with_sheet = |sheet: Option<&str>| {
        let out = dir.path().join("book.out.csv");
        let _ = std::fs::remove_file(&out);
        let mut args = vec![
            "forecast-series",
            "--input",
            book.to_str().unwrap(),
            "--horizon",
            "4",
            "--output",
            out.to_str().unwrap(),
        ];
        if let Some(s) = sheet {
            args.extend(["--sheet", s]);
        }
        let r = leadcast(&args);
        let rows = if r.code == 0 { read_csv(&out).1 } else { Vec::new() };
        (r.code, r.stderr, rows)
    };
    for sheet in ["季度收入", "2"] {
        let (code, err, rows) = with_sheet(Some(sheet));
        assert_eq!(code, 0, "{sheet}: {err}");
        assert!(err.contains("series_book.xlsx (sheet 季度收入): no series,t,value columns"), "{err}");
        assert_eq!(rows, from_csv, "--sheet {sheet}");
        assert_eq!(rows.len(), 8);
    }
    // Without --sheet the first sheet is read, and the error says what else the workbook holds;
    // a sheet it does not hold is named with the ones it does.
    let (code, err, _) = with_sheet(None);
    assert_eq!(code, 1);
    assert!(err.contains("series_book.xlsx (first of sheets 说明, 季度收入): no column `series`"), "{err}");
    let (code, err, _) = with_sheet(Some("Revenue"));
    assert_eq!(code, 1);
    assert!(
        err.contains(r#"series_book.xlsx: no sheet "Revenue" in the workbook (its sheets: 说明, 季度收入)"#),
        "{err}"
    );
    // --sheet of a CSV is an error, not ignored.
    let csv_path = dir.path().join("季度收入.csv");
    let r = leadcast(&[
        "forecast-series",
        "--input",
        csv_path.to_str().unwrap(),
        "--sheet",
        "2",
        "--horizon",
        "4",
        "--output",
        dir.path().join("x.csv").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("is not a spreadsheet (.xlsx, .xlsm, .xls, .ods)"), "{}", r.stderr);
}
