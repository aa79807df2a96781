//! Talk tracks (话术): train on simulated worlds, recommend, learn from feedback, evaluate —
//! all through the real binary. Expected values come from the world's truth file, the catalog
//! file, or an independent computation here, never from the model's own output.

use crate::util::{leadcast, read_csv, write_csv};
use std::collections::BTreeMap;
use std::path::Path;

/// A simulated world big enough for the model to learn something (a few seconds to make).
fn world(seed: u64, leads: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let cfg = leadcast::sim::SimConfig { seed, leads, reps: 12, quarters: 6, ..Default::default() };
    let s = leadcast::sim::simulate(&cfg).unwrap();
    leadcast::sim::write(dir.path(), &s).unwrap();
    dir
}

fn train(data: &Path, models: &Path, extra: &[&str]) -> crate::util::Run {
    let mut args = vec!["train", "talktrack", "--data", data.to_str().unwrap(), "--models", models.to_str().unwrap()];
    args.extend_from_slice(extra);
    leadcast(&args)
}

fn versions(models: &Path) -> usize {
    std::fs::read_dir(models.join("talktrack"))
        .map(|d| d.filter_map(|e| e.ok()).filter(|e| e.path().is_dir()).count())
        .unwrap_or(0)
}

/// The catalog file: id → (stage, objection, title_zh, title_en).
fn catalog() -> BTreeMap<String, (String, String, String, String)> {
    let (h, rows) = read_csv(&crate::util::repo().join("data/talk_tracks.csv"));
    let c = |n: &str| h.iter().position(|x| x == n).unwrap();
    rows.iter()
        .map(|r| {
            (
                r[c("talk_track_id")].clone(),
                (r[c("stage")].clone(), r[c("objection")].clone(), r[c("title_zh")].clone(), r[c("title_en")].clone()),
            )
        })
        .collect()
}

fn recommend_json(models: &Path, args: &[&str]) -> (serde_json::Value, String) {
    let mut a = vec!["recommend", "--models", models.to_str().unwrap(), "--json", "--seed", "7"];
    a.extend_from_slice(args);
    let r = leadcast(&a);
    assert_eq!(r.code, 0, "{}", r.stderr);
    (serde_json::from_str(&r.stdout).unwrap(), r.stderr)
}

