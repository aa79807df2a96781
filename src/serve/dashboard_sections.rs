//! The dashboard's sections, built from the analytics and forecasting libraries: the
//! forecast fan chart with the quota line, quota attainment per team with P(attain), the
//! funnel, the channel table, ABC tiers and RFM segments, and the rep table that drills down.
//! Each section says "no data" (rather than vanishing) when its source is missing.

use super::dashboard::{DataCtx, Lang, Section, TableOut, pct, t};
use super::state::AppState;
use super::svg::{self, Bar, FanPoint};
use crate::analytics::Analytics;
use crate::analytics::segment_zh;
use crate::domain::zh;
use crate::forecast::bookings::{Grain, Level};
use std::sync::Arc;

fn none(lang: Lang) -> String {
    t(lang, "暂无数据", "no data")
}

fn opt_pct(x: Option<f64>) -> String {
    x.map(pct).unwrap_or_else(|| "–".into())
}

fn opt_money(x: Option<f64>) -> String {
    x.map(svg::money).unwrap_or_else(|| "–".into())
}

fn forecast_sections(st: &AppState, lang: Lang) -> Vec<Section> {
    let models = st.models.load();
    let fan_title = t(
        lang,
        "本季度与下季度业绩预测（P10–P90，红线为目标）",
        "Bookings forecast, this and next quarter (P10–P90; red: quota)",
    );
    let att_title = t(lang, "各团队目标达成预测", "Quota attainment forecast per team");
    let Some(f) = models.forecast.as_ref() else {
        return vec![
            Section {
                id: "forecast".into(),
                title: fan_title,
                subtitle: None,
                svg: Some(svg::fan("chart-forecast", "", &[], &[], None, &none(lang))),
                table: None,
                notes: Vec::new(),
            },
            Section {
                id: "attainment".into(),
                title: att_title,
                subtitle: None,
                svg: Some(svg::bars("chart-attainment", "", &[], &none(lang))),
                table: None,
                notes: Vec::new(),
            },
        ];
    };
    let m = &f.model;
    let (current, _) = m.periods(Grain::Quarter);
    let next = current.next();
    let history: Vec<(String, f64)> = m
        .company_series(Grain::Quarter)
        .map(|(first, y)| {
            let skip = y.len().saturating_sub(12);
            y.iter().enumerate().skip(skip).map(|(i, v)| (first.offset(i as i32).to_string(), *v)).collect()
        })
        .unwrap_or_default();
    let mut points = Vec::new();
    // Each quarter's notes; one both quarters share is said once, others under their quarter.
    let mut notes: Vec<(String, Vec<String>)> = Vec::new();
    for p in [current, next] {
        if let Ok(r) = m.revenue(&p.to_string(), Level::Company)
            && let Some(row) = r.rows.first()
        {
            points.push(FanPoint { label: p.to_string(), p10: row.p10, p50: row.p50, p90: row.p90 });
            for n in &r.notes {
                let text = n.text(lang == Lang::Zh).to_string();
                match notes.iter_mut().find(|(t, _)| *t == text) {
                    Some((_, periods)) => periods.push(p.to_string()),
                    None => notes.push((text, vec![p.to_string()])),
                }
            }
        }
    }
    let all = points.len();
    let notes: Vec<String> = notes
        .into_iter()
        .map(|(text, periods)| if periods.len() == all { text } else { format!("{} · {text}", periods.join(", ")) })
        .collect();
    let company_quota =
        m.quota(&current.to_string(), Level::Company).ok().and_then(|q| q.rows.first().and_then(|r| r.quota));
    let teams = m.quota(&current.to_string(), Level::Team).map(|q| q.rows).unwrap_or_default();
    let bars: Vec<Bar> = teams
        .iter()
        .map(|r| Bar {
            label: r.key.clone(),
            value: r.p50,
            marker: r.quota,
            note: format!("{} {}", t(lang, "达成概率", "P(attain)"), opt_pct(r.p_attain)),
        })
        .collect();
    let subtitle = points.first().map(|p| {
        format!(
            "{current}: P50 {} ({} {} – {})",
            svg::money(p.p50),
            t(lang, "区间", "range"),
            svg::money(p.p10),
            svg::money(p.p90)
        )
    });
    vec![
        Section {
            id: "forecast".into(),
            title: fan_title,
            subtitle,
            svg: Some(svg::fan("chart-forecast", "forecast", &history, &points, company_quota, &none(lang))),
            table: None,
            notes,
        },
        Section {
            id: "attainment".into(),
            title: att_title,
            subtitle: Some(format!(
                "{current} · {}",
                t(lang, "蓝条为 P50 预测，红线为目标", "bar: P50 forecast; red line: quota")
            )),
            svg: Some(svg::bars("chart-attainment", "attainment", &bars, &none(lang))),
            table: Some(TableOut {
                columns: vec![
                    t(lang, "团队", "Team"),
                    t(lang, "目标", "Quota"),
                    "P10".into(),
                    "P50".into(),
                    "P90".into(),
                    t(lang, "预计达成率", "Exp. attainment"),
                    t(lang, "达成概率", "P(attain)"),
                    t(lang, "缺口", "Gap"),
                ],
                rows: teams
                    .iter()
                    .map(|r| {
                        vec![
                            r.key.clone(),
                            opt_money(r.quota),
                            svg::money(r.p10),
                            svg::money(r.p50),
                            svg::money(r.p90),
                            opt_pct(r.expected_attainment),
                            opt_pct(r.p_attain),
                            opt_money(r.gap),
                        ]
                    })
                    .collect(),
                keys: None,
            }),
            notes: Vec::new(),
        },
    ]
}

