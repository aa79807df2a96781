//! Lead and opportunity scoring through the real binary: training from a contract directory
//! and from any table, artifacts, evaluation, batch scoring, explanations, bad input.

use crate::util::*;
use std::path::Path;

fn world(dir: &Path, seed: u64, leads: usize) {
    let r = leadcast(&[
        "generate",
        "--out",
        dir.to_str().unwrap(),
        "--seed",
        &seed.to_string(),
        "--leads",
        &leads.to_string(),
        "--reps",
        "12",
        "--quarters",
        "6",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

fn train(data: &Path, models: &Path, kind: &str, extra: &[&str]) -> Run {
    let mut a = vec!["train", kind, "--data", data.to_str().unwrap(), "--models", models.to_str().unwrap()];
    a.extend(extra);
    leadcast(&a)
}

#[test]
fn contract_training_writes_a_complete_version_and_evaluates_against_the_oracle() {
    let root = tempfile::tempdir().unwrap();
    let (a, b, m) = (root.path().join("a"), root.path().join("b"), root.path().join("models"));
    world(&a, 1, 6000);
    world(&b, 2, 6000);
    let r = train(&a, &m, "scoring", &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("chosen") && r.stdout.contains("held out: AUC"), "{}", r.stdout);
    let current = std::fs::read_to_string(m.join("scoring/CURRENT")).unwrap();
    let v = m.join("scoring").join(current.trim());
    for f in [
        "model.json",
        "schema.json",
        "feature_stats.json",
        "metrics.json",
        "metadata.json",
        "report/index.html",
        "report/roc.svg",
        "report/calibration.svg",
        "report/gains.csv",
    ] {
        assert!(v.join(f).is_file(), "{f} missing from {}", v.display());
    }
    let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(v.join("metadata.json")).unwrap()).unwrap();
    assert_eq!(meta["data_fingerprint"].as_str().unwrap().len(), 64);
    assert!(meta["validation"]["auc"].as_f64().unwrap() > 0.6);

    let rep = root.path().join("report");
    let r = leadcast(&[
        "evaluate",
        "scoring",
        "--models",
        m.to_str().unwrap(),
        "--data",
        b.to_str().unwrap(),
        "--report",
        rep.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("oracle (true probabilities): AUC"), "{}", r.stdout);
    let metrics: serde_json::Value = serde_json::from_slice(&std::fs::read(rep.join("metrics.json")).unwrap()).unwrap();
    let (auc, oracle) = (metrics["auc"].as_f64().unwrap(), metrics["oracle"]["auc"].as_f64().unwrap());
    // Small worlds: the model is somewhat below the oracle, never absurdly above it.
    assert!(auc > oracle - 0.08 && auc < oracle + 0.02, "model {auc} oracle {oracle}");

    let r = train(&a, &m, "opportunity", &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let r = leadcast(&["evaluate", "opportunity", "--models", m.to_str().unwrap(), "--data", b.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("oracle"), "{}", r.stdout);
}

#[test]
fn training_never_reads_truth() {
    let root = tempfile::tempdir().unwrap();
    let (a, m1, m2) = (root.path().join("a"), root.path().join("m1"), root.path().join("m2"));
    world(&a, 4, 3000);
    assert_eq!(train(&a, &m1, "scoring", &["--model", "logistic"]).code, 0);
    std::fs::remove_dir_all(a.join("truth")).unwrap();
    assert_eq!(train(&a, &m2, "scoring", &["--model", "logistic"]).code, 0);
    let model = |m: &Path| {
        let v = std::fs::read_to_string(m.join("scoring/CURRENT")).unwrap();
        std::fs::read(m.join("scoring").join(v.trim()).join("model.json")).unwrap()
    };
    assert!(model(&m1) == model(&m2), "the model changed when truth/ was removed");
}

#[test]
fn invalid_data_trains_nothing() {
    let root = tempfile::tempdir().unwrap();
    let (a, m) = (root.path().join("a"), root.path().join("m"));
    world(&a, 4, 1000);
    set_cell(&a.join("leads.csv"), 3, "created_at", "yesterday");
    let r = train(&a, &m, "scoring", &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("leads.csv, row 3 (line 4), column created_at"), "{}", r.stderr);
    assert!(!m.join("scoring").exists(), "a model was written from invalid data");

    // Valid but too small to learn from: the error says which model could not be trained.
    let tiny = root.path().join("tiny");
    let r = leadcast(&["generate", "--out", tiny.to_str().unwrap(), "--seed", "3", "--leads", "30", "--reps", "4"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = train(&tiny, &m, "all", &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error: training the scoring model: too little data to train"), "{}", r.stderr);
    assert!(!m.join("scoring").exists());
}

/// `leadcast train scoring` on a bank-marketing file, target y = yes, plus `extra` flags.
fn train_bank(bank: &Path, m: &Path, extra: &[&str]) -> Run {
    let mut a = vec![
        "train",
        "scoring",
        "--input",
        bank.to_str().unwrap(),
        "--target",
        "y",
        "--positive",
        "yes",
        "--models",
        m.to_str().unwrap(),
    ];
    a.extend(extra);
    leadcast(&a)
}

/// The first `n` rows of bank-full (real leads), as a file.
fn bank_sample(dir: &Path, n: usize) -> std::path::PathBuf {
    let text = std::fs::read_to_string(shared_data().join("bank-marketing/bank-full.csv")).unwrap();
    let p = dir.join("bank.csv");
    std::fs::write(&p, text.lines().take(n + 1).collect::<Vec<_>>().join("\n") + "\n").unwrap();
    p
}

#[test]
fn any_table_trains_with_an_inferred_schema_and_scores_file_to_file() {
    let root = tempfile::tempdir().unwrap();
    let m = root.path().join("m");
    let bank = bank_sample(root.path(), 6000);
    let r = train_bank(&bank, &m, &[]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // Separator sniffed (`;`), kinds inferred, the leak flagged.
    assert!(r.stdout.contains("inferred schema"), "{}", r.stdout);
    assert!(r.stdout.lines().any(|l| l.contains("balance") && l.contains("numeric")), "{}", r.stdout);
    assert!(r.stdout.lines().any(|l| l.trim_start().starts_with("job") && l.contains("categorical")), "{}", r.stdout);
    assert!(r.stdout.lines().any(|l| l.trim_start().starts_with("housing") && l.contains("boolean")), "{}", r.stdout);
    assert!(r.stdout.contains("possible leakage: \"duration\""), "{}", r.stdout);
    // The target is counted too (it was shown with "distinct 0").
    let y = r.stdout.lines().find(|l| l.trim_start().starts_with("y ")).unwrap();
    assert!(y.contains("target") && y.contains("missing      0, distinct      2"), "{y}");

    let r = train_bank(&bank, &m, &["--exclude", "duration"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains("possible leakage"), "{}", r.stdout);

    // Score: the target column is ignored, extra columns too; explanations on.
    let out = root.path().join("scores.csv");
    let r = score(&m, &bank, &out, &["--explain"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (h, rows) = read_csv(&out);
    assert_eq!(&h[..4], ["row", "probability", "score", "grade"]);
    assert_eq!(h[4], "factor_1");
    assert_eq!(rows.len(), 6000);
    for r in rows.iter().take(200) {
        let p: f64 = r[1].parse().unwrap();
        assert!((0.0..=1.0).contains(&p));
        assert_eq!(r[2].parse::<i64>().unwrap(), (p * 100.0).round() as i64);
        assert!(["A", "B", "C", "D"].contains(&r[3].as_str()));
        assert!(!r[4].is_empty() && r[4] != "duration");
    }
    // With --bom, the same bytes after a UTF-8 byte-order mark (for Excel), which leadcast's own
    // reader skips; without it, none.
    let with_bom = root.path().join("scores-excel.csv");
    let r = score(&m, &bank, &with_bom, &["--explain", "--bom"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (plain, marked) = (std::fs::read(&out).unwrap(), std::fs::read(&with_bom).unwrap());
    assert!(!plain.starts_with(b"\xef\xbb\xbf"));
    assert_eq!(marked, [b"\xef\xbb\xbf".as_slice(), &plain].concat());
    let back = leadcast::score::table::Table::read(&with_bom, &Default::default()).unwrap();
    assert_eq!(back.names[0], "row");
    // The same through Parquet.
    let outp = root.path().join("scores.parquet");
    let r = score(&m, &bank, &outp, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let df = polars::prelude::ParquetReader::new(std::fs::File::open(&outp).unwrap());
    use polars::prelude::SerReader;
    assert_eq!(df.finish().unwrap().height(), 6000);
}

/// European exports write `2.143,00` for 2143: such a column is numeric, trains and scores
/// exactly as the same numbers written with a point, and the API takes either spelling.
#[test]
fn numbers_with_decimal_commas_read_as_the_numbers_they_are() {
    let root = tempfile::tempdir().unwrap();
    let bank = bank_sample(root.path(), 4000);
    let text = std::fs::read_to_string(&bank).unwrap();
    // balance (column 6) as 2.143,00 (a dot between thousands, a decimal comma), and as
    // $2,143.00 (commas between thousands, a currency symbol), against the file's 2143.
    let written = |l: &str, thousands: char, decimals: &str, symbol: &str| {
        let mut f: Vec<String> = l.split(';').map(str::to_string).collect();
        if let Ok(b) = f[5].parse::<i64>() {
            let digits = b.abs().to_string();
            let mut grouped = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i) % 3 == 0 {
                    grouped.push(thousands);
                }
                grouped.push(c);
            }
            f[5] = format!("{}{symbol}{grouped}{decimals}", if b < 0 { "-" } else { "" });
        }
        f.join(";")
    };
    let write = |name: &str, thousands: char, decimals: &str, symbol: &str| {
        let p = root.path().join(name);
        let body: Vec<String> = text.lines().map(|l| written(l, thousands, decimals, symbol)).collect();
        std::fs::write(&p, body.join("\n") + "\n").unwrap();
        p
    };
    let eu = write("bank-eu.csv", '.', ",00", "");
    let us = write("bank-us.csv", ',', ".00", "$");
    assert!(std::fs::read_to_string(&eu).unwrap().contains(";2.143,00;"));
    assert!(std::fs::read_to_string(&us).unwrap().contains(";$2,143.00;"));
    let mut outs = Vec::new();
    for (file, note) in [(&bank, ""), (&eu, "decimal commas"), (&us, "commas between thousands")] {
        let m = root.path().join(format!("m-{}", file.file_name().unwrap().to_string_lossy()));
        let r = train_bank(file, &m, &["--exclude", "duration", "--model", "logistic"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let balance = r.stdout.lines().find(|l| l.trim_start().starts_with("balance")).unwrap_or_default();
        assert!(balance.contains("numeric") && balance.contains(note), "{balance}");
        assert_eq!(balance.contains("commas"), !note.is_empty(), "{balance}");
        assert_eq!(balance.contains("currency"), file == &us, "{balance}");
        // The same numbers, the same model: identical scores, no warnings.
        let out = root.path().join(format!("out-{}", file.file_name().unwrap().to_string_lossy()));
        let r = score(&m, file, &out, &[]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(!r.stderr.contains("not a number"), "{}", r.stderr);
        outs.push(read_csv(&out));
    }
    assert_eq!(outs[0], outs[1]);
    assert_eq!(outs[0], outs[2]);
    // A model trained on the plain numbers scores the spreadsheet's `$2,143.00` as 2143 (its
    // commas can only be thousands): the same scores, no warning.
    let out = root.path().join("out-plain-model-us.csv");
    let r = score(&root.path().join("m-bank.csv"), &us, &out, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("not a number"), "{}", r.stderr);
    assert_eq!(read_csv(&out), outs[0]);
}

#[test]
fn scoring_bad_input_is_named_and_unknown_values_are_scored() {
    let root = tempfile::tempdir().unwrap();
    let m = root.path().join("m");
    let bank = bank_sample(root.path(), 3000);
    let r = train_bank(&bank, &m, &["--exclude", "duration", "--model", "logistic"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(&bank).unwrap();
    let lines: Vec<&str> = text.lines().take(4).collect();
    let out = root.path().join("o.csv");
    let score = |name: &str, body: String| {
        let p = root.path().join(name);
        std::fs::write(&p, body).unwrap();
        score(&m, &p, &out, &[])
    };
    // An unknown job and a wrong type: scored, with the row and column named.
    let weird = lines[2].replacen("\"technician\"", "\"astronaut\"", 1).replacen(";29;", ";lots;", 1);
    let r = score("u.csv", format!("{}\n{}\n{weird}\n", lines[0], lines[1]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("row 2 (line 3): job: \"astronaut\" is not one of the levels kept in training"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("row 2 (line 3): balance: \"lots\" is not a number"), "{}", r.stderr);
    let (_, rows) = read_csv(&out);
    assert_eq!(rows.len(), 2);
    // Missing columns: all of them listed.
    // Drop the first two columns (age, job).
    let cut: Vec<String> = lines.iter().map(|l| l.split(';').skip(2).collect::<Vec<_>>().join(";")).collect();
    let r = score("m.csv", cut.join("\n") + "\n");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("missing column(s) the model needs: age, job"), "{}", r.stderr);
    // An empty file.
    let r = score("e.csv", String::new());
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("(first: e.csv: the file is empty"), "{}", r.stderr);
    // A ragged row: named by row and line, with one "error:" in front.
    let r = score("r.csv", format!("{}\n1;2\n", lines[0]));
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("(first: r.csv, row 1 (line 2): the row has 2 fields"), "{}", r.stderr);
    assert_eq!(r.stderr.matches("error:").count(), 1, "{}", r.stderr);
    // Evaluating on a table whose target is written another way: the error says what it holds.
    let upper = root.path().join("upper.csv");
    std::fs::write(&upper, text.replace("\"yes\"\n", "\"YES\"\n").replace("\"no\"\n", "\"NO\"\n")).unwrap();
    let r = leadcast(&["evaluate", "--models", m.to_str().unwrap(), "--input", upper.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("none of the 3000 labelled rows has y = \"yes\"") && r.stderr.contains("\"YES\" ("),
        "{}",
        r.stderr
    );

    // Training: one class, a target value that is not there, no such target.
    let t = |args: &[&str]| {
        let mut a = vec!["train", "scoring", "--input", bank.to_str().unwrap(), "--models", m.to_str().unwrap()];
        a.extend(args);
        leadcast(&a)
    };
    let r = t(&["--target", "y", "--positive", "maybe"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("target value \"maybe\" does not occur in column \"y\" (values seen: no, yes)"),
        "{}",
        r.stderr
    );
    let r = t(&["--target", "nope", "--positive", "yes"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no target column \"nope\""), "{}", r.stderr);
    // No --positive: the error lists what the target column holds to choose from.
    let r = t(&["--target", "y"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("needs --positive VALUE") && r.stderr.contains("\"yes\" ("), "{}", r.stderr);
    let one_class: String = text
        .lines()
        .take(1)
        .chain(text.lines().skip(1).filter(|l| l.ends_with("\"no\"")).take(300))
        .collect::<Vec<_>>()
        .join("\n");
    let p = root.path().join("one.csv");
    std::fs::write(&p, one_class + "\n").unwrap();
    let r = leadcast(&[
        "train",
        "scoring",
        "--input",
        p.to_str().unwrap(),
        "--target",
        "y",
        "--positive",
        "no",
        "--models",
        m.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("one class only"), "{}", r.stderr);
}

#[test]
fn versions_promote_and_roll_back_from_the_cli() {
    let root = tempfile::tempdir().unwrap();
    let m = root.path().join("m");
    let bank = bank_sample(root.path(), 1500);
    let train = || train_bank(&bank, &m, &["--exclude", "duration", "--model", "logistic"]);
    assert_eq!(train().code, 0);
    let first = std::fs::read_to_string(m.join("scoring/CURRENT")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(train().code, 0);
    let second = std::fs::read_to_string(m.join("scoring/CURRENT")).unwrap();
    assert_ne!(first, second);
    let r = leadcast(&["models", "list", "--models", m.to_str().unwrap()]);
    assert!(r.stdout.contains(&format!("* {}", second.trim())), "{}", r.stdout);
    let r = leadcast(&["models", "rollback", "scoring", "--models", m.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(m.join("scoring/CURRENT")).unwrap(), first);
    let r = leadcast(&["models", "promote", "scoring", "nope", "--models", m.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no version \"nope\""), "{}", r.stderr);
    let r = leadcast(&["models", "show", "scoring", "--models", m.to_str().unwrap()]);
    assert!(r.stdout.contains("\"data_fingerprint\""), "{}", r.stdout);
    // A version is a listed name, not a path.
    let r = leadcast(&["models", "show", "scoring", "../scoring/CURRENT", "--models", m.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no version \"../scoring/CURRENT\" of scoring"), "{}", r.stderr);
}

/// `leadcast score --models m --input input --output output [extra…]`.
fn score(m: &Path, input: &Path, output: &Path, extra: &[&str]) -> Run {
    let mut a = vec!["score", "--models", m.to_str().unwrap(), "--input", input.to_str().unwrap()];
    a.extend(["--output", output.to_str().unwrap()]);
    a.extend(extra);
    leadcast(&a)
}

/// Fisher–Yates with a 64-bit LCG seeded 42: the same order on every machine.
fn shuffle<T>(lines: &mut [T]) {
    let mut s = 42u64;
    for i in (1..lines.len()).rev() {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        lines.swap(i, ((s >> 33) as usize) % (i + 1));
    }
}

/// `leadcast evaluate scoring` of the models in `m` on `test`: the report's AUC and log loss.
fn evaluate(m: &Path, test: &Path, report: &Path) -> (f64, f64) {
    let r = leadcast(&[
        "evaluate",
        "scoring",
        "--models",
        m.to_str().unwrap(),
        "--input",
        test.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("metrics.json")).unwrap()).unwrap();
    (v["auc"].as_f64().unwrap(), v["log_loss"].as_f64().unwrap())
}

/// Issue 3's real-leads acceptance on a split of its own: bank-full's rows shuffled with a
/// fixed seed, 80% to train (`duration` excluded: it is known only after the call), 20% to
/// judge. LightGBM with defaults reaches AUC 0.80 on such splits (`benches/scoring_baselines.sh`
/// puts both side by side); leadcast's choice must too, and beat its own logistic model.
#[test]
fn real_leads_reach_an_auc_of_080_on_a_shuffled_split() {
    let root = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(shared_data().join("bank-marketing/bank-full.csv")).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    shuffle(&mut lines);
    let cut = lines.len() * 4 / 5;
    let write = |name: &str, rows: &[&str]| {
        let p = root.path().join(name);
        std::fs::write(&p, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
        p
    };
    let (train_file, test_file) = (write("train.csv", &lines[..cut]), write("test.csv", &lines[cut..]));
    let judge = |model: &str| -> (f64, f64) {
        let m = root.path().join(format!("m-{model}"));
        let r = train_bank(&train_file, &m, &["--exclude", "duration", "--model", model]);
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
        evaluate(&m, &test_file, &root.path().join(format!("rep-{model}")))
    };
    let (auc, log_loss) = judge("auto");
    let (linear_auc, linear_log_loss) = judge("logistic");
    eprintln!(
        "bank-full, shuffled 80/20: auto AUC {auc:.4} log loss {log_loss:.4}; logistic {linear_auc:.4} / {linear_log_loss:.4}"
    );
    assert!(auc >= 0.80, "AUC {auc:.4} on the held-out 20%");
    assert!(
        auc > linear_auc + 0.01 && log_loss < linear_log_loss,
        "auto {auc}/{log_loss} vs logistic {linear_auc}/{linear_log_loss}"
    );
}

/// Real leads of another kind: Olist's marketing-qualified leads (origin, landing page, first
/// contact date written DD-MM-YYYY), converted when the lead is among the closed deals. The
/// date must be read as a date — day first — not as 336 categories, the `--time` split must
/// follow it, and on a shuffled 80/20 split the model must rank and beat the base rate's log
/// loss. On this split (2026-12-07) leadcast got AUC 0.682 / log loss 0.328, scikit-learn's
/// logistic regression 0.699 / 0.322 and LightGBM 0.687 / 0.334 on the same features (a
/// throw-away script; `benches/scoring_baselines.sh` has the committed comparison): the floor
/// of 0.66 is for a model that works, not a claim to beat them.
#[test]
fn olist_leads_with_day_first_dates_are_scored_on_real_data() {
    let root = tempfile::tempdir().unwrap();
    let dir = shared_data().join("olist-funnel");
    let closed = std::fs::read_to_string(dir.join("olist_closed_deals_dataset.csv")).unwrap();
    let won: std::collections::HashSet<&str> = closed.lines().skip(1).filter_map(|l| l.split(',').next()).collect();
    let mql = std::fs::read_to_string(dir.join("olist_marketing_qualified_leads_dataset.csv")).unwrap();
    let mut lines: Vec<String> =
        mql.lines().skip(1).map(|l| format!("{l},{}", won.contains(l.split(',').next().unwrap()) as u8)).collect();
    assert_eq!((lines.len(), lines.iter().filter(|l| l.ends_with(",1")).count()), (8000, 842));
    let header = "mql_id,first_contact_date,landing_page_id,origin,converted";
    let write = |name: &str, rows: &[String]| {
        let p = root.path().join(name);
        std::fs::write(&p, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
        p
    };
    let train = |input: &Path, models: &Path, extra: &[&str]| {
        let mut a = vec!["train", "scoring", "--input", input.to_str().unwrap(), "--target", "converted"];
        a.extend(["--positive", "1", "--id", "mql_id", "--models", models.to_str().unwrap()]);
        a.extend(extra);
        let r = leadcast(&a);
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
        r
    };

    // In file order, by time: the split follows the dates, not their text.
    let all = write("olist.csv", &lines);
    let r = train(&all, &root.path().join("m-time"), &["--time", "first_contact_date"]);
    assert!(r.stdout.contains("by time (first_contact_date)"), "{}", r.stdout);
    let schema = std::fs::read_to_string(
        std::fs::read_dir(root.path().join("m-time/scoring"))
            .unwrap()
            .flatten()
            .find(|e| e.path().is_dir())
            .unwrap()
            .path()
            .join("schema.json"),
    )
    .unwrap();
    let schema: serde_json::Value = serde_json::from_str(&schema).unwrap();
    let date = schema.as_array().unwrap().iter().find(|c| c["name"] == "first_contact_date").unwrap();
    assert_eq!(
        (date["kind"]["kind"].as_str(), date["date_order"].as_str()),
        (Some("date"), Some("day_first")),
        "{date}"
    );

    // Shuffled 80/20 (the LCG of the bank test).
    shuffle(&mut lines);
    let cut = lines.len() * 4 / 5;
    let (train_file, test_file) = (write("train.csv", &lines[..cut]), write("test.csv", &lines[cut..]));
    let m = root.path().join("m");
    train(&train_file, &m, &[]);
    let (auc, ll) = evaluate(&m, &test_file, &root.path().join("rep"));
    let rate = lines[cut..].iter().filter(|l| l.ends_with(",1")).count() as f64 / (lines.len() - cut) as f64;
    let base = -(rate * rate.ln() + (1.0 - rate) * (1.0 - rate).ln());
    eprintln!("olist, shuffled 80/20: AUC {auc:.4}, log loss {ll:.4} (base rate {base:.4})");
    assert!(auc >= 0.66 && ll < base, "AUC {auc:.4}, log loss {ll:.4} against the base rate's {base:.4}");

    // Scoring reads the dates the same way: no "not a date" warnings.
    let out = root.path().join("scores.csv");
    let r = score(&m, &test_file, &out, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!std::fs::read_to_string(&out).unwrap().contains("is not a date"));
}

#[test]
fn models_list_summarises_every_kind_by_its_own_figures() {
    // The shipped models: one line per version, each kind judged by what it is judged by — a
    // forecast or talk-track model has no AUC (before, their lines read "? on null rows,
    // held-out AUC NaN").
    let models = crate::util::repo().join("models");
    let r = leadcast(&["models", "list", "--models", models.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for bad in ["NaN", "null", "?"] {
        assert!(!r.stdout.contains(bad), "{bad}: {}", r.stdout);
    }
    let line = |kind: &str| {
        let mut lines = r.stdout.lines().skip_while(|l| *l != format!("{kind}:"));
        lines.nth(1).unwrap_or_else(|| panic!("no {kind} version listed: {}", r.stdout)).to_string()
    };
    assert!(line("scoring").contains("held-out AUC 0."), "{}", r.stdout);
    assert!(line("opportunity").contains("held-out AUC 0."), "{}", r.stdout);
    assert!(
        line("forecast").contains("company backtest WAPE") && line("forecast").contains("as of 20"),
        "{}",
        r.stdout
    );
    assert!(line("talktrack").contains("touches") && line("talktrack").contains("as logged"), "{}", r.stdout);
}
