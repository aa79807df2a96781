//! `leadcast analytics <report>`: load and check a data directory, run one analysis of
//! `leadcast::analytics`, and print it as an aligned table, JSON (the same shape the HTTP API
//! returns) or CSV (the report's main table, full-precision numbers, amounts to the cent).

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use leadcast::analytics::segment_zh;
use leadcast::analytics::{
    Analytics, CollectionRow, FunnelGroup, GroupBy, SortSpec, Sortable, StageRow, TeamRow, sort_rows,
};
use leadcast::data;
use leadcast::domain::zh;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Report {
    /// Stage-to-stage conversion and median days in stage.
    Funnel,
    /// Channel effectiveness per lead source (评估渠道引流效能).
    Channels,
    /// Team efficiency per team or rep (团队效能对比).
    Teams,
    /// The rep scorecard with team medians (绩效考核表).
    Scorecard,
    /// ABC classes and RFM segments per account.
    Tiers,
    /// Receivables ageing, DSO and collection rate per team (回款).
    Collections,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum By {
    Source,
    Team,
    Rep,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Args)]
pub struct AnalyticsArgs {
    /// Which analysis.
    #[arg(value_enum)]
    pub report: Report,
    /// The data directory (contract tables).
    #[arg(long)]
    pub data: PathBuf,
    /// A quarter (2026Q3) or a month (2026-07); default: the last whole quarter of the data.
    #[arg(long)]
    pub period: Option<String>,
    /// Breakdown: funnel by source, team or rep; teams by team (default) or rep.
    #[arg(long, value_enum)]
    pub by: Option<By>,
    /// Sort rows by a column: COL (numbers descending, text ascending), COL:asc or COL:desc.
    #[arg(long)]
    pub sort: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// zh or en: the language of a table's titles, column names, channels, segments and totals
    /// (JSON and CSV keep the API's keys).
    #[arg(long, default_value = "en")]
    pub lang: String,
    /// With --format csv: start with a UTF-8 byte-order mark, so that Excel opens the saved
    /// output as UTF-8 (without one, Excel on a Chinese Windows reads it as GBK).
    #[arg(long)]
    pub bom: bool,
}

/// `--bom` comes with `--format csv` only: a mark before a table or JSON would be a stray
/// character, and silently dropping the flag would hide a typo in the command.
pub fn check_bom(bom: bool, csv: bool) -> Result<()> {
    if bom && !csv {
        bail!("--bom is for --format csv (it marks a CSV as UTF-8 for Excel)");
    }
    Ok(())
}

/// One cell of an output table: kept typed so table and CSV can format it differently.
enum Cell {
    Text(String),
    Int(u64),
    Money(f64),
    Ratio(Option<f64>),
    Num(Option<f64>),
}

struct Grid {
    title: String,
    headers: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

impl Cell {
    fn csv(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            // To the cent: sums of amounts carry binary noise (106272.76999999999).
            Cell::Money(x) => format!("{}", (x * 100.0).round() / 100.0),
            Cell::Ratio(x) | Cell::Num(x) => x.map(|v| format!("{v}")).unwrap_or_default(),
        }
    }

    fn table(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Money(x) => super::text::thousands(*x),
            Cell::Ratio(x) => x.map_or("–".into(), |v| format!("{:.1}%", v * 100.0)),
            Cell::Num(x) => x.map_or("–".into(), |v| format!("{v:.1}")),
        }
    }

    fn right_aligned(&self) -> bool {
        !matches!(self, Cell::Text(_))
    }
}

fn print_table(out: &mut impl Write, g: &Grid) -> std::io::Result<()> {
    if !g.title.is_empty() {
        writeln!(out, "{}", g.title)?;
    }
    let cells: Vec<Vec<String>> = g.rows.iter().map(|r| r.iter().map(Cell::table).collect()).collect();
    use super::text::width;
    let mut w: Vec<usize> = g.headers.iter().map(|h| width(h)).collect();
    for r in &cells {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(width(c));
        }
    }
    let line = |vals: &[String], right: &dyn Fn(usize) -> bool| -> String {
        let parts: Vec<String> = vals
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let pad = " ".repeat(w[i] - width(v));
                if right(i) { format!("{pad}{v}") } else { format!("{v}{pad}") }
            })
            .collect();
        parts.join("  ").trim_end().to_string()
    };
    let right_col = |i: usize| g.rows.first().is_some_and(|r| r[i].right_aligned());
    writeln!(out, "{}", line(&g.headers, &right_col))?;
    for (r, raw) in cells.iter().zip(&g.rows) {
        writeln!(out, "{}", line(r, &|i| raw[i].right_aligned()))?;
    }
    Ok(())
}