fn analytics_sections(st: &AppState, data: Option<&Arc<DataCtx>>, lang: Lang) -> Vec<Section> {
    let titles = [
        ("funnel", t(lang, "销售漏斗（线索 → 赢单）", "Funnel (lead → won)")),
        ("channels", t(lang, "渠道引流效能", "Channel effectiveness")),
        ("tiers", t(lang, "客户分层（ABC / RFM）", "Customer tiers (ABC / RFM)")),
        ("reps", t(lang, "销售绩效考核表（点击查看详情）", "Rep scorecard (click a rep for details)")),
    ];
    let an = data.and_then(|d| Analytics::new(&d.dataset).ok());
    let Some(an) = an else {
        return titles
            .into_iter()
            .map(|(id, title)| Section {
                id: id.into(),
                title,
                subtitle: None,
                svg: Some(svg::bars(&format!("chart-{id}"), "", &[], &none(lang))),
                table: None,
                notes: Vec::new(),
            })
            .collect();
    };
    let period = an.default_period();
    let sub = Some(format!("{} {period}", t(lang, "统计期", "period")));
    let funnel = an.funnel(period, None);
    let stages: Vec<(String, f64, Option<f64>)> = funnel
        .overall
        .iter()
        .map(|s| {
            (
                if lang == Lang::Zh { s.stage.name_zh().to_string() } else { s.stage.as_str().to_string() },
                s.entered as f64,
                s.conversion,
            )
        })
        .collect();
    let channels = an.channels(period);
    let tiers = an.tiers(period);
    let card = an.scorecard(period);
    let p_attain: std::collections::HashMap<String, Option<f64>> = st
        .models
        .load()
        .forecast
        .as_ref()
        .and_then(|f| {
            let (current, _) = f.model.periods(Grain::Quarter);
            f.model.quota(&current.to_string(), Level::Rep).ok()
        })
        .map(|q| q.rows.into_iter().map(|r| (r.key, r.p_attain)).collect())
        .unwrap_or_default();
    vec![
        Section {
            id: "funnel".into(),
            title: titles[0].1.clone(),
            subtitle: sub.clone(),
            svg: Some(svg::funnel("chart-funnel", "funnel", &stages, &none(lang))),
            table: None,
            notes: Vec::new(),
        },
        Section {
            id: "channels".into(),
            title: titles[1].1.clone(),
            subtitle: sub.clone(),
            svg: None,
            table: Some(TableOut {
                columns: vec![
                    t(lang, "渠道", "Source"),
                    t(lang, "线索", "Leads"),
                    t(lang, "转化率", "Conversion"),
                    t(lang, "单线索赢单额", "Won per lead"),
                    t(lang, "平均成交额", "Avg deal"),
                    t(lang, "成交周期(天)", "Days to close"),
                ],
                rows: channels
                    .rows
                    .iter()
                    .map(|r| {
                        vec![
                            if lang == Lang::Zh { zh::source(&r.source).to_string() } else { r.source.clone() },
                            r.leads.to_string(),
                            opt_pct(r.conversion),
                            opt_money(r.revenue_per_lead),
                            opt_money(r.average_deal),
                            r.median_days_to_close.map(|d| format!("{d:.0}")).unwrap_or_else(|| "–".into()),
                        ]
                    })
                    .collect(),
                keys: None,
            }),
            notes: Vec::new(),
        },
        Section {
            id: "tiers".into(),
            title: titles[2].1.clone(),
            subtitle: Some(t(lang, "A 类客户贡献约 80% 收入", "A accounts make about 80% of revenue")),
            svg: Some(svg::bars(
                "chart-tiers",
                "tiers",
                &tiers
                    .classes
                    .iter()
                    .map(|c| Bar {
                        label: format!("{} ({})", c.class.as_str(), c.accounts),
                        value: c.revenue,
                        marker: None,
                        note: opt_pct(c.share_of_revenue),
                    })
                    .collect::<Vec<_>>(),
                &none(lang),
            )),
            table: Some(TableOut {
                columns: vec![
                    t(lang, "RFM 分群", "RFM segment"),
                    t(lang, "客户数", "Accounts"),
                    t(lang, "收入", "Revenue"),
                ],
                rows: tiers
                    .segments
                    .iter()
                    .map(|s| {
                        let name = if lang == Lang::Zh { segment_zh(&s.segment) } else { &s.segment };
                        vec![name.to_string(), s.accounts.to_string(), svg::money(s.revenue)]
                    })
                    .collect(),
                keys: None,
            }),
            notes: Vec::new(),
        },
        Section {
            id: "reps".into(),
            title: titles[3].1.clone(),
            subtitle: sub,
            svg: None,
            table: Some(TableOut {
                columns: vec![
                    t(lang, "销售", "Rep"),
                    t(lang, "团队", "Team"),
                    t(lang, "目标", "Quota"),
                    t(lang, "业绩", "Bookings"),
                    t(lang, "完成率", "Completion"),
                    t(lang, "团队中位完成率", "Team median"),
                    t(lang, "新客户", "New customers"),
                    t(lang, "环比增长", "Growth"),
                    t(lang, "下季达成概率", "P(attain) next"),
                ],
                rows: card
                    .rows
                    .iter()
                    .map(|r| {
                        vec![
                            r.name.clone(),
                            r.team.clone(),
                            opt_money(r.figures.quota),
                            svg::money(r.figures.bookings),
                            opt_pct(r.figures.completion),
                            opt_pct(r.team_median.completion),
                            r.figures.new_customers.to_string(),
                            opt_pct(r.figures.growth),
                            opt_pct(p_attain.get(&r.rep_id).copied().flatten()),
                        ]
                    })
                    .collect(),
                keys: Some(card.rows.iter().map(|r| r.rep_id.clone()).collect()),
            }),
            notes: Vec::new(),
        },
    ]
}

