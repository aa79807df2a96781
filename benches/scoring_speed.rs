//! Benchmark (not a test): rows per second per core of `ScoringModel::predict`, the model
//! alone — no file reading or writing — for the linear model and for the trees, on
//! bank-full-sized inputs.
//!
//!     cargo bench --bench scoring_speed              # bank-full from ../shared/data
//!     cargo bench --bench scoring_speed -- FILE ROWS  # another `;`/`,` table, ROWS scored
//!     cargo bench --bench scoring_speed -- FILE ROWS logistic   # one model only (or gbdt)
//!
//! It trains a logistic and a tree model on UCI bank marketing (`bank-full.csv`, 45,211 rows,
//! `duration` excluded) the way `leadcast train scoring --input` does, builds an in-memory
//! table of about 1,000,000 rows by repeating the file's rows, and times, on one thread:
//!
//! - `predict` (text cells → encoded features → log-odds → calibrated probability, score,
//!   grade; what `leadcast score` and the server call), without and with the top-3 factors;
//! - the estimator alone on pre-encoded rows (`ScoringModel::probabilities`).
//!
//! Each figure is the best of three runs, on one thread (nothing here runs in parallel).

use leadcast::score::model::{ModelChoice, ScoringModel};
use leadcast::score::table::Table;
use leadcast::score::train::{self, TrainSpec};
use std::path::PathBuf;
use std::time::Instant;

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(r);
    }
    (best, out.expect("at least one run"))
}

fn main() {
    // `cargo bench` passes `--bench`; ignore flags.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let file = args.first().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/bank-marketing/bank-full.csv")
    });
    let want: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let table = match Table::read(&file, &Default::default()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {}: {e}", file.display());
            std::process::exit(1);
        }
    };
    let reps = want.div_ceil(table.rows).max(1);
    let idx: Vec<usize> = (0..reps).flat_map(|_| 0..table.rows).take(want).collect();
    let big = table.take(&idx);
    println!(
        "machine: {} cores; input {} ({} rows × {} columns, repeated to {} rows)",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        file.display(),
        table.rows,
        table.names.len(),
        big.rows
    );
    println!("{:<10} {:<34} {:>10} {:>14}", "model", "step", "seconds", "rows/s/core");
    let only: Option<ModelChoice> = args.get(2).and_then(|s| s.parse().ok());
    for choice in [ModelChoice::Logistic, ModelChoice::Gbdt].into_iter().filter(|c| only.is_none_or(|o| o == *c)) {
        let mut spec = TrainSpec::new("y", "yes");
        spec.exclude = vec!["duration".into()];
        spec.model = choice;
        let model: ScoringModel = match train::train(&table, &spec, &|_| {}) {
            Ok((m, _)) => m,
            Err(e) => {
                eprintln!("error: training {choice:?}: {e}");
                std::process::exit(1);
            }
        };
        let name = model.estimator.name();
        let line = |step: &str, secs: f64| {
            println!("{name:<10} {step:<34} {secs:>10.3} {:>14.0}", big.rows as f64 / secs);
        };
        let (secs, p) = best_of(3, || model.predict(&big, false, 0).expect("columns present"));
        assert_eq!(p.len(), big.rows);
        line("predict (text → grade)", secs);
        let (secs, _) = best_of(3, || model.predict(&big, true, 3).expect("columns present"));
        line("predict with top-3 factors", secs);
        let cols = model.resolve(&big).expect("columns present");
        let (secs, x) = best_of(3, || model.encoder.encode(&big, &cols));
        line("encode only (text → features)", secs);
        let (secs, _) = best_of(3, || model.probabilities(&x));
        line("estimator + calibration (encoded)", secs);
    }
}