fn print_csv(out: impl Write, g: &Grid) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(&g.headers)?;
    for r in &g.rows {
        w.write_record(r.iter().map(Cell::csv))?;
    }
    w.flush()?;
    Ok(())
}

/// `bom`: start a CSV with a UTF-8 byte-order mark (checked to come with `--format csv`).
/// `zh`: the report whose tables are shown in Chinese (checked to come with a table).
fn emit(format: Format, bom: bool, zh: Option<Report>, json: &impl serde::Serialize, grids: Vec<Grid>) -> Result<()> {
    let grids: Vec<Grid> = match zh {
        Some(report) => grids.into_iter().map(|g| grid_zh(report, g)).collect(),
        None => grids,
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if bom {
        out.write_all(leadcast::data::write::BOM.as_bytes())?;
    }
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, json).context("writing JSON")?;
            writeln!(out)?;
        }
        Format::Csv => print_csv(&mut out, &grids[0])?,
        Format::Table => {
            for (i, g) in grids.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                print_table(&mut out, g)?;
            }
        }
    }
    Ok(())
}

fn sorted<T: Sortable>(rows: &mut [T], sort: &Option<SortSpec>) -> Result<()> {
    if let Some(s) = sort {
        sort_rows(rows, s).context("--sort")?;
    }
    Ok(())
}

fn funnel_rows(group: &str, stages: &[StageRow], rows: &mut Vec<Vec<Cell>>) {
    for s in stages {
        rows.push(vec![
            text(group),
            text(s.stage.as_str()),
            text(s.stage.name_zh()),
            Cell::Int(s.entered),
            s.advanced.map_or(text(""), Cell::Int),
            s.lost.map_or(text(""), Cell::Int),
            Cell::Ratio(s.conversion),
            Cell::Num(s.median_days),
            Cell::Int(s.left),
        ]);
    }
}

/// Teams or reps: by team the key is the team (no name, one team column); by rep the rep's
/// ID, name and team, without the count of reps (always 1).
fn team_grid(title: String, rows: &[TeamRow], total: &TeamRow, by_rep: bool) -> Grid {
    let mut headers = if by_rep { vec!["rep", "name", "team"] } else { vec!["team", "reps"] };
    headers.extend([
        "quota",
        "bookings",
        "attainment",
        "won",
        "lost",
        "win_rate",
        "median_cycle_days",
        "open_deals",
        "open_pipeline",
        "stale_pipeline",
        "remaining_quota",
        "pipeline_coverage",
    ]);
    let row = |r: &TeamRow| {
        let mut cells = if by_rep {
            vec![text(&r.key), text(r.name.as_deref().unwrap_or("")), text(&r.team)]
        } else {
            vec![text(&r.key), Cell::Int(r.reps)]
        };
        cells.extend([
            r.quota.map_or(text(""), Cell::Money),
            Cell::Money(r.bookings),
            Cell::Ratio(r.attainment),
            Cell::Int(r.won),
            Cell::Int(r.lost),
            Cell::Ratio(r.win_rate),
            Cell::Num(r.median_cycle_days),
            Cell::Int(r.open_deals),
            Cell::Money(r.open_pipeline),
            r.stale_pipeline.map_or(text(""), Cell::Money),
            r.remaining_quota.map_or(text(""), Cell::Money),
            Cell::Num(r.pipeline_coverage),
        ]);
        cells
    };
    let mut out: Vec<Vec<Cell>> = rows.iter().map(row).collect();
    let mut last = row(total);
    if by_rep {
        last[2] = text(""); // the total is of every team
    }
    out.push(last);
    Grid { title, headers: headers.iter().map(|s| s.to_string()).collect(), rows: out }
}