pub fn all(st: &AppState, data: Option<&Arc<DataCtx>>, lang: Lang) -> Vec<Section> {
    let mut v = forecast_sections(st, lang);
    v.extend(analytics_sections(st, data, lang));
    v
}

/// A rep's quarterly bookings, their quota forecast, and their scorecard against the team.
pub fn rep(st: &AppState, data: &Arc<DataCtx>, rep_id: &str, lang: Lang) -> Vec<Section> {
    let mut out = Vec::new();
    let mut by_quarter: std::collections::BTreeMap<String, f64> = Default::default();
    for o in
        data.dataset.opportunities.iter().filter(|o| o.owner_id == rep_id && o.status == crate::domain::Status::Won)
    {
        if let Some(c) = o.closed_at {
            let q = format!("{}Q{}", chrono::Datelike::year(&c), (chrono::Datelike::month(&c) - 1) / 3 + 1);
            *by_quarter.entry(q).or_default() += o.amount;
        }
    }
    let history: Vec<(String, f64)> = by_quarter.into_iter().collect();
    let models = st.models.load();
    let mut points = Vec::new();
    let mut quota = None;
    if let Some(f) = models.forecast.as_ref() {
        let (current, _) = f.model.periods(Grain::Quarter);
        for p in [current, current.next()] {
            if let Ok(q) = f.model.quota(&p.to_string(), Level::Rep)
                && let Some(r) = q.rows.iter().find(|r| r.key == rep_id)
            {
                if p == current {
                    quota = r.quota;
                }
                points.push(FanPoint { label: p.to_string(), p10: r.p10, p50: r.p50, p90: r.p90 });
            }
        }
    }
    out.push(Section {
        id: "rep-forecast".into(),
        title: t(lang, "季度业绩与预测", "Quarterly bookings and forecast"),
        subtitle: None,
        svg: Some(svg::fan("chart-rep", "rep", &history, &points, quota, &none(lang))),
        table: None,
        notes: Vec::new(),
    });
    if let Ok(an) = Analytics::new(&data.dataset) {
        let card = an.scorecard(an.default_period());
        if let Some(r) = card.rows.iter().find(|r| r.rep_id == rep_id) {
            let f = &r.figures;
            let m = &r.team_median;
            let row = |name: String, v: String, med: String| vec![name, v, med];
            out.push(Section {
                id: "rep-card".into(),
                title: t(lang, "考核指标（与团队中位数对比）", "Scorecard (against the team median)"),
                subtitle: None,
                svg: None,
                table: Some(TableOut {
                    columns: vec![
                        t(lang, "指标", "Figure"),
                        t(lang, "本人", "Rep"),
                        t(lang, "团队中位", "Team median"),
                    ],
                    rows: vec![
                        row(t(lang, "目标", "Quota"), opt_money(f.quota), opt_money(m.quota)),
                        row(t(lang, "业绩", "Bookings"), svg::money(f.bookings), opt_money(m.bookings)),
                        row(t(lang, "完成率", "Completion"), opt_pct(f.completion), opt_pct(m.completion)),
                        row(
                            t(lang, "新客户", "New customers"),
                            f.new_customers.to_string(),
                            opt_money(m.new_customers),
                        ),
                        row(t(lang, "拜访", "Visits"), f.visits.to_string(), opt_money(m.visits)),
                        row(t(lang, "电话", "Calls"), f.calls.to_string(), opt_money(m.calls)),
                        row(
                            t(lang, "周均订单", "Orders per week"),
                            format!("{:.1}", f.orders_per_week),
                            opt_money(m.orders_per_week),
                        ),
                        row(t(lang, "环比增长", "Growth"), opt_pct(f.growth), opt_pct(m.growth)),
                        row(
                            t(lang, "流失客户", "Customers lost"),
                            f.customers_lost.to_string(),
                            opt_money(m.customers_lost),
                        ),
                    ],
                    keys: None,
                }),
                notes: Vec::new(),
            });
        }
    }
    out
}
