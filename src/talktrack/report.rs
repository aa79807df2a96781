//! The evaluation report of a talk-track model: `metrics.json`, `contexts.csv` (every truth
//! context judged), `regret.svg` (cumulative-regret curves of the online simulation, plotters)
//! and an `index.html` that shows them.

use super::evaluate::{OffPolicy, Online, TruthAgreement};
use crate::{Error, Result};
use plotters::prelude::*;
use serde::Serialize;

/// Everything `evaluate talktrack` measured.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub model_version: String,
    pub data: String,
    /// How the off-policy logs were chosen (held-out share, refit or not).
    pub holdout: String,
    pub off_policy: Option<OffPolicy>,
    pub truth: Option<TruthAgreement>,
    pub online: Option<Online>,
}

const COLORS: [RGBColor; 5] = [
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(214, 39, 40),
    RGBColor(120, 120, 120),
];

/// Cumulative-regret curves as SVG.
pub fn regret_svg(online: &Online) -> Result<String> {
    let mut svg = String::new();
    let err = |e: String| Error::InvalidArgument(format!("drawing the regret curves: {e}"));
    {
        let root = SVGBackend::with_string(&mut svg, (720, 460)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let max_x = online.spec.decisions.max(1) as f64;
        let max_y = online.curves.iter().map(|c| c.total_regret).fold(1e-3, f64::max) * 1.05;
        let mut chart = ChartBuilder::on(&root)
            .caption("Cumulative expected regret (online simulation)", ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..max_x, 0.0..max_y)
            .map_err(|e| err(e.to_string()))?;
        chart
            .configure_mesh()
            .x_desc("decisions")
            .y_desc("cumulative regret (advances lost)")
            .draw()
            .map_err(|e| err(e.to_string()))?;
        for (i, c) in online.curves.iter().enumerate() {
            let col = COLORS[i % COLORS.len()];
            chart
                .draw_series(LineSeries::new(c.points.iter().copied(), col.stroke_width(2)))
                .map_err(|e| err(e.to_string()))?
                .label(c.policy.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], col));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .border_style(BLACK)
            .background_style(WHITE)
            .draw()
            .map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    Ok(svg)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn pct(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

/// The report's files as (relative path, bytes).
pub fn files(ev: &Evaluation) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    let json = serde_json::to_vec_pretty(ev).map_err(|e| Error::InvalidArgument(e.to_string()))?;
    out.push(("metrics.json".to_string(), json));
    let mut body = String::new();
    body.push_str(&format!("<p>model {} · data {} · {}</p>", esc(&ev.model_version), esc(&ev.data), esc(&ev.holdout)));
    if let Some(o) = &ev.off_policy {
        let row = |name: &str, e: &super::evaluate::Estimate| {
            format!("<tr><th>{name}</th><td>{}</td><td>[{}, {}]</td></tr>", pct(e.value), pct(e.lo), pct(e.hi))
        };
        body.push_str("<h2>Off-policy evaluation on held-out logs</h2><table><tr><th></th><th>advance rate</th><th>95% interval</th></tr>");
        body.push_str(&row("logging policy (reps, observed)", &o.logging));
        body.push_str(&row("learned policy, IPS", &o.ips));
        body.push_str(&row("learned policy, doubly robust", &o.dr));
        body.push_str("</table>");
        body.push_str(&format!(
            "<p>{} touches; the reps used the policy's track in {}; self-normalised IPS {}.</p>",
            o.touches,
            pct(o.matched),
            pct(o.snips)
        ));
        if let (Some(tp), Some(tl)) = (o.truth_policy, o.truth_logging) {
            body.push_str(&format!(
                "<p>Truth on these touches: learned policy {}, logging policy {} ({}); for an average fully ramped rep the learned policy's value is {}.</p>",
                pct(tp),
                pct(tl),
                if o.truth_per_deal { "each touch's true probability for its deal's rep" } else { "average fully ramped rep" },
                o.truth_policy_average_rep.map(pct).unwrap_or_default()
            ));
        }
    }
    if let Some(t) = &ev.truth {
        body.push_str(&format!(
            "<h2>Against the truth</h2><table>\
             <tr><th></th><th>contexts</th><th>top-1 exact</th><th>top-1 within 1 pp</th><th>mean regret</th></tr>\
             <tr><th>all contexts</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\
             <tr><th>contexts with ≥ {} training touches</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></table>\
             <p>Uniform random's mean regret over all contexts: {}.</p>",
            t.contexts,
            pct(t.top1_exact),
            pct(t.top1_within_1pp),
            pct(t.mean_regret),
            t.min_touches,
            t.supported_contexts,
            pct(t.supported_top1_exact),
            pct(t.supported_top1_within_1pp),
            pct(t.supported_mean_regret),
            pct(t.mean_regret_uniform)
        ));
        let mut csv =
            String::from("stage,persona,industry,objection,touches,chosen,best,chosen_p,best_p,regret,uniform_p\n");
        for c in &t.per_context {
            csv.push_str(&format!(
                "{},{},{},{},{},{},{},{:.6},{:.6},{:.6},{:.6}\n",
                c.stage,
                c.persona,
                c.industry,
                c.objection.map(|o| o.to_string()).unwrap_or_default(),
                c.touches,
                c.chosen,
                c.best,
                c.chosen_p,
                c.best_p,
                c.regret,
                c.uniform_p
            ));
        }
        out.push(("contexts.csv".to_string(), csv.into_bytes()));
    }
    if let Some(on) = &ev.online {
        out.push(("regret.svg".to_string(), regret_svg(on)?.into_bytes()));
        body.push_str(&format!(
            "<h2>Online simulation</h2><p>{} decisions (seed {}, exploration {}) over {} logged contexts, rewarded by the true probabilities.</p>\
             <table><tr><th>policy</th><th>cumulative regret</th><th>mean true advance</th></tr>",
            on.spec.decisions, on.spec.seed, on.spec.exploration, on.contexts
        ));
        for c in &on.curves {
            body.push_str(&format!(
                "<tr><th>{}</th><td>{:.1}</td><td>{}</td></tr>",
                esc(&c.policy),
                c.total_regret,
                pct(c.mean_advance)
            ));
        }
        body.push_str(&format!(
            "</table><p>Learned bandit's regret / uniform random's: {:.3}.</p><img src=\"regret.svg\" alt=\"cumulative regret\">",
            on.regret_ratio_vs_uniform
        ));
    }
    let html = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>leadcast talk-track evaluation</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1040px}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:4px 10px;text-align:right}}th{{text-align:left;background:#f4f4f4}}img{{max-width:100%}}</style></head><body>
<h1>Talk tracks (话术): evaluation</h1>{body}</body></html>
"#
    );
    out.push(("index.html".to_string(), html.into_bytes()));
    Ok(out)
}

/// Writes the report into `dir` (created), each file whole.
pub fn write(dir: &std::path::Path, ev: &Evaluation) -> Result<()> {
    crate::data::write::write_files(dir, files(ev)?)
}
