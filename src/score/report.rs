//! The evaluation report of a scoring model: `metrics.json`, `gains.csv`, ROC and calibration
//! curves as SVG (plotters), and one `index.html` that shows them. Written with every trained
//! model (on its held-out rows) and by `leadcast evaluate` (on a new labelled table).

use super::metrics::{Metrics, calibration_curve, gains_table, roc_curve};
use crate::{Error, Result};
use plotters::prelude::*;
use serde::Serialize;
use std::path::Path;

/// The files of a report, as (relative path, bytes).
pub fn files(title: &str, p: &[f64], y: &[bool], extra: &serde_json::Value) -> Result<Vec<(String, Vec<u8>)>> {
    let m = Metrics::compute(p, y);
    let gains = gains_table(p, y);
    let calib = calibration_curve(p, y, 10);
    let roc = roc_curve(p, y, 400);
    let roc_svg = line_chart(
        "ROC",
        "false positive rate",
        "true positive rate",
        &[("model", roc.clone(), BLUE), ("chance", vec![(0.0, 0.0), (1.0, 1.0)], RGBColor(160, 160, 160))],
    )?;
    let cal_pts: Vec<(f64, f64)> = calib.iter().map(|b| (b.mean_predicted, b.observed_rate)).collect();
    let top = cal_pts.iter().map(|p| p.0.max(p.1)).fold(0.05f64, f64::max).min(1.0);
    let cal_svg = line_chart(
        "Calibration",
        "mean predicted probability",
        "observed rate",
        &[("model", cal_pts, BLUE), ("perfect", vec![(0.0, 0.0), (top, top)], RGBColor(160, 160, 160))],
    )?;
    let mut gains_csv = String::from("decile,rows,min_probability,positives,rate,cumulative_gain,cumulative_lift\n");
    for g in &gains {
        gains_csv.push_str(&format!(
            "{},{},{:.6},{},{:.6},{:.6},{:.6}\n",
            g.decile, g.rows, g.min_probability, g.positives, g.rate, g.cumulative_gain, g.cumulative_lift
        ));
    }
    #[derive(Serialize)]
    struct Out<'a> {
        #[serde(flatten)]
        metrics: &'a Metrics,
        calibration: &'a [super::metrics::CalibrationBin],
        gains: &'a [super::metrics::GainsRow],
        #[serde(flatten)]
        extra: &'a serde_json::Value,
    }
    let json = serde_json::to_vec_pretty(&Out { metrics: &m, calibration: &calib, gains: &gains, extra })
        .map_err(|e| Error::InvalidArgument(e.to_string()))?;
    let html = page(title, &m, &gains, extra);
    Ok(vec![
        ("metrics.json".into(), json),
        ("gains.csv".into(), gains_csv.into_bytes()),
        ("roc.svg".into(), roc_svg.into_bytes()),
        ("calibration.svg".into(), cal_svg.into_bytes()),
        ("index.html".into(), html.into_bytes()),
    ])
}

/// Writes a report into `dir` (created), each file whole.
pub fn write(dir: &Path, title: &str, p: &[f64], y: &[bool], extra: &serde_json::Value) -> Result<Metrics> {
    crate::data::write::write_files(dir, files(title, p, y, extra)?)?;
    Ok(Metrics::compute(p, y))
}

/// A named line of (x, y) points and its colour.
type Line<'a> = (&'a str, Vec<(f64, f64)>, RGBColor);

fn line_chart(title: &str, x: &str, y: &str, series: &[Line]) -> Result<String> {
    let mut svg = String::new();
    let err = |e: String| Error::InvalidArgument(format!("drawing {title}: {e}"));
    {
        let root = SVGBackend::with_string(&mut svg, (480, 400)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let max_x = series.iter().flat_map(|s| s.1.iter().map(|p| p.0)).fold(0.0f64, f64::max).max(1e-3);
        let max_y = series.iter().flat_map(|s| s.1.iter().map(|p| p.1)).fold(0.0f64, f64::max).max(1e-3);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0.0..max_x, 0.0..max_y)
            .map_err(|e| err(e.to_string()))?;
        chart.configure_mesh().x_desc(x).y_desc(y).draw().map_err(|e| err(e.to_string()))?;
        for (name, pts, color) in series {
            let c = *color;
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)))
                .map_err(|e| err(e.to_string()))?
                .label(*name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], c));
            if pts.len() <= 12 {
                chart
                    .draw_series(pts.iter().map(|&(a, b)| Circle::new((a, b), 3, c.filled())))
                    .map_err(|e| err(e.to_string()))?;
            }
        }
        chart
            .configure_series_labels()
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

fn page(title: &str, m: &Metrics, gains: &[super::metrics::GainsRow], extra: &serde_json::Value) -> String {
    let rows = [
        ("rows", m.rows.to_string()),
        ("positives (base rate)", format!("{} ({:.2}%)", m.positives, 100.0 * m.base_rate)),
        ("AUC", format!("{:.4}", m.auc)),
        ("PR-AUC", format!("{:.4}", m.pr_auc)),
        ("log loss", format!("{:.4}", m.log_loss)),
        ("Brier", format!("{:.4}", m.brier)),
        ("ECE (10 bins)", format!("{:.4}", m.ece)),
        ("lift in the top decile", format!("{:.2}", m.lift_top_decile)),
    ];
    let metrics: String = rows.iter().map(|(k, v)| format!("<tr><th>{k}</th><td>{v}</td></tr>")).collect();
    let gains_rows: String = gains
        .iter()
        .map(|g| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{:.4}</td><td>{}</td><td>{:.2}%</td><td>{:.1}%</td><td>{:.2}</td></tr>",
                g.decile,
                g.rows,
                g.min_probability,
                g.positives,
                100.0 * g.rate,
                100.0 * g.cumulative_gain,
                g.cumulative_lift
            )
        })
        .collect();
    let details = serde_json::to_string_pretty(extra).unwrap_or_default();
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{t}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1040px}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:4px 10px;text-align:right}}th{{text-align:left;background:#f4f4f4}}
.charts img{{width:480px;margin-right:1em}}pre{{background:#f8f8f8;padding:1em;overflow:auto}}</style></head><body>
<h1>{t}</h1><table>{metrics}</table>
<div class="charts"><img src="roc.svg" alt="ROC curve"><img src="calibration.svg" alt="calibration curve"></div>
<h2>Gains by decile</h2><table><tr><th>decile</th><th>rows</th><th>min probability</th><th>positives</th><th>rate</th><th>cumulative gain</th><th>cumulative lift</th></tr>{gains_rows}</table>
<h2>Details</h2><pre>{details}</pre></body></html>
"#,
        t = esc(title),
        details = esc(&details)
    )
}