#[test]
fn recommends_candidates_of_the_context_in_either_language_with_fallbacks() {
    let w = world(3, 4000);
    let m = tempfile::tempdir().unwrap();
    let r = train(w.path(), m.path(), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let cat = catalog();
    for lang in ["zh", "en"] {
        let (v, _) = recommend_json(
            m.path(),
            &[
                "--stage",
                "negotiation",
                "--persona",
                "finance",
                "--industry",
                "retail",
                "--objection",
                "price",
                "--lang",
                lang,
                "-k",
                "5",
            ],
        );
        let recs = v["recommendations"].as_array().unwrap();
        // Every price-objection negotiation track of the catalog, and nothing else.
        let expected: Vec<&String> =
            cat.iter().filter(|(_, t)| t.0 == "negotiation" && t.1 == "price").map(|(id, _)| id).collect();
        assert_eq!(recs.len(), expected.len());
        let mut prev = f64::INFINITY;
        for x in recs {
            let id = x["talk_track_id"].as_str().unwrap();
            let t = &cat[id];
            assert!(expected.contains(&&id.to_string()));
            assert_eq!(x["title"].as_str().unwrap(), if lang == "zh" { &t.2 } else { &t.3 });
            let (e, lo, hi) = (
                x["expected_advance"].as_f64().unwrap(),
                x["interval"][0].as_f64().unwrap(),
                x["interval"][1].as_f64().unwrap(),
            );
            assert!(0.0 < lo && lo < e && e < hi && hi < 1.0);
            assert!(e <= prev);
            prev = e;
        }
        assert_eq!(v["decision"]["propensity"].as_f64(), Some(1.0));
        assert_eq!(v["decision"]["chosen"], recs[0]["talk_track_id"]);
    }
    // Unknown persona, industry and objection: the broader context, flagged.
    let (v, err) = recommend_json(
        m.path(),
        &["--stage", "negotiation", "--persona", "cfo", "--industry", "mining", "--objection", "cheap"],
    );
    assert!(v["context_used"]["persona"].is_null() && v["context_used"]["objection"].is_null());
    assert_eq!(v["fallbacks"].as_array().unwrap().len(), 3);
    assert!(err.contains("persona \"cfo\" is not known"), "{err}");
    for x in v["recommendations"].as_array().unwrap() {
        let t = &cat[x["talk_track_id"].as_str().unwrap()];
        assert_eq!((t.0.as_str(), t.1.as_str()), ("negotiation", ""));
    }
    // Unknown stage: a clear error.
    let r =
        leadcast(&["recommend", "--models", m.path().to_str().unwrap(), "--stage", "closing", "--persona", "finance"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("unknown stage \"closing\"") && r.stderr.contains("negotiation"), "{}", r.stderr);
    assert_eq!(r.stderr.matches("negotiation").count(), 1, "the stages are listed once: {}", r.stderr);
    // Human output names the decision.
    let r = leadcast(&[
        "recommend",
        "--models",
        m.path().to_str().unwrap(),
        "--stage",
        "discovery",
        "--persona",
        "manager",
        "--lang",
        "zh",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("decision_id: d-") && r.stdout.contains("需求挖掘阶段"), "{}", r.stdout);
    // In Chinese throughout: the context, the labels and the reasons name the persona in
    // Chinese, not by the data's key.
    assert!(r.stdout.starts_with("所用情境：需求挖掘阶段，部门经理，行业不限，无异议"), "{}", r.stdout);
    assert!(r.stdout.contains("预计推进率") && !r.stdout.contains("expected advance"), "{}", r.stdout);
    assert!(!r.stdout.contains("manager"), "{}", r.stdout);
}

/// Truth by context: (stage, persona, industry, objection) → track → probability.
fn truth(dir: &Path) -> BTreeMap<(String, String, String, String), BTreeMap<String, f64>> {
    let (h, rows) = read_csv(&dir.join("truth/talk_track_effects.csv"));
    let c = |n: &str| h.iter().position(|x| x == n).unwrap();
    let mut t: BTreeMap<_, BTreeMap<String, f64>> = BTreeMap::new();
    for r in rows {
        t.entry((r[c("stage")].clone(), r[c("persona")].clone(), r[c("industry")].clone(), r[c("objection")].clone()))
            .or_default()
            .insert(r[c("talk_track_id")].clone(), r[c("advance_probability")].parse().unwrap());
    }
    t
}

#[test]
fn learned_top_tracks_beat_chance_against_another_seeds_truth() {
    // Train on seed 11, judge every context of seed 12's truth (same world) through the batch
    // command; the regret is computed here from the truth file.
    let (a, b) = (world(11, 12_000), world(12, 2_000));
    let m = tempfile::tempdir().unwrap();
    assert_eq!(train(a.path(), m.path(), &[]).code, 0);
    let t = truth(b.path());
    let input = m.path().join("contexts.csv");
    let header = ["stage", "persona", "industry", "objection"].map(String::from).to_vec();
    let rows: Vec<Vec<String>> = t.keys().map(|k| vec![k.0.clone(), k.1.clone(), k.2.clone(), k.3.clone()]).collect();
    write_csv(&input, &header, &rows);
    let out = m.path().join("recs.csv");
    let r = leadcast(&[
        "recommend",
        "--models",
        m.path().to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "-k",
        "1",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (h, recs) = read_csv(&out);
    assert_eq!(
        h,
        ["stage", "persona", "industry", "objection", "rank", "talk_track_id", "expected_advance", "lo", "hi", "title"]
    );
    assert_eq!(recs.len(), t.len());
    let (mut regret, mut uniform) = (0.0, 0.0);
    for r in &recs {
        let c = &t[&(r[0].clone(), r[1].clone(), r[2].clone(), r[3].clone())];
        let best = c.values().cloned().fold(0.0, f64::max);
        regret += best - c[&r[5]];
        uniform += best - c.values().sum::<f64>() / c.len() as f64;
    }
    assert!(regret < 0.5 * uniform, "model regret {regret:.3} vs uniform {uniform:.3} over {} contexts", recs.len());
}

#[test]
fn evaluate_reports_off_policy_truth_and_online_regret() {
    let (a, b) = (world(21, 12_000), world(22, 6_000));
    let m = tempfile::tempdir().unwrap();
    assert_eq!(train(a.path(), m.path(), &[]).code, 0);
    let rep = m.path().join("report");
    let r = leadcast(&[
        "evaluate",
        "talktrack",
        "--models",
        m.path().to_str().unwrap(),
        "--data",
        b.path().to_str().unwrap(),
        "--report",
        rep.to_str().unwrap(),
        "--decisions",
        "6000",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for f in ["index.html", "regret.svg", "metrics.json", "contexts.csv"] {
        assert!(rep.join(f).is_file(), "{f} missing");
    }
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(rep.join("metrics.json")).unwrap()).unwrap();
    let curves = v["online"]["curves"].as_array().unwrap();
    let total = |name: &str| {
        curves.iter().find(|c| c["policy"].as_str().unwrap().starts_with(name)).unwrap()["total_regret"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(total("oracle"), 0.0);
    assert!(total("learned (Thompson") < 0.5 * total("uniform"), "{curves:?}");
    // The doubly robust estimate's interval covers the learned policy's true value, computed
    // here from the truth file and the policy's picks on the held-out contexts.
    let o = &v["off_policy"];
    let (lo, hi) = (o["dr"]["lo"].as_f64().unwrap(), o["dr"]["hi"].as_f64().unwrap());
    let truth_value = o["truth_policy"].as_f64().unwrap();
    assert_eq!(o["truth_per_deal"], true, "the world records each deal's advance multiplier");
    assert!(lo <= truth_value && truth_value <= hi, "DR [{lo}, {hi}] vs truth {truth_value}");
    // The same per-deal truth applied to the reps' own picks reproduces what they achieved.
    let (llo, lhi) = (o["logging"]["lo"].as_f64().unwrap(), o["logging"]["hi"].as_f64().unwrap());
    let truth_logging = o["truth_logging"].as_f64().unwrap();
    assert!(llo <= truth_logging && truth_logging <= lhi, "observed [{llo}, {lhi}] vs truth {truth_logging}");
    // The per-context file agrees with the truth file.
    let t = truth(b.path());
    let (h, rows) = read_csv(&rep.join("contexts.csv"));
    let c = |n: &str| h.iter().position(|x| x == n).unwrap();
    assert_eq!(rows.len(), t.len());
    for r in rows.iter().take(50) {
        let tc =
            &t[&(r[c("stage")].clone(), r[c("persona")].clone(), r[c("industry")].clone(), r[c("objection")].clone())];
        let best = tc.values().cloned().fold(0.0, f64::max);
        assert!((r[c("best_p")].parse::<f64>().unwrap() - best).abs() < 1e-6);
        assert!((r[c("chosen_p")].parse::<f64>().unwrap() - tc[&r[c("chosen")]]).abs() < 1e-6);
    }
}

#[test]
fn feedback_is_replayed_and_bad_feedback_trains_nothing() {
    let w = world(5, 3000);
    let m = tempfile::tempdir().unwrap();
    assert_eq!(train(w.path(), m.path(), &[]).code, 0);
    let args = ["--stage", "contract", "--persona", "executive", "--industry", "education", "-k", "3"];
    let (before, _) = recommend_json(m.path(), &args);
    let recs = before["recommendations"].as_array().unwrap();
    let last = recs.last().unwrap()["talk_track_id"].as_str().unwrap().to_string();
    let last_p = recs.last().unwrap()["expected_advance"].as_f64().unwrap();
    // 400 reports that the weakest track advanced every time in this context.
    let fb = m.path().join("feedback.csv");
    let header: Vec<String> =
        "decision_id,at,stage,persona,industry,objection,talk_track_id,outcome".split(',').map(String::from).collect();
    let rows: Vec<Vec<String>> = (0..400)
        .map(|i| {
            vec![
                format!("d-{i}"),
                "2026-10-02T09:30:00Z".into(),
                "contract".into(),
                "executive".into(),
                "education".into(),
                String::new(),
                last.clone(),
                "advanced".into(),
            ]
        })
        .collect();
    write_csv(&fb, &header, &rows);
    // Saved by a spreadsheet in a European locale (semicolons; no value has a comma): the
    // separator is read from the header.
    std::fs::write(&fb, std::fs::read_to_string(&fb).unwrap().replace(',', ";")).unwrap();
    let r = train(w.path(), m.path(), &["--feedback", fb.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("feedback replayed 400"), "{}", r.stdout);
    let (after, _) = recommend_json(m.path(), &args);
    let top = &after["recommendations"][0];
    assert_eq!(top["talk_track_id"].as_str().unwrap(), last);
    assert!(top["expected_advance"].as_f64().unwrap() > last_p + 0.1);
    // A row naming a track of another stage: an error naming the row; no new version.
    let n = versions(m.path());
    let mut bad = rows.clone();
    bad[7][6] = "DISC-SPIN-P".into();
    write_csv(&fb, &header, &bad);
    let r = train(w.path(), m.path(), &["--feedback", fb.to_str().unwrap()]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("feedback row 8") && r.stderr.contains("DISC-SPIN-P"), "{}", r.stderr);
    assert_eq!(versions(m.path()), n);
    // An unparsable outcome: reported with its row and column.
    let mut bad = rows.clone();
    bad[2][7] = "won".into();
    write_csv(&fb, &header, &bad);
    let r = train(w.path(), m.path(), &["--feedback", fb.to_str().unwrap()]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("row 3") && r.stderr.contains("column outcome"), "{}", r.stderr);
    assert_eq!(versions(m.path()), n);
}

#[test]
fn batch_with_an_unknown_stage_writes_nothing() {
    let w = world(6, 2000);
    let m = tempfile::tempdir().unwrap();
    assert_eq!(train(w.path(), m.path(), &[]).code, 0);
    let input = m.path().join("in.csv");
    let header = ["stage", "persona", "industry", "objection"].map(String::from).to_vec();
    let good = vec!["qualification".to_string(), "manager".into(), "retail".into(), "budget".into()];
    // `recommend --input in.csv --output OUT` plus `extra`.
    let batch = |out: &Path, extra: &[&str]| {
        let mut a = vec!["recommend", "--models", m.path().to_str().unwrap(), "--input", input.to_str().unwrap()];
        a.extend(["--output", out.to_str().unwrap()]);
        a.extend(extra);
        leadcast(&a)
    };
    write_csv(&input, &header, &[good.clone(), vec!["won".into(), "manager".into(), String::new(), String::new()]]);
    let out = m.path().join("out.csv");
    let r = batch(&out, &[]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("row 2") && r.stderr.contains("unknown stage"), "{}", r.stderr);
    assert!(!out.exists());
    write_csv(&input, &header, &[good, vec!["qualification".into(), "astronaut".into(), String::new(), String::new()]]);
    let r = batch(&out, &["-k", "2", "--lang", "en"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("row 2") && r.stderr.contains("astronaut"), "{}", r.stderr);
    let (_, rows) = read_csv(&out);
    assert_eq!(rows.len(), 4);
    let cat = catalog();
    // The title, in --lang.
    assert!(rows.iter().all(|r| !r[9].is_empty() && r[9] == cat[&r[5]].3), "{rows:?}");
    // The separator is sniffed, as for every table: the same contexts with `;` give the same rows.
    let text = std::fs::read_to_string(&input).unwrap().replace(',', ";");
    std::fs::write(&input, text).unwrap();
    let out2 = m.path().join("out2.csv");
    let r = batch(&out2, &["-k", "2", "--lang", "en"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(read_csv(&out2).1, rows);
    assert!(rows[..2].iter().all(|r| cat[&r[5]].1 == "budget"));
    assert!(rows[2..].iter().all(|r| cat[&r[5]].0 == "qualification" && cat[&r[5]].1.is_empty()));
}

#[test]
fn train_all_includes_talktrack() {
    let w = crate::util::small_world(4);
    let m = tempfile::tempdir().unwrap();
    let r = leadcast(&["train", "all", "--data", w.path().to_str().unwrap(), "--models", m.path().to_str().unwrap()]);
    assert!(r.stdout.contains("talktrack model"), "{}\n{}", r.stdout, r.stderr);
    assert!(m.path().join("talktrack/CURRENT").is_file());

    // A step that fails after others were saved (here the talk-track step replaying feedback
    // that names a track of another stage, after scoring and opportunity): nothing is kept.
    let current = |kind: &str| std::fs::read_to_string(m.path().join(kind).join("CURRENT")).unwrap();
    let listing = |kind: &str| {
        let mut v: Vec<String> = std::fs::read_dir(m.path().join(kind))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let kinds = ["scoring", "opportunity", "talktrack", "forecast"];
    let before: Vec<(String, Vec<String>)> = kinds.iter().map(|k| (current(k), listing(k))).collect();
    let fb = m.path().join("fb.csv");
    let train_all = || {
        leadcast(&[
            "train",
            "all",
            "--data",
            w.path().to_str().unwrap(),
            "--models",
            m.path().to_str().unwrap(),
            "--feedback",
            fb.to_str().unwrap(),
        ])
    };
    std::fs::write(
        &fb,
        "decision_id,at,stage,persona,industry,objection,talk_track_id,outcome\n\
         d-1,2026-10-02T09:30:00Z,contract,executive,education,,DISC-SPIN-P,advanced\n",
    )
    .unwrap();
    let r = train_all();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("error: training the talk-track model:"), "{}", r.stderr);
    assert!(
        r.stderr.contains("note: nothing kept: the models this run had saved were withdrawn (scoring "),
        "{}",
        r.stderr
    );
    let after: Vec<(String, Vec<String>)> = kinds.iter().map(|k| (current(k), listing(k))).collect();
    assert_eq!(before, after, "train all left a model of the failed run behind");
    // A feedback file that does not parse stops the run before any model is trained.
    std::fs::write(&fb, "decision_id,outcome\nx,advanced\n").unwrap();
    let r = train_all();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("fb.csv has") && !r.stdout.contains("scoring model"), "{}\n{}", r.stdout, r.stderr);
    let after: Vec<(String, Vec<String>)> = kinds.iter().map(|k| (current(k), listing(k))).collect();
    assert_eq!(before, after, "train all left a model of the failed run behind");
}
