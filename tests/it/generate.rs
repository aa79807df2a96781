//! The simulator: deterministic for a seed, valid, and with laws fixed by the world.

use crate::util::*;
use std::collections::BTreeMap;
use std::path::Path;

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for sub in ["", "truth"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                out.insert(format!("{sub}/{}", p.file_name().unwrap().to_string_lossy()), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn same_seed_same_bytes_and_both_validate() {
    let root = tempfile::tempdir().unwrap();
    let (a, b) = (root.path().join("A"), root.path().join("B"));
    for out in [&a, &b] {
        let r = leadcast(&[
            "generate",
            "--out",
            out.to_str().unwrap(),
            "--seed",
            "7",
            "--leads",
            "3000",
            "--reps",
            "12",
            "--quarters",
            "6",
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let (fa, fb) = (files(&a), files(&b));
    assert!(fa.len() >= 12, "{:?}", fa.keys());
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        assert!(bytes == &fb[name], "{name} differs between two runs with the same seed");
    }
    for dir in [&a, &b] {
        let r = leadcast(&["validate", "--data", dir.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
        assert!(r.stdout.contains("0 error(s)"), "{}", r.stdout);
    }
}

#[test]
fn seeds_change_the_history_but_not_the_laws() {
    let a = leadcast::sim::simulate(&leadcast::sim::SimConfig {
        seed: 1,
        leads: 800,
        reps: 8,
        quarters: 3,
        ..Default::default()
    })
    .unwrap();
    let b = leadcast::sim::simulate(&leadcast::sim::SimConfig {
        seed: 2,
        leads: 800,
        reps: 8,
        quarters: 3,
        ..Default::default()
    })
    .unwrap();
    let c = leadcast::sim::simulate(&leadcast::sim::SimConfig {
        seed: 1,
        world: 3,
        leads: 800,
        reps: 8,
        quarters: 3,
        ..Default::default()
    })
    .unwrap();
    assert_ne!(a.dataset.leads, b.dataset.leads);
    assert_eq!(a.truth.talk_track_effects, b.truth.talk_track_effects);
    assert_eq!(a.dataset.reps, b.dataset.reps);
    assert_ne!(a.truth.talk_track_effects, c.truth.talk_track_effects);
}

/// `--future-seed`: one history, other futures. Every contract table is the same whatever the
/// future seed; what happened after the as-of date (the truth) is not.
#[test]
fn future_seeds_share_the_history_and_redraw_the_future() {
    let cfg = |future_seed| leadcast::sim::SimConfig {
        seed: 4,
        leads: 3000,
        reps: 8,
        quarters: 4,
        future_seed,
        ..Default::default()
    };
    let (a, b) = (leadcast::sim::simulate(&cfg(Some(1))).unwrap(), leadcast::sim::simulate(&cfg(Some(2))).unwrap());
    assert_eq!(a.dataset, b.dataset, "the history must not depend on the future seed");
    assert_ne!(a.truth.bookings, b.truth.bookings, "the future seed must redraw what closes after the as-of");
    // Deals open at the as-of end differently in some futures.
    let ends = |s: &leadcast::sim::Simulation| -> Vec<_> {
        s.truth.opportunities.iter().map(|o| (o.final_status, o.final_closed_at)).collect()
    };
    assert_ne!(ends(&a), ends(&b));
    // (Without a future seed the history is the seed's usual one: data/sample's staleness test
    // holds it to the committed bytes.)
}

#[test]
fn truth_has_what_later_work_is_judged_against() {
    let dir = small_world(3);
    let (h, rows) = read_csv(&dir.path().join("truth/leads.csv"));
    assert_eq!(h, ["lead_id", "true_probability", "converted_eventually"]);
    let (_, leads) = read_csv(&dir.path().join("leads.csv"));
    assert_eq!(rows.len(), leads.len());
    assert!(rows.iter().all(|r| (0.0..=1.0).contains(&r[1].parse::<f64>().unwrap())));

    let (h, effects) = read_csv(&dir.path().join("truth/talk_track_effects.csv"));
    assert_eq!(h, ["stage", "persona", "industry", "objection", "talk_track_id", "advance_probability"]);
    // Every context's candidates are the catalog's tracks for that stage and objection.
    let catalog = leadcast::catalog::Catalog::builtin();
    for r in effects.iter().take(500) {
        let t = catalog.get(&r[4]).unwrap();
        assert_eq!(t.stage.as_str(), r[0]);
        assert_eq!(t.objection.map(|o| o.to_string()).unwrap_or_default(), r[3]);
    }
    let (h, bookings) = read_csv(&dir.path().join("truth/bookings.csv"));
    assert_eq!(h, ["rep_id", "period", "amount"]);
    let periods: std::collections::BTreeSet<_> = bookings.iter().map(|r| r[1].clone()).collect();
    assert_eq!(periods.into_iter().collect::<Vec<_>>(), ["2026Q4", "2027Q1"]);
}

#[test]
fn the_world_looks_like_a_sales_org() {
    let s = leadcast::sim::simulate(&leadcast::sim::SimConfig { leads: 20_000, ..Default::default() }).unwrap();
    let ds = &s.dataset;
    let rate = |src: &str| {
        let l: Vec<_> = ds.leads.iter().filter(|l| l.source == src).collect();
        l.iter().filter(|l| l.converted == Some(true)).count() as f64 / l.len() as f64
    };
    assert!(
        rate("referral") > 1.5 * rate("cold_visit"),
        "referral {} vs cold visit {}",
        rate("referral"),
        rate("cold_visit")
    );
    let sources: std::collections::BTreeSet<_> = ds.leads.iter().map(|l| l.source.as_str()).collect();
    assert!(sources.len() >= 6);
    let industries: std::collections::BTreeSet<_> = ds.leads.iter().map(|l| l.industry.as_str()).collect();
    assert!(industries.len() >= 5);
    // Losses at every stage, an open pipeline at as_of, and quotas most reps miss.
    for st in leadcast::domain::Stage::PIPELINE {
        assert!(
            ds.opportunities.iter().any(|o| o.stage == *st && o.status == leadcast::domain::Status::Lost),
            "no loss at {st}"
        );
    }
    assert!(ds.opportunities.iter().filter(|o| o.status == leadcast::domain::Status::Open).count() > 50);
    let teams: std::collections::BTreeSet<_> = ds.reps.iter().map(|r| r.team.as_str()).collect();
    let regions: std::collections::BTreeSet<_> = ds.reps.iter().map(|r| r.region.as_str()).collect();
    assert_eq!((ds.reps.len(), teams.len(), regions.len()), (40, 8, 4));
    // Strong Q4, CNY dip: leads created in Feb vs Oct of the same year.
    let month = |y: i32, m: u32| {
        ds.leads
            .iter()
            .filter(|l| chrono::Datelike::year(&l.created_at) == y && chrono::Datelike::month(&l.created_at) == m)
            .count()
    };
    assert!(month(2025, 10) as f64 > 1.6 * month(2025, 2) as f64, "Oct {} Feb {}", month(2025, 10), month(2025, 2));
}

#[test]
fn generate_rejects_impossible_worlds() {
    let out = tempfile::tempdir().unwrap();
    let r = leadcast(&["generate", "--out", out.path().to_str().unwrap(), "--reps", "2"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--reps"), "{}", r.stderr);
    let r = leadcast(&["generate", "--out", out.path().to_str().unwrap(), "--as-of", "yesterday"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--as-of"), "{}", r.stderr);
}

#[test]
fn the_committed_sample_validates() {
    let r = leadcast(&["validate", "--data", repo().join("data/sample").to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}

#[test]
fn the_committed_sample_is_what_the_readme_command_makes() {
    // README: `leadcast generate --out data/sample` (all defaults).
    let out = tempfile::tempdir().unwrap();
    let r = leadcast(&["generate", "--out", out.path().to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (made, committed) = (files(out.path()), files(&repo().join("data/sample")));
    assert_eq!(made.keys().collect::<Vec<_>>(), committed.keys().collect::<Vec<_>>());
    for (name, bytes) in &made {
        assert!(
            bytes == &committed[name],
            "data/sample/{name} is stale: regenerate it with `leadcast generate --out data/sample`"
        );
    }
}
