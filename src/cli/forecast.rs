//! `train forecast`, `forecast`, `quota-plan` and `backtest`: argument checks, then library
//! calls, then printing.

use super::args::{BacktestArgs, ForecastArgs, QuotaPlanArgs};
use super::progress::Progress;
use super::text;
use anyhow::{Context, Result, bail};
use leadcast::domain::Dataset;
use leadcast::forecast::{self, ForecastModel, Grain, Level, PlanLimits, backtest};
use leadcast::registry::Registry;
use leadcast::score;
use std::path::Path;
use std::process::ExitCode;

/// Loads a data directory and stops with every problem printed when it is invalid.
fn checked_data(dir: &Path) -> Result<Dataset> {
    let checked = leadcast::data::check_dir(dir, None);
    if checked.problems.has_errors() {
        for l in checked.problems.summarize(10) {
            eprintln!("{l}");
        }
        bail!(
            "{} has {} error(s); nothing was done (run `leadcast validate --data {}` for the full list)",
            dir.display(),
            checked.problems.error_count(),
            dir.display()
        );
    }
    Ok(checked.dataset)
}

/// `leadcast train forecast --data DIR --models DIR` (also the last step of `train all`).
/// Returns the saved version.
pub fn train(ds: &Dataset, dir: &Path, models: &Path) -> Result<String> {
    let registry = Registry::new(models);
    let opportunity = match registry.current("opportunity")? {
        Some(_) => Some(score::load(&registry, "opportunity").context("loading the opportunity model")?),
        None => None,
    };
    let fp = score::fingerprint(&score::table_files(dir))?;
    let mut notes = Vec::new();
    if let Some((v, _)) = &opportunity {
        let meta = registry.read_current("opportunity", "metadata.json").ok();
        let same = meta
            .and_then(|(_, b)| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|m| m["data_fingerprint"].as_str().map(|f| f == fp));
        if same == Some(false) {
            notes.push(format!(
                "the opportunity model {v} was trained on other data than {}: retrain it for consistent win probabilities",
                dir.display()
            ));
        }
    }
    let p = Progress::start("training the forecast model".to_string());
    let trained = forecast::train(ds, opportunity.as_ref().map(|(_, m)| m), backtest::WinMode::Empirical, &|s| {
        p.step(s.to_string())
    })?;
    let version = forecast::save(
        &registry,
        &trained,
        &dir.display().to_string(),
        &fp,
        opportunity.as_ref().map(|(v, _)| v.as_str()),
    )?;
    p.finish();
    let m = &trained.model;
    println!("── forecast model {version} ──");
    println!(
        "as of {}: {} reps, {} won deals in the history, {} open deals ({:.0} in pipeline); win probabilities: {}",
        m.as_of,
        m.org.len(),
        m.won.len(),
        m.open.len(),
        m.open.iter().map(|o| o.amount).sum::<f64>(),
        m.win_source
    );
    for b in &trained.backtests {
        let company = b.levels.iter().find(|l| l.level == Level::Company);
        println!(
            "{} backtest over {} origins: pipeline weight {:.2}; company WAPE {:.1}%, 80% coverage of reps {:.0}%",
            b.grain.as_str(),
            b.origins.len(),
            b.weight,
            company.map_or(0.0, |c| 100.0 * c.wape),
            b.levels.iter().find(|l| l.level == Level::Rep).map_or(0.0, |c| 100.0 * c.coverage80)
        );
    }
    for n in notes.iter().chain(&trained.notes) {
        println!("note: {n}");
    }
    let (first, last) = m.periods(Grain::Quarter);
    println!("forecasts cover {first} through {last} (or the months in them)");
    println!("files: {}", models.join("forecast").join(&version).display());
    Ok(version)
}

/// `train forecast` on its own.
pub fn train_cmd(dir: &Path, models: &Path) -> Result<ExitCode> {
    let ds = checked_data(dir)?;
    train(&ds, dir, models)?;
    Ok(ExitCode::SUCCESS)
}

/// A library error as one line: the cause, then what to do.
fn hint<T>(r: leadcast::Result<T>, hint: &str) -> Result<T> {
    r.map_err(|e| anyhow::anyhow!("{e}\nhint: {hint}"))
}

fn load(models: &Path) -> Result<ForecastModel> {
    // The registry's error already says how to train one.
    Ok(ForecastModel::load(&Registry::new(models))?)
}