fn collection_grid(title: String, rows: &[CollectionRow], total: &CollectionRow) -> Grid {
    let mut headers: Vec<String> = vec!["team".into(), "outstanding_invoices".into(), "receivables".into()];
    headers.extend(total.ageing.iter().map(|b| b.bucket.clone()));
    headers.extend(
        [
            "overdue",
            "overdue_share",
            "invoiced",
            "receivables_at_end",
            "dso",
            "due",
            "collected_of_due",
            "collection_rate",
            "cash_collected",
        ]
        .map(String::from),
    );
    let row = |r: &CollectionRow| {
        let mut v = vec![text(&r.team), Cell::Int(r.outstanding_invoices), Cell::Money(r.receivables)];
        v.extend(r.ageing.iter().map(|b| Cell::Money(b.amount)));
        v.extend([
            Cell::Money(r.overdue),
            Cell::Ratio(r.overdue_share),
            Cell::Money(r.invoiced),
            Cell::Money(r.receivables_at_end),
            Cell::Num(r.dso),
            Cell::Money(r.due),
            Cell::Money(r.collected_of_due),
            Cell::Ratio(r.collection_rate),
            Cell::Money(r.cash_collected),
        ]);
        v
    };
    let mut out: Vec<Vec<Cell>> = rows.iter().map(row).collect();
    out.push(row(total));
    Grid { title, headers, rows: out }
}

fn window_line(name: &str, w: &leadcast::analytics::Window) -> String {
    let partial = if w.partial { ", to date" } else { "" };
    format!("{name} — {} ({} to {}{partial}; data as of {})", w.period, w.start, w.end, w.as_of)
}

