//! `train talktrack`, `evaluate talktrack` and `recommend`: argument checks, then library calls
//! (`leadcast::talktrack`), then printing. The truth file of a simulated world is read here,
//! not in the library.

use super::args::{self, EvaluateArgs, RecommendArgs};
use super::progress::Progress;
use anyhow::{Context as _, Result, bail};
use leadcast::catalog::Catalog;
use leadcast::data::Problems;
use leadcast::domain::{Objection, Stage};
use leadcast::registry::Registry;
use leadcast::score;
use leadcast::talktrack::{
    self, ContextIn, Lang, Policy, TalkTrackModel,
    evaluate::{self, OnlineSpec, TruthRow},
    report::Evaluation,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;
use std::str::FromStr;

fn now() -> chrono::DateTime<chrono::Utc> {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    chrono::DateTime::from_timestamp(d.as_secs() as i64, d.subsec_nanos()).unwrap_or_default()
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// What the talk-track model learns from besides the data: the catalog (the directory's own
/// or the built-in one) and the feedback of `--feedback` and `--db`. Read before any training,
/// so `train all` stops on a bad feedback file before it spends minutes on the other models.
pub struct Inputs {
    catalog: Catalog,
    feedback: Vec<talktrack::recommend::Feedback>,
}

/// Reads and checks the [`Inputs`]; an error names every problem and trains nothing.
pub fn inputs(a: &args::TrainArgs, dir: &Path, p: &Progress) -> Result<Inputs> {
    let mut problems = Problems::default();
    let catalog = Catalog::for_data_dir(dir, &mut problems);
    if problems.has_errors() {
        for l in problems.summarize(10) {
            eprintln!("{l}");
        }
        bail!("{}/talk_tracks.csv is invalid; nothing was trained", dir.display());
    }
    let mut feedback = match &a.feedback {
        None => Vec::new(),
        Some(f) => {
            p.step(format!("reading feedback {}", f.display()));
            let bytes = std::fs::read(f).with_context(|| format!("reading the feedback file {}", f.display()))?;
            let name = f.file_name().map(|x| x.to_string_lossy().into_owned()).unwrap_or_default();
            match talktrack::feedback::read(&name, &bytes) {
                Ok(rows) => rows,
                Err(errs) => {
                    for e in errs.iter().take(20) {
                        eprintln!("{e}");
                    }
                    if errs.len() > 20 {
                        eprintln!("… and {} more", errs.len() - 20);
                    }
                    bail!(
                        "{} has {} problem(s); nothing was trained (columns: {})",
                        f.display(),
                        errs.len(),
                        talktrack::feedback::COLUMNS.join(",")
                    );
                }
            }
        }
    };
    if let Some(url) = &a.db {
        p.step(format!("reading stored feedback from {url}"));
        let (rows, skipped) = stored_feedback(url)?;
        if skipped > 0 {
            eprintln!("warning: {skipped} stored feedback row(s) do not parse and were skipped");
        }
        feedback.extend(rows);
    }
    Ok(Inputs { catalog, feedback })
}

/// `leadcast train talktrack --data DIR --models DIR [--feedback FILE]` (also part of `train all`).
/// `ds`: the directory's data and `read` the [`Inputs`] when the caller already has them.
/// Returns the saved version.
pub fn train(
    a: &args::TrainArgs,
    dir: &Path,
    ds: Option<&leadcast::domain::Dataset>,
    read: Option<Inputs>,
) -> Result<String> {
    let p = Progress::start(format!("checking {}", dir.display()));
    let loaded;
    let ds = match ds {
        Some(d) => d,
        None => {
            loaded = super::scoring::checked_data(dir)?;
            &loaded
        }
    };
    let Inputs { catalog, feedback } = match read {
        Some(r) => r,
        None => inputs(a, dir, &p)?,
    };
    p.step("fitting the talk-track model".into());
    let sources: Vec<String> =
        a.feedback.iter().map(|f| f.display().to_string()).chain(a.db.iter().map(|u| redact(u))).collect();
    let (mut model, summary) =
        talktrack::train(&catalog, ds, &feedback).with_context(|| format!("replaying {}", sources.join(" and ")))?;
    model.fit.data_fingerprint = Some(score::fingerprint(&score::table_files(dir))?);
    let registry = Registry::new(&a.models);
    let fb_name = (!sources.is_empty()).then(|| sources.join(" + "));
    let version = talktrack::save(&registry, &model, &summary, &dir.display().to_string(), fb_name.as_deref())?;
    p.finish();
    println!("── talktrack model {version} ──");
    println!(
        "touches {} ({} skipped), feedback replayed {}, contexts {} ({} with ≥ {} touches)",
        summary.touches,
        summary.skipped.values().sum::<usize>(),
        summary.feedback_replayed,
        summary.contexts,
        summary.supported_contexts,
        talktrack::SUPPORTED_TOUCHES
    );
    let k = &summary.strengths;
    println!(
        "prior strengths (empirical Bayes, pseudo-touches): track {:.0}, persona {:.0}, industry {:.0}, persona × industry {:.0}",
        k.track, k.persona, k.industry, k.cell
    );
    for (why, n) in &summary.skipped {
        println!("note: {n} activities left out: {why}");
    }
    if let Some(h) = &summary.holdout {
        println!(
            "held out (latest 20% of touches, model fitted on the rest): reps achieved {} [{}, {}]; learned policy, doubly robust {} [{}, {}]",
            pct(h.logging.value),
            pct(h.logging.lo),
            pct(h.logging.hi),
            pct(h.dr.value),
            pct(h.dr.lo),
            pct(h.dr.hi)
        );
    }
    println!("model: {}", a.models.join(talktrack::KIND).join(&version).join("model.json").display());
    Ok(version)
}

/// The feedback stored in the server's database. A SQLite file must exist: opening a
/// misspelt path would otherwise create an empty database and replay nothing, silently.
fn stored_feedback(url: &str) -> Result<(Vec<talktrack::recommend::Feedback>, usize)> {
    if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        let file = path.split('?').next().unwrap_or(path);
        if !Path::new(file).is_file() {
            bail!("--db {url}: no such SQLite file (the server's database is <state-dir>/leadcast.db by default)");
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(leadcast::serve::talktrack::stored_feedback(url))
        .with_context(|| format!("reading the feedback stored in {}", redact(url)))
}

/// A database URL without its password, for messages and metadata.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let user = &url[s + 3..at];
            match user.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &user[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Reads `truth/talk_track_effects.csv`.
fn read_truth(path: &Path) -> Result<Vec<TruthRow>> {
    let mut r = csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let h = r.headers()?.clone();
    let col = |n: &str| h.iter().position(|x| x == n).with_context(|| format!("{}: no column {n}", path.display()));
    let (cs, cp, ci, co, ct, ca) = (
        col("stage")?,
        col("persona")?,
        col("industry")?,
        col("objection")?,
        col("talk_track_id")?,
        col("advance_probability")?,
    );
    let mut out = Vec::new();
    for (k, rec) in r.records().enumerate() {
        let rec = rec.with_context(|| format!("{}: row {}", path.display(), k + 1))?;
        let f = |i: usize| rec.get(i).unwrap_or("").trim();
        let bad = |m: String| anyhow::anyhow!("{}: row {}: {m}", path.display(), k + 1);
        out.push(TruthRow {
            stage: Stage::from_str(f(cs)).map_err(bad)?,
            persona: f(cp).to_string(),
            industry: f(ci).to_string(),
            objection: match f(co) {
                "" => None,
                s => Some(Objection::from_str(s).map_err(bad)?),
            },
            talk_track_id: f(ct).to_string(),
            advance_probability: f(ca)
                .parse::<f64>()
                .ok()
                .filter(|x| (0.0..=1.0).contains(x))
                .ok_or_else(|| bad(format!("advance_probability {:?} is not a probability", f(ca))))?,
        });
    }
    Ok(out)
}

/// The deals' advance multipliers from `truth/opportunities.csv`; empty when the file or its
/// `advance_multiplier` column is absent (older simulated worlds).
fn read_multipliers(path: &Path) -> Result<HashMap<String, f64>> {
    let mut out = HashMap::new();
    if !path.is_file() {
        return Ok(out);
    }
    let mut r = csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let h = r.headers()?.clone();
    let (Some(ci), Some(cm)) =
        (h.iter().position(|x| x == "opportunity_id"), h.iter().position(|x| x == "advance_multiplier"))
    else {
        return Ok(out);
    };
    for (k, rec) in r.records().enumerate() {
        let rec = rec.with_context(|| format!("{}: row {}", path.display(), k + 1))?;
        let m = rec.get(cm).unwrap_or("").trim();
        let m = m.parse::<f64>().ok().filter(|x| x.is_finite() && *x > 0.0).with_context(|| {
            format!("{}: row {}, column advance_multiplier: {m:?} is not a positive number", path.display(), k + 1)
        })?;
        out.insert(rec.get(ci).unwrap_or("").trim().to_string(), m);
    }
    Ok(out)
}

/// `leadcast evaluate talktrack --models DIR --data DIR [--report DIR]`.
pub fn evaluate(a: EvaluateArgs) -> Result<ExitCode> {
    let Some(dir) = &a.data else {
        bail!("evaluate talktrack needs --data DIR (a contract directory; a simulated one adds the truth)");
    };
    let registry = Registry::new(&a.models);
    let (version, model) = talktrack::load(&registry)?;
    let p = Progress::start(format!("checking {}", dir.display()));
    let ds = super::scoring::checked_data(dir)?;
    let owners = talktrack::owners(&ds);
    let fp = score::fingerprint(&score::table_files(dir))?;
    p.step("off-policy evaluation".into());
    // Held-out logs: another data set is held out whole; the training data itself is split by
    // date and the policy refitted on the earlier part.
    let (policy_model, held, holdout) = if model.fit.data_fingerprint.as_deref() == Some(fp.as_str()) {
        let (early, late) = talktrack::split_by_date(&ds.activities, 0.8);
        (
            model.refit(&early),
            late,
            "the model's own training data: the policy refitted on the earliest 80% of touches, judged on the latest 20%"
                .to_string(),
        )
    } else {
        (model.clone(), ds.activities.clone(), "data the model was not trained on: every touch held out".to_string())
    };
    let logs = evaluate::logged(&policy_model, &held, &owners);
    let all_logs = evaluate::logged(&policy_model, &ds.activities, &owners);
    let logging = evaluate::LoggingPolicy::estimate(&policy_model, &all_logs);
    let truth_path = dir.join("truth/talk_track_effects.csv");
    let truth = if truth_path.is_file() {
        let rows = read_truth(&truth_path)?;
        let multipliers = read_multipliers(&dir.join("truth/opportunities.csv"))?;
        Some(evaluate::Truth::new(&model, &rows)?.with_multipliers(multipliers))
    } else {
        None
    };
    let off = evaluate::off_policy(&policy_model, &logs, &logging, truth.as_ref()).ok();
    let mut agreement = None;
    let mut online = None;
    if let Some(t) = &truth {
        p.step("comparing with the truth".into());
        agreement = Some(evaluate::against_truth(&model, t, talktrack::SUPPORTED_TOUCHES));
        p.step(format!("online simulation: {} decisions", a.decisions));
        let spec = OnlineSpec { decisions: a.decisions, seed: a.seed, ..OnlineSpec::default() };
        online =
            Some(evaluate::simulate_online(&model, &model.blank(), t, &evaluate::context_weights(&all_logs), &spec)?);
    }
    p.finish();
    let ev = Evaluation {
        model_version: version.clone(),
        data: dir.display().to_string(),
        holdout,
        off_policy: off,
        truth: agreement,
        online,
    };
    println!("talktrack {version} on {} ({})", dir.display(), ev.holdout);
    match &ev.off_policy {
        Some(o) => {
            let e = |x: &evaluate::Estimate| format!("{} [{}, {}]", pct(x.value), pct(x.lo), pct(x.hi));
            println!("off policy, {} touches (the reps used the policy's track in {}):", o.touches, pct(o.matched));
            println!("  logging policy (reps, observed)   {}", e(&o.logging));
            println!("  learned policy, IPS               {}", e(&o.ips));
            println!("  learned policy, doubly robust     {}", e(&o.dr));
            if let (Some(tp), Some(tl)) = (o.truth_policy, o.truth_logging) {
                println!(
                    "  truth: learned policy {}, logging policy {} ({}); an average ramped rep: learned policy {}",
                    pct(tp),
                    pct(tl),
                    if o.truth_per_deal { "each touch for its deal's rep" } else { "average ramped rep" },
                    o.truth_policy_average_rep.map(pct).unwrap_or_default()
                );
                println!(
                    "  interval covers the truth: doubly robust {}, IPS {}",
                    if o.dr_covers_truth == Some(true) { "yes" } else { "no" },
                    if o.ips_covers_truth == Some(true) { "yes" } else { "no" }
                );
            }
        }
        None => println!("off policy: no held-out touches with a catalog talk track"),
    }
    if let Some(t) = &ev.truth {
        println!(
            "against the truth: {} contexts, top-1 best {} (within 1 pp {}), mean regret {:.2} pp (uniform random {:.2} pp)",
            t.contexts,
            pct(t.top1_exact),
            pct(t.top1_within_1pp),
            100.0 * t.mean_regret,
            100.0 * t.mean_regret_uniform
        );
        println!(
            "  {} contexts with ≥ {} training touches: top-1 best {} (within 1 pp {}), mean regret {:.2} pp",
            t.supported_contexts,
            t.min_touches,
            pct(t.supported_top1_exact),
            pct(t.supported_top1_within_1pp),
            100.0 * t.supported_mean_regret
        );
    }
    if let Some(o) = &ev.online {
        println!(
            "online simulation, {} decisions (seed {}), cumulative expected regret:",
            o.spec.decisions, o.spec.seed
        );
        for c in &o.curves {
            println!("  {:<38} {:>9.1}  (mean true advance {})", c.policy, c.total_regret, pct(c.mean_advance));
        }
        println!("  learned / uniform random: {:.3}", o.regret_ratio_vs_uniform);
    }
    if let Some(r) = &a.report {
        talktrack::report::write(r, &ev).with_context(|| format!("writing the report to {}", r.display()))?;
        println!("report: {}", r.join("index.html").display());
    }
    if truth.is_none() {
        println!("note: {} has no truth/talk_track_effects.csv: only the off-policy estimates apply", dir.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `leadcast recommend …`: one context, or a batch file.
pub fn recommend(a: RecommendArgs) -> Result<ExitCode> {
    let registry = Registry::new(&a.models);
    let (version, model) = talktrack::load(&registry)?;
    let lang = Lang::from_str(&a.lang).map_err(anyhow::Error::msg)?;
    let policy = Policy { exploration: a.exploration, ..Policy::default() };
    policy.check()?;
    if a.k == 0 {
        bail!("-k must be at least 1");
    }
    let seed = a.seed.unwrap_or_else(|| now().timestamp_nanos_opt().unwrap_or_default() as u64);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    match (&a.input, &a.output) {
        (Some(input), Some(output)) => {
            let opts = leadcast::data::raw::ReadOptions { sheet: a.sheet.clone(), ..Default::default() };
            return batch(&model, (input, &opts), output, a.k, lang, a.bom);
        }
        (Some(_), None) | (None, Some(_)) => bail!("batch mode needs both --input contexts.csv and --output recs.csv"),
        (None, None) => {}
    }
    let Some(stage) = &a.stage else {
        bail!("give --stage S and --persona P (or --input contexts.csv --output recs.csv)");
    };
    let Some(persona) = &a.persona else {
        bail!("give --persona P (e.g. --persona finance)");
    };
    let ctx = ContextIn {
        stage: stage.clone(),
        persona: Some(persona.clone()),
        industry: a.industry.clone(),
        objection: a.objection.clone(),
    };
    let recs = model
        .recommend(&ctx, lang, a.k, &policy, &version, now(), &mut rng)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("no recommendation")?;
    for f in &recs.fallbacks {
        eprintln!("warning: {}", f.message);
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&recs)?);
        return Ok(ExitCode::SUCCESS);
    }
    let u = &recs.context_used;
    if lang == Lang::Zh {
        use leadcast::domain::zh;
        println!(
            "所用情境：{}阶段，{}，{}，{} —— 本阶段基线推进率 {}",
            u.stage.name_zh(),
            u.persona.as_deref().map_or("角色不限", zh::persona),
            u.industry.as_deref().map_or_else(|| "行业不限".to_string(), zh::industry),
            u.objection.map_or_else(|| "无异议".to_string(), |o| format!("{}异议", o.name_zh())),
            pct(recs.baseline)
        );
    } else {
        println!(
            "context used: stage {}, persona {}, industry {}, objection {} — stage baseline {}",
            u.stage,
            u.persona.as_deref().unwrap_or("(any)"),
            u.industry.as_deref().unwrap_or("(any)"),
            u.objection.map(|o| o.to_string()).unwrap_or_else(|| "(none)".into()),
            pct(recs.baseline)
        );
    }
    for r in &recs.recommendations {
        let (i, lo, hi, up) = (pct(r.expected_advance), pct(r.interval[0]), pct(r.interval[1]), 100.0 * r.uplift);
        if lang == Lang::Zh {
            let flag = if r.language_fallback { "（无中文文本，以英文显示）" } else { "" };
            println!(
                "{}. {} {}{flag}\n   预计推进率 {i} [{lo}, {hi}]，比本阶段常规做法 {up:+.1} 个百分点；本情境 {} 次接触（该话术共 {} 次）",
                r.rank, r.talk_track_id, r.title, r.evidence, r.evidence_track
            );
        } else {
            let flag = if r.language_fallback {
                format!(" [shown in {}: no {} text]", r.language.as_str(), lang.as_str())
            } else {
                String::new()
            };
            println!(
                "{}. {} {}{flag}\n   expected advance {i} [{lo}, {hi}], uplift {up:+.1} pp, evidence {} touches here ({} in all)",
                r.rank, r.talk_track_id, r.title, r.evidence, r.evidence_track
            );
        }
        println!("   {}", r.script);
        println!("   {}", r.why);
    }
    println!("decision_id: {} (propensity {:.3})", recs.decision_id, recs.decision.propensity);
    Ok(ExitCode::SUCCESS)
}

/// Batch: `stage,persona,industry,objection` in, ranked tracks out.
fn batch(
    model: &TalkTrackModel,
    (input, opts): (&Path, &leadcast::data::raw::ReadOptions),
    output: &Path,
    k: usize,
    lang: Lang,
    bom: bool,
) -> Result<ExitCode> {
    // Like every table the CLI reads: separator sniffed, CSV, Parquet or spreadsheet, ragged
    // rows named.
    let t = leadcast::data::raw::open(input, opts).map_err(|p| anyhow::anyhow!("{}", p.located()))?;
    let col = |n: &str| t.column_index(n);
    let Some(cs) = col("stage") else {
        bail!("{}: no column \"stage\" (expected columns stage,persona,industry,objection)", input.display());
    };
    let (cp, ci, co) = (col("persona"), col("industry"), col("objection"));
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for item in t.rows {
        let raw = item.map_err(|p| anyhow::anyhow!("{}", p.located()))?;
        let (row, rec) = (raw.row, raw.fields);
        let f = |c: Option<usize>| c.and_then(|i| rec.get(i)).unwrap_or("").trim().to_string();
        let opt = |s: String| (!s.is_empty()).then_some(s);
        let ctx = ContextIn { stage: f(Some(cs)), persona: opt(f(cp)), industry: opt(f(ci)), objection: opt(f(co)) };
        match model.resolve(&ctx) {
            Err(e) => errors.push(format!("error: {}, row {row}: {e}", input.display())),
            Ok(res) => {
                for fb in &res.fallbacks {
                    warnings.push(format!("warning: {}, row {row}: {}", input.display(), fb.message));
                }
                rows.push((ctx, model.rank(&res.used)));
            }
        }
    }
    for w in warnings.iter().take(20) {
        eprintln!("{w}");
    }
    if warnings.len() > 20 {
        eprintln!("… and {} more warnings", warnings.len() - 20);
    }
    if !errors.is_empty() {
        for e in errors.iter().take(20) {
            eprintln!("{e}");
        }
        bail!(
            "{} row(s) of {} could not be answered; nothing was written (stages are {})",
            errors.len(),
            input.display(),
            Stage::expected()
        );
    }
    // Written whole (a temporary file renamed into place).
    let header =
        ["stage", "persona", "industry", "objection", "rank", "talk_track_id", "expected_advance", "lo", "hi", "title"];
    let mut out: Vec<Vec<String>> = Vec::new();
    for (ctx, ranked) in &rows {
        for (i, s) in ranked.iter().take(k).enumerate() {
            let t = &model.tracks[s.track];
            // In --lang, or in the other language when the catalog has no title in it.
            let (want, other) = match lang {
                Lang::Zh => (&t.title_zh, &t.title_en),
                Lang::En => (&t.title_en, &t.title_zh),
            };
            let title = if want.is_empty() { other } else { want };
            out.push(vec![
                ctx.stage.clone(),
                ctx.persona.clone().unwrap_or_default(),
                ctx.industry.clone().unwrap_or_default(),
                ctx.objection.clone().unwrap_or_default(),
                (i + 1).to_string(),
                t.id.clone(),
                format!("{:.6}", s.mean),
                format!("{:.6}", s.lo),
                format!("{:.6}", s.hi),
                title.to_string(),
            ]);
        }
    }
    let n = out.len();
    // The error names the file.
    leadcast::data::write::write_csv_with(output, &header, out.into_iter(), bom)?;
    println!("wrote {} ({} contexts, {n} rows; {} with a fallback)", output.display(), rows.len(), warnings.len());
    Ok(ExitCode::SUCCESS)
}