/// A group's key as tables show it: a rep's with their name (`R001 王伟`), others as they are.
fn rep_label(m: &ForecastModel, level: Level, key: &str) -> String {
    m.rep_name(level, key).map_or_else(|| key.to_string(), |name| format!("{key} {name}"))
}

fn fmt_opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x:.digits$}"))
}

pub fn forecast(a: ForecastArgs) -> Result<ExitCode> {
    let by: Level = a.by.as_deref().unwrap_or("company").parse()?;
    let format = a.format.as_str();
    if !matches!(format, "table" | "json" | "csv") {
        bail!("--format must be table, json or csv, got {format:?}");
    }
    super::analytics::check_bom(a.bom, format == "csv")?;
    let zh = text::chinese_table(&a.lang, format == "table")?;
    let m = load(&a.models)?;
    // The error names the periods there are.
    let period = m.period(&a.period)?;
    let sim = m.simulate(period, &m.open)?;
    let mut rev = m.revenue_rows(&sim, by);
    let mut quota = (by != Level::Product).then(|| m.quota_rows(&sim, by));
    if let Some(k) = &a.key {
        // A rep by ID or by name; two reps of one name are both shown, each with its ID.
        let k = k.trim();
        rev.rows.retain(|r| r.answers_to(k));
        if let Some(q) = quota.as_mut() {
            q.rows.retain(|r| r.answers_to(k));
        }
        if rev.rows.is_empty() {
            let keys = m.keys(by);
            let shown: Vec<String> = keys.iter().take(12).map(|key| rep_label(&m, by, key)).collect();
            let what = if by == Level::Rep { "neither a rep's ID nor a rep's name; " } else { "" };
            bail!(
                "unknown {by} {k:?} ({what}known: {}{})",
                shown.join(", "),
                if keys.len() > shown.len() { ", …" } else { "" }
            );
        }
    }
    let quota_cols = quota.as_ref().is_some_and(|q| q.rows.iter().any(|r| r.quota.is_some()));
    match format {
        "json" => {
            let mut v = serde_json::to_value(&rev)?;
            if let Some(q) = &quota {
                for (row, qr) in v["rows"].as_array_mut().into_iter().flatten().zip(&q.rows) {
                    let qv = serde_json::to_value(qr)?;
                    for f in ["quota", "expected_attainment", "p_attain", "gap", "coverage_needed", "coverage"] {
                        row[f] = qv[f].clone();
                    }
                }
                v["notes"] = serde_json::to_value(&q.notes)?;
            }
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        "csv" => {
            // By rep, the rep's name beside the key.
            let names = by == Level::Rep;
            let mut out = String::from(if a.bom { leadcast::data::write::BOM } else { "" });
            out.push_str(if names { "period,key,name" } else { "period,key" });
            out.push_str(",closed_to_date,p10,p50,p90,mean,pipeline");
            if quota_cols {
                out.push_str(",quota,expected_attainment,p_attain,gap,coverage_needed");
            }
            out.push_str(",method\n");
            for (i, r) in rev.rows.iter().enumerate() {
                out.push_str(&format!("{},{}", rev.period, csv_field(&r.key)));
                if names {
                    out.push_str(&format!(",{}", csv_field(r.name.as_deref().unwrap_or(""))));
                }
                out.push_str(&format!(
                    ",{:.2},{:.2},{:.2},{:.2},{:.2},{:.2}",
                    r.closed_to_date, r.p10, r.p50, r.p90, r.mean, r.pipeline
                ));
                if let (true, Some(q)) = (quota_cols, quota.as_ref().and_then(|q| q.rows.get(i))) {
                    out.push_str(&format!(
                        ",{},{},{},{},{}",
                        q.quota.map_or(String::new(), |x| format!("{x:.2}")),
                        q.expected_attainment.map_or(String::new(), |x| format!("{x:.4}")),
                        q.p_attain.map_or(String::new(), |x| format!("{x:.4}")),
                        q.gap.map_or(String::new(), |x| format!("{x:.2}")),
                        q.coverage_needed.map_or(String::new(), |x| format!("{x:.4}")),
                    ));
                }
                out.push_str(&format!(",{}\n", csv_field(&r.method)));
            }
            print!("{out}");
        }
        _ => {
            let level = if zh { by.name_zh() } else { by.as_str() };
            if zh {
                println!("{} 业绩预测（按{level}），数据截至 {}（{} 次模拟）", rev.period, rev.as_of, rev.draws);
            } else {
                println!("revenue forecast for {} by {by}, as of {} ({} draws)", rev.period, rev.as_of, rev.draws);
            }
            if let Some(r) = rev.rows.first() {
                println!("{}{}", if zh { "方法：" } else { "method: " }, r.method);
            }
            // Reps by ID and name (`R001 王伟`): managers know their reps by name.
            let labels: Vec<String> = rev
                .rows
                .iter()
                .map(|r| match (zh, by, r.key.as_str()) {
                    (true, Level::Company, "total") => "合计".to_string(),
                    _ => rep_label(&m, by, &r.key),
                })
                .collect();
            let key_width = text::column_width(14, level, labels.iter().map(String::as_str));
            let mut columns = vec![
                Column::new(13, "closed", "已成交"),
                Column::new(13, "P10", "P10"),
                Column::new(13, "P50", "P50"),
                Column::new(13, "P90", "P90"),
                Column::new(13, "pipeline", "在途金额"),
            ];
            if quota_cols {
                columns.extend([
                    Column::new(13, "quota", "目标"),
                    Column::new(7, "attain", "达成率"),
                    Column::new(7, "P(≥q)", "达成概率"),
                    Column::new(12, "gap", "缺口"),
                    Column::new(9, "cov.need", "所需覆盖"),
                ]);
            }
            println!("{}", table_line(level, key_width, &columns, zh, columns.iter().map(|c| c.name(zh).to_string())));
            for (i, r) in rev.rows.iter().enumerate() {
                let mut cells: Vec<String> =
                    [r.closed_to_date, r.p10, r.p50, r.p90, r.pipeline].iter().map(|v| format!("{v:.0}")).collect();
                if let (true, Some(q)) = (quota_cols, quota.as_ref().and_then(|q| q.rows.get(i))) {
                    cells.extend([
                        fmt_opt(q.quota, 0),
                        fmt_opt(q.expected_attainment, 2),
                        fmt_opt(q.p_attain, 2),
                        fmt_opt(q.gap, 0),
                        fmt_opt(q.coverage_needed, 2),
                    ]);
                }
                println!("{}", table_line(&labels[i], key_width, &columns, zh, cells));
            }
            let notes = quota.as_ref().map_or(&rev.notes, |q| &q.notes);
            print_notes(notes, zh);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A right-aligned column of a printed table, named in English and in Chinese.
struct Column {
    /// The width in terminal columns: at least the English table's, and room for the name.
    width: usize,
    en: &'static str,
    zh: &'static str,
}

impl Column {
    fn new(width: usize, en: &'static str, zh: &'static str) -> Column {
        Column { width, en, zh }
    }

    fn name(&self, zh: bool) -> &'static str {
        if zh { self.zh } else { self.en }
    }

    fn width(&self, zh: bool) -> usize {
        self.width.max(text::width(self.name(zh)))
    }
}

/// One line of a table: the key padded to its column, then each cell right-aligned in its
/// column (widths in terminal columns, so Chinese names and headers line up).
fn table_line(
    key: &str,
    key_width: usize,
    columns: &[Column],
    zh: bool,
    cells: impl IntoIterator<Item = String>,
) -> String {
    let mut line = text::pad(key, key_width);
    for (c, v) in columns.iter().zip(cells) {
        line.push(' ');
        line.push_str(&text::right(&v, c.width(zh)));
    }
    line
}

/// The backtest's tables: accuracy per level, the company total per method, and each origin's
/// company forecast against what came; in Chinese (回测) with `zh`.
fn print_backtest(bt: &backtest::Backtest, zh: bool) {
    let t = |en: &'static str, cn: &'static str| if zh { cn } else { en };
    let grain = match (bt.grain, zh) {
        (Grain::Month, true) => "个月",
        (Grain::Quarter, true) => "个季度",
        (g, false) => g.as_str(),
    };
    let source = match (bt.win_source.as_str(), zh) {
        ("opportunity model", true) => "商机模型",
        ("empirical win rates by stage and age", true) => "按阶段和在途时长的经验赢单率",
        (s, _) => s,
    };
    if zh {
        println!(
            "回测：{} {grain}（赢单概率：{source}）；在所有起点上学得的商机管道权重：{:.2}",
            bt.origins.len(),
            bt.weight
        );
    } else {
        println!(
            "backtest of {} {grain}s (win probabilities: {source}); pipeline weight learned on all origins: {:.2}",
            bt.origins.len(),
            bt.weight
        );
    }
    // A row of cells: the first ones left-aligned in the `left` widths, the rest right-aligned
    // in the `right` ones (widths in terminal columns, so Chinese headers line up).
    let line = |left: &[usize], cells: &[String], right: &[usize]| {
        let lefts = cells.iter().zip(left).map(|(c, w)| text::pad(c, *w));
        let rights = cells[left.len()..].iter().zip(right).map(|(c, w)| text::right(c, *w));
        lefts.chain(rights).collect::<Vec<_>>().join(" ")
    };
    let head =
        [t("level", "层级"), t("groups", "组数"), "WAPE", t("bias", "偏差"), t("80% coverage", "80% 区间覆盖率")];
    let widths = [8, 8, 8, text::width(head[4]).max(13)];
    println!("{}", line(&[10], &head.map(String::from), &widths));
    for l in &bt.levels {
        let level = if zh { l.level.name_zh() } else { l.level.as_str() };
        let cells = [
            level.to_string(),
            l.groups.to_string(),
            format!("{:.1}%", 100.0 * l.wape),
            format!("{:+.1}%", 100.0 * l.bias),
            format!("{:.0}%", 100.0 * l.coverage80),
        ];
        println!("{}", line(&[10], &cells, &widths));
    }
    println!("{}", t("company total by method:", "公司合计，按方法："));
    for mm in &bt.methods {
        let method = match (mm.method.as_str(), zh) {
            ("pipeline", true) => "商机管道",
            ("series", true) => "时间序列",
            ("blend (leave-one-out weight)", true) => "融合（留一法权重）",
            (m, _) => m,
        };
        if zh {
            println!(
                "  {} WAPE {:>5.1}%，偏差 {:>+6.1}%，80% 区间覆盖率 {:>3.0}%",
                text::pad(method, 30),
                100.0 * mm.wape,
                100.0 * mm.bias,
                100.0 * mm.coverage80
            );
        } else {
            println!(
                "  {:<30} WAPE {:>5.1}%, bias {:>+6.1}%, 80% coverage {:>3.0}%",
                method,
                100.0 * mm.wape,
                100.0 * mm.bias,
                100.0 * mm.coverage80
            );
        }
    }
    let head =
        [t("origin", "起点"), t("period", "期间"), t("weight", "权重"), "P10", "P50", "P90", t("actual", "实际")];
    let widths = [6, 13, 13, 13, 13];
    println!("{}", line(&[12, 8], &head.map(String::from), &widths));
    for o in &bt.origins {
        if let Some(r) = o.rows.iter().find(|r| r.level == Level::Company) {
            let cells = [
                o.origin.to_string(),
                o.period.to_string(),
                format!("{:.2}", o.weight),
                format!("{:.0}", r.p10),
                format!("{:.0}", r.p50),
                format!("{:.0}", r.p90),
                format!("{:.0}", r.actual),
            ];
            println!("{}", line(&[12, 8], &cells, &widths));
        }
    }
    print_notes(&bt.notes, zh);
}

/// A forecast's notes, each on a line of its own, in the table's language.
fn print_notes(notes: &[forecast::Note], zh: bool) {
    for n in notes {
        if zh {
            println!("注：{}", n.zh);
        } else {
            println!("note: {}", n.en);
        }
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

pub fn quota_plan(a: QuotaPlanArgs) -> Result<ExitCode> {
    if !matches!(a.format.as_str(), "table" | "json" | "csv") {
        bail!("--format must be table, json or csv, got {:?}", a.format);
    }
    super::analytics::check_bom(a.bom, a.format == "csv")?;
    let zh = text::chinese_table(&a.lang, a.format == "table")?;
    let m = load(&a.models)?;
    let limits = PlanLimits {
        region: forecast::Bound { floor: a.region_floor, cap: a.region_cap },
        team: forecast::Bound { floor: a.team_floor, cap: a.team_cap },
        rep: forecast::Bound { floor: a.rep_floor, cap: a.rep_cap },
    };
    let plan = hint(
        m.plan(&a.period, a.target, &limits),
        "check --period (from the data's current period to a year ahead) and that floors × units ≤ target ≤ caps × units",
    )?;
    match a.format.as_str() {
        "json" => println!("{}", serde_json::to_string_pretty(&plan)?),
        "csv" => {
            let mut out = String::from(if a.bom { leadcast::data::write::BOM } else { "" });
            out.push_str("level,key,name,parent,capacity,quota,p_attain\n");
            for r in &plan.rows {
                out.push_str(&format!(
                    "{},{},{},{},{:.2},{:.2},{:.4}\n",
                    r.level,
                    csv_field(&r.key),
                    csv_field(r.name.as_deref().unwrap_or("")),
                    csv_field(r.parent.as_deref().unwrap_or("")),
                    r.capacity,
                    r.quota,
                    r.p_attain
                ));
            }
            print!("{out}");
        }
        _ => {
            if zh {
                println!(
                    "{} 目标分解：公司目标 {:.0}，预测产能 {:.0}（数据截至 {}）；公司达成目标的概率 {:.2}",
                    plan.period, plan.target, plan.capacity, plan.as_of, plan.p_attain
                );
            } else {
                println!(
                    "quota plan for {}: target {:.0} against a forecast capacity of {:.0} (as of {}); P(company ≥ target) = {:.2}",
                    plan.period, plan.target, plan.capacity, plan.as_of, plan.p_attain
                );
            }
            let indent = |l: Level| match l {
                Level::Region => "",
                Level::Team => "  ",
                _ => "    ",
            };
            let keys: Vec<String> =
                plan.rows.iter().map(|r| format!("{}{}", indent(r.level), rep_label(&m, r.level, &r.key))).collect();
            let (level_col, key_col, parent_col) =
                if zh { ("层级", "单位", "上级") } else { ("level", "key", "parent") };
            let key_width = text::column_width(14, key_col, keys.iter().map(String::as_str));
            let parent_width =
                text::column_width(12, parent_col, plan.rows.iter().map(|r| r.parent.as_deref().unwrap_or("")));
            let columns = [
                Column::new(13, "capacity", "预测产能"),
                Column::new(13, "quota", "目标"),
                Column::new(9, "P(≥quota)", "达成概率"),
            ];
            let lead = |level: &str, key: &str, parent: &str| {
                format!("{} {} {}", text::pad(level, 8), text::pad(key, key_width), text::pad(parent, parent_width))
            };
            let head = columns.iter().map(|c| c.name(zh).to_string());
            println!("{}", table_line(&lead(level_col, key_col, parent_col), 0, &columns, zh, head));
            for (r, key) in plan.rows.iter().zip(&keys) {
                let level = if zh { r.level.name_zh() } else { r.level.as_str() };
                let cells = [format!("{:.0}", r.capacity), format!("{:.0}", r.quota), format!("{:.2}", r.p_attain)];
                let lead = lead(level, key, r.parent.as_deref().unwrap_or(""));
                println!("{}", table_line(&lead, 0, &columns, zh, cells));
            }
            print_notes(&plan.notes, zh);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn backtest(a: BacktestArgs) -> Result<ExitCode> {
    let win = match a.win.as_str() {
        "model" => backtest::WinMode::Train(score::model::ModelChoice::Auto),
        "empirical" => backtest::WinMode::Empirical,
        other => bail!("--win must be model or empirical, got {other:?}"),
    };
    let ds = checked_data(&a.data)?;
    let grain = match a.grain.as_deref() {
        Some(g) => g.parse::<Grain>()?,
        None => {
            // Under two years of bookings: months give the backtest enough origins.
            let lo = ds.opportunities.iter().filter_map(|o| o.closed_at).min();
            let hi = ds.opportunities.iter().filter_map(|o| o.closed_at).max();
            match (lo, hi) {
                (Some(lo), Some(hi)) if (hi - lo).num_days() < 730 => Grain::Month,
                _ => Grain::Quarter,
            }
        }
    };
    if a.periods == 0 {
        bail!("--periods must be at least 1");
    }
    let zh = text::chinese_table(&a.lang, true)?;
    let p = Progress::start(format!("backtesting {} {}s of {}", a.periods, grain.as_str(), a.data.display()));
    let opts = backtest::Options { periods: a.periods as usize, grain, win };
    let bt = hint(backtest::run(&ds, opts, &|s| p.step(s.to_string())), "lower --periods or use --grain month")?;
    p.finish();
    print_backtest(&bt, zh);
    if let Some(dir) = &a.report {
        let title =
            format!("leadcast forecast backtest of {} ({} {}s)", a.data.display(), bt.origins.len(), grain.as_str());
        forecast::report::write(dir, &title, &bt)
            .with_context(|| format!("writing the report to {}", dir.display()))?;
        println!("report: {}", dir.join("index.html").display());
    }
    Ok(ExitCode::SUCCESS)
}