/// Runs `leadcast analytics`.
pub fn run(a: AnalyticsArgs) -> Result<ExitCode> {
    let sort: Option<SortSpec> = a.sort.as_deref().map(str::parse).transpose().context("--sort")?;
    let by = a.by.map(GroupBy::from);
    let allowed: &[By] = match a.report {
        Report::Funnel => &[By::Source, By::Team, By::Rep],
        Report::Teams => &[By::Team, By::Rep],
        Report::Channels => &[By::Source],
        Report::Scorecard => &[By::Rep],
        Report::Collections => &[By::Team],
        Report::Tiers => &[],
    };
    if let Some(b) = a.by.filter(|b| !allowed.contains(b)) {
        let ok: Vec<&str> = allowed.iter().map(|x| GroupBy::from(*x).as_str()).collect();
        bail!(
            "--by {} does not apply to `analytics {}` (it takes {})",
            GroupBy::from(b).as_str(),
            report_name(a.report),
            if ok.is_empty() { "no --by".to_string() } else { format!("--by {}", ok.join(" or ")) }
        );
    }
    check_bom(a.bom, a.format == Format::Csv)?;
    let zh = super::text::chinese_table(&a.lang, a.format == Format::Table)?;
    if a.report == Report::Funnel && sort.is_some() {
        bail!(
            "--sort does not apply to the funnel (its rows follow the stages); it sorts channels, teams, scorecard, tiers and collections"
        );
    }

    let checked = data::check_dir(&a.data, None);
    if checked.problems.has_errors() {
        for l in checked.problems.summarize(10) {
            eprintln!("{l}");
        }
        bail!(
            "{} has {} error(s); no analytics computed (run `leadcast validate --data {}` for the full list)",
            a.data.display(),
            checked.problems.error_count(),
            a.data.display()
        );
    }
    let ds = checked.dataset;
    let an = Analytics::new(&ds).with_context(|| format!("analysing {}", a.data.display()))?;
    let period = an.period(a.period.as_deref()).context("--period")?;

    match a.report {
        Report::Funnel => {
            let f = an.funnel(period, by);
            let headers =
                ["group", "stage", "阶段", "entered", "advanced", "lost", "conversion", "median_days", "left"];
            let mut rows = Vec::new();
            funnel_rows("all", &f.overall, &mut rows);
            for FunnelGroup { key, stages } in &f.groups {
                funnel_rows(key, stages, &mut rows);
            }
            let by_words = |b: GroupBy| match (zh, b) {
                (false, b) => format!(", by {}", b.as_str()),
                (true, GroupBy::Source) => "，按渠道".into(),
                (true, GroupBy::Team) => "，按团队".into(),
                (true, GroupBy::Rep) => "，按销售".into(),
            };
            let title = window_title(zh, a.report, &f.window) + &by.map_or(String::new(), by_words);
            let g = Grid { title, headers: headers.map(String::from).to_vec(), rows };
            emit(a.format, a.bom, zh.then_some(a.report), &f, vec![g])?;
        }
        Report::Channels => {
            let mut c = an.channels(period);
            sorted(&mut c.rows, &sort)?;
            let headers = [
                "source",
                "leads",
                "converted",
                "conversion",
                "opportunities",
                "won_deals",
                "lost_deals",
                "win_rate",
                "won_revenue",
                "revenue_per_lead",
                "average_deal",
                "median_days_to_close",
            ];
            let rows = c
                .rows
                .iter()
                .chain(std::iter::once(&c.total))
                .map(|r| {
                    vec![
                        text(&r.source),
                        Cell::Int(r.leads),
                        Cell::Int(r.converted),
                        Cell::Ratio(r.conversion),
                        Cell::Int(r.opportunities),
                        Cell::Int(r.won_deals),
                        Cell::Int(r.lost_deals),
                        Cell::Ratio(r.win_rate),
                        Cell::Money(r.won_revenue),
                        r.revenue_per_lead.map_or(text(""), Cell::Money),
                        r.average_deal.map_or(text(""), Cell::Money),
                        Cell::Num(r.median_days_to_close),
                    ]
                })
                .collect();
            let g = Grid {
                title: window_title(zh, a.report, &c.window),
                headers: headers.map(String::from).to_vec(),
                rows,
            };
            emit(a.format, a.bom, zh.then_some(a.report), &c, vec![g])?;
        }
        Report::Teams => {
            let mut t = an.teams(period);
            sorted(&mut t.teams, &sort)?;
            sorted(&mut t.reps, &sort)?;
            let title = if zh {
                format!("{}；在途商机取 {} 开始时的快照", window_title(zh, a.report, &t.window), t.snapshot)
            } else {
                format!("{}; pipeline at the start of {}", window_line("teams", &t.window), t.snapshot)
            };
            let g = if by == Some(GroupBy::Rep) {
                team_grid(title, &t.reps, &t.total, true)
            } else {
                team_grid(title, &t.teams, &t.total, false)
            };
            emit(a.format, a.bom, zh.then_some(a.report), &t, vec![g])?;
        }
        Report::Scorecard => {
            let mut s = an.scorecard(period);
            sorted(&mut s.rows, &sort)?;
            let figures = leadcast::analytics::SCORECARD_FIGURES;
            let mut headers: Vec<String> = vec!["rep".into(), "name".into(), "team".into()];
            let combined = a.format == Format::Table;
            for &f in figures {
                headers.push(f.to_string());
                if !combined {
                    headers.push(format!("{f}_team_median"));
                }
            }
            let cell = |f: &str, v: Option<f64>| -> Cell {
                match f {
                    "completion" | "growth" => Cell::Ratio(v),
                    "quota" | "bookings" | "previous_bookings" => v.map_or(text(""), Cell::Money),
                    "orders_per_week" => Cell::Num(v),
                    _ => v.map_or(text(""), |x| Cell::Int(x as u64)),
                }
            };
            let rows = s
                .rows
                .iter()
                .map(|r| {
                    let mut v = vec![text(&r.rep_id), text(&r.name), text(&r.team)];
                    for &f in figures {
                        let mine = cell(f, r.figures.get(f));
                        let med = r.team_median.get(f);
                        if combined {
                            let m = match f {
                                "completion" | "growth" => Cell::Ratio(med),
                                "quota" | "bookings" | "previous_bookings" => med.map_or(text("–"), Cell::Money),
                                _ => Cell::Num(med),
                            };
                            v.push(Cell::Text(format!("{} ({})", mine.table(), m.table())));
                        } else {
                            v.push(mine);
                            v.push(Cell::Num(med));
                        }
                    }
                    v
                })
                .collect();
            let title = if zh {
                format!("{}；括号内为团队中位数；上期 {}", window_title(zh, a.report, &s.window), s.previous_period)
            } else {
                format!(
                    "{}; each figure with the team median in brackets; previous period {}",
                    window_line("scorecard", &s.window),
                    s.previous_period
                )
            };
            emit(a.format, a.bom, zh.then_some(a.report), &s, vec![Grid { title, headers, rows }])?;
        }
        Report::Tiers => {
            let mut t = an.tiers(period);
            sorted(&mut t.accounts, &sort)?;
            let headers = [
                "account",
                "revenue",
                "share",
                "cumulative_share",
                "class",
                "frequency",
                "last_purchase",
                "recency_days",
                "r",
                "f",
                "m",
                "segment",
                "paid",
                "outstanding",
            ];
            let limit = if a.format == Format::Table { 20 } else { usize::MAX };
            let rows = t
                .accounts
                .iter()
                .take(limit)
                .map(|x| {
                    vec![
                        text(&x.account_id),
                        Cell::Money(x.revenue),
                        Cell::Ratio(x.share),
                        Cell::Ratio(x.cumulative_share),
                        text(x.class.as_str()),
                        Cell::Int(x.frequency),
                        text(&x.last_purchase),
                        Cell::Int(x.recency_days.max(0) as u64),
                        Cell::Int(x.r as u64),
                        Cell::Int(x.f as u64),
                        Cell::Int(x.m as u64),
                        text(&x.segment),
                        x.paid.map_or(text(""), Cell::Money),
                        x.outstanding.map_or(text(""), Cell::Money),
                    ]
                })
                .collect();
            let more = t.accounts.len().saturating_sub(limit);
            let accounts_title = match (more > 0, zh) {
                (true, false) => format!("accounts (first 20 of {}; --format csv for all)", t.accounts.len()),
                (true, true) => format!("客户（前 20 个，共 {} 个；--format csv 输出全部）", t.accounts.len()),
                (false, false) => "accounts".to_string(),
                (false, true) => "客户".to_string(),
            };
            let accounts = Grid { title: accounts_title, headers: headers.map(String::from).to_vec(), rows };
            let classes = Grid {
                title: if zh {
                    format!(
                        "{}；收入截至 {}（A：贡献 80% 收入的头部客户，B：其后 15%，C：其余）",
                        window_title(zh, a.report, &t.window),
                        t.reference
                    )
                } else {
                    format!(
                        "{}; revenue to {} (A: top accounts making 80% of revenue, B: the next 15%, C: the rest)",
                        window_line("tiers", &t.window),
                        t.reference
                    )
                },
                headers: ["class", "accounts", "share_of_accounts", "revenue", "share_of_revenue"]
                    .map(String::from)
                    .to_vec(),
                rows: t
                    .classes
                    .iter()
                    .map(|c| {
                        vec![
                            text(c.class.as_str()),
                            Cell::Int(c.accounts),
                            Cell::Ratio(c.share_of_accounts),
                            Cell::Money(c.revenue),
                            Cell::Ratio(c.share_of_revenue),
                        ]
                    })
                    .collect(),
            };
            let segments = Grid {
                title: if zh { "RFM 分群".into() } else { "RFM segments".into() },
                headers: ["segment", "accounts", "revenue"].map(String::from).to_vec(),
                rows: t
                    .segments
                    .iter()
                    .map(|s| vec![text(&s.segment), Cell::Int(s.accounts), Cell::Money(s.revenue)])
                    .collect(),
            };
            emit(
                a.format,
                a.bom,
                zh.then_some(a.report),
                &t,
                accounts_grid_first(a.format, accounts, classes, segments),
            )?;
        }
        Report::Collections => {
            let mut c = an.collections(period);
            if !c.available {
                match a.format {
                    Format::Json => emit(a.format, a.bom, None, &c, vec![])?,
                    _ if zh => println!("没有回款数据（数据目录中无 payments 表）"),
                    _ => println!("{}", c.message.as_deref().unwrap_or("no payments table")),
                }
                return Ok(ExitCode::SUCCESS);
            }
            sorted(&mut c.teams, &sort)?;
            let title = if zh {
                format!("{}；账龄截至 {}", window_title(zh, a.report, &c.window), c.window.as_of)
            } else {
                format!("{}; ageing as of {}", window_line("collections", &c.window), c.window.as_of)
            };
            let g = match &c.total {
                Some(total) => collection_grid(title, &c.teams, total),
                None => Grid { title, headers: vec![], rows: vec![] },
            };
            emit(a.format, a.bom, zh.then_some(a.report), &c, vec![g])?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// CSV prints the first grid only: the accounts; a table shows the summaries first.
fn accounts_grid_first(format: Format, accounts: Grid, classes: Grid, segments: Grid) -> Vec<Grid> {
    if format == Format::Table { vec![classes, segments, accounts] } else { vec![accounts, classes, segments] }
}

/// A table's column name in Chinese (the English key when there is none: `r`, `f`, `m`, the
/// ageing buckets). `report` tells the two meanings of `lost` apart.
fn header_zh(report: Report, h: &str) -> &str {
    match h {
        "lost" if report == Report::Funnel => "流失",
        "group" => "分组",
        "阶段" => "阶段",
        "entered" => "进入",
        "advanced" => "推进",
        "lost" => "输单",
        "conversion" => "转化率",
        "median_days" => "停留天数中位数",
        "left" => "离开",
        "source" => "渠道",
        "leads" => "线索数",
        "converted" => "转化数",
        "opportunities" => "商机数",
        "won_deals" => "赢单数",
        "lost_deals" => "输单数",
        "win_rate" => "赢率",
        "won_revenue" => "赢单金额",
        "revenue_per_lead" => "单线索收入",
        "average_deal" => "平均单额",
        "median_days_to_close" => "成交天数中位数",
        "team" => "团队",
        "reps" => "人数",
        "rep" => "销售",
        "name" => "姓名",
        "quota" => "目标",
        "bookings" => "业绩",
        "attainment" => "达成率",
        "won" => "赢单",
        "median_cycle_days" => "成交周期中位数",
        "open_deals" => "在途商机",
        "open_pipeline" => "在途金额",
        "stale_pipeline" => "停滞金额",
        "remaining_quota" => "剩余目标",
        "pipeline_coverage" => "管道覆盖率",
        "completion" => "完成率",
        "new_customers" => "新客户",
        "visits" => "拜访",
        "calls" => "电话",
        "orders" => "订单",
        "orders_per_week" => "周均订单",
        "previous_bookings" => "上期业绩",
        "growth" => "增长率",
        "customers_lost" => "流失客户",
        "account" => "客户",
        "revenue" => "收入",
        "share" => "占比",
        "cumulative_share" => "累计占比",
        "class" => "等级",
        "frequency" => "成交次数",
        "last_purchase" => "最近成交",
        "recency_days" => "距今天数",
        "segment" => "分群",
        "paid" => "已回款",
        "outstanding" => "未回款",
        "accounts" => "客户数",
        "share_of_accounts" => "客户占比",
        "share_of_revenue" => "收入占比",
        "outstanding_invoices" => "未结发票",
        "receivables" => "应收账款",
        "current" => "未到期",
        "overdue" => "逾期",
        "overdue_share" => "逾期占比",
        "invoiced" => "开票额",
        "receivables_at_end" => "期末应收",
        "dso" => "DSO",
        "due" => "到期应收",
        "collected_of_due" => "到期已收",
        "collection_rate" => "回款率",
        "cash_collected" => "回款额",
        other => other,
    }
}

/// A grid for a Chinese table: column names in Chinese, the English stage column dropped (the
/// funnel has the Chinese one beside it), and the words the data does not write — totals,
/// `all`, the simulator's channels, RFM segments — in Chinese. Names the data writes (reps,
/// teams, accounts, channels of its own) are shown as they are.
fn grid_zh(report: Report, mut g: Grid) -> Grid {
    if let Some(i) = g.headers.iter().position(|h| h == "stage") {
        g.headers.remove(i);
        g.rows.iter_mut().for_each(|r| {
            r.remove(i);
        });
    }
    for (i, h) in g.headers.iter().enumerate() {
        for r in &mut g.rows {
            if let Cell::Text(v) = &mut r[i] {
                let zh = match (i, h.as_str(), v.as_str()) {
                    (0, _, "total") => "合计",
                    (_, "group", "all") => "全部",
                    (_, "group" | "source", "(no lead)") => "（无线索）",
                    (_, "group" | "source", x) => zh::source(x),
                    (_, "segment", x) => segment_zh(x),
                    _ => continue,
                };
                *v = zh.to_string();
            }
        }
    }
    g.headers = g.headers.iter().map(|h| header_zh(report, h).to_string()).collect();
    g
}

/// A report's title line in the table's language.
fn window_title(zh: bool, report: Report, w: &leadcast::analytics::Window) -> String {
    if !zh {
        return window_line(report_name(report), w);
    }
    let name = match report {
        Report::Funnel => "销售漏斗",
        Report::Channels => "渠道引流效能",
        Report::Teams => "团队效能对比",
        Report::Scorecard => "绩效考核表",
        Report::Tiers => "客户分级",
        Report::Collections => "回款管理",
    };
    let partial = if w.partial { "，截至目前" } else { "" };
    format!("{name} — {}（{} 至 {}{partial}；数据截至 {}）", w.period, w.start, w.end, w.as_of)
}

fn report_name(r: Report) -> &'static str {
    match r {
        Report::Funnel => "funnel",
        Report::Channels => "channels",
        Report::Teams => "teams",
        Report::Scorecard => "scorecard",
        Report::Tiers => "tiers",
        Report::Collections => "collections",
    }
}

impl From<By> for GroupBy {
    fn from(b: By) -> GroupBy {
        match b {
            By::Source => GroupBy::Source,
            By::Team => GroupBy::Team,
            By::Rep => GroupBy::Rep,
        }
    }
}
