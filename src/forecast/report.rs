//! The backtest report: `backtest.json`, `rows.csv` (every group at every origin), a fan chart
//! of the company's forecasts against what was booked (`fan.svg`, plotters) and `index.html`.

use super::backtest::Backtest;
use crate::{Error, Result};
use plotters::prelude::*;
use std::path::Path;

/// The report's files, as (relative path, bytes).
pub fn files(title: &str, bt: &Backtest) -> Result<Vec<(String, Vec<u8>)>> {
    let json = serde_json::to_vec_pretty(bt).map_err(|e| Error::InvalidArgument(e.to_string()))?;
    let mut csv = String::from("origin,period,level,key,p10,p50,p90,actual\n");
    for o in &bt.origins {
        for r in &o.rows {
            let key =
                if r.key.contains([',', '"']) { format!("\"{}\"", r.key.replace('"', "\"\"")) } else { r.key.clone() };
            csv.push_str(&format!(
                "{},{},{},{key},{:.2},{:.2},{:.2},{:.2}\n",
                o.origin, o.period, r.level, r.p10, r.p50, r.p90, r.actual
            ));
        }
    }
    let svg = fan_chart(bt)?;
    Ok(vec![
        ("backtest.json".into(), json),
        ("rows.csv".into(), csv.into_bytes()),
        ("fan.svg".into(), svg.into_bytes()),
        ("index.html".into(), page(title, bt).into_bytes()),
    ])
}

/// Writes the report into `dir` (created), each file whole.
pub fn write(dir: &Path, title: &str, bt: &Backtest) -> Result<()> {
    crate::data::write::write_files(dir, files(title, bt)?)
}

/// Company bookings per period (line), and per backtest origin the blended P10–P90 band, the
/// P50 and the actual.
fn fan_chart(bt: &Backtest) -> Result<String> {
    let err = |e: String| Error::InvalidArgument(format!("drawing the fan chart: {e}"));
    let labels: Vec<String> = bt.history.iter().map(|h| h.0.clone()).collect();
    let x_of = |p: &str| labels.iter().position(|l| l == p).map(|i| i as f64);
    let fc: Vec<(f64, f64, f64, f64, f64)> = bt
        .origins
        .iter()
        .filter_map(|o| {
            let r = o.rows.iter().find(|r| r.level == super::bookings::Level::Company)?;
            Some((x_of(&o.period)?, r.p10, r.p50, r.p90, r.actual))
        })
        .collect();
    let top = bt.history.iter().map(|h| h.1).chain(fc.iter().map(|f| f.3)).fold(1.0f64, f64::max) * 1.1;
    let scale = if top >= 2e6 {
        1e6
    } else if top >= 2e3 {
        1e3
    } else {
        1.0
    };
    let unit = match scale as u64 {
        1_000_000 => " (millions)",
        1_000 => " (thousands)",
        _ => "",
    };
    let n = labels.len().max(1) as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let mut chart = ChartBuilder::on(&root)
            .caption("Company bookings: backtest forecasts (P10–P90, P50) vs actual", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.5..(n - 0.5), 0.0..top / scale)
            .map_err(|e| err(e.to_string()))?;
        let lab = labels.clone();
        chart
            .configure_mesh()
            .x_labels(labels.len().min(24))
            .x_label_formatter(&move |x| {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 {
                    lab.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_desc(format!("bookings{unit}"))
            .draw()
            .map_err(|e| err(e.to_string()))?;
        let band = RGBColor(66, 133, 244);
        if fc.len() >= 2 {
            let mut poly: Vec<(f64, f64)> = fc.iter().map(|f| (f.0, f.1 / scale)).collect();
            poly.extend(fc.iter().rev().map(|f| (f.0, f.3 / scale)));
            chart.draw_series(std::iter::once(Polygon::new(poly, band.mix(0.2)))).map_err(|e| err(e.to_string()))?;
        }
        for f in &fc {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(f.0, f.1 / scale), (f.0, f.3 / scale)],
                    band.stroke_width(6),
                )))
                .map_err(|e| err(e.to_string()))?;
        }
        chart
            .draw_series(LineSeries::new(
                bt.history.iter().enumerate().map(|(i, h)| (i as f64, h.1 / scale)),
                BLACK.stroke_width(2),
            ))
            .map_err(|e| err(e.to_string()))?
            .label("actual")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLACK));
        chart
            .draw_series(fc.iter().map(|f| Circle::new((f.0, f.2 / scale), 4, band.filled())))
            .map_err(|e| err(e.to_string()))?
            .label("forecast P50 (band: P10–P90)")
            .legend(move |(x, y)| Circle::new((x + 8, y), 4, band.filled()));
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

fn page(title: &str, bt: &Backtest) -> String {
    let levels: String = bt
        .levels
        .iter()
        .map(|l| {
            format!(
                "<tr><th>{}</th><td>{}</td><td>{:.1}%</td><td>{:+.1}%</td><td>{:.0}%</td></tr>",
                l.level,
                l.groups,
                100.0 * l.wape,
                100.0 * l.bias,
                100.0 * l.coverage80
            )
        })
        .collect();
    let methods: String = bt
        .methods
        .iter()
        .map(|m| {
            format!(
                "<tr><th>{}</th><td>{:.1}%</td><td>{:+.1}%</td><td>{:.0}%</td><td>{:.0}</td></tr>",
                esc(&m.method),
                100.0 * m.wape,
                100.0 * m.bias,
                100.0 * m.coverage80,
                m.pinball
            )
        })
        .collect();
    let origins: String = bt
        .origins
        .iter()
        .map(|o| {
            let c = o.rows.iter().find(|r| r.level == super::bookings::Level::Company);
            format!(
                "<tr><th>{}</th><td>{}</td><td>{:.2}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                o.origin,
                o.period,
                o.weight,
                c.map_or(String::new(), |r| format!("{:.0}", r.p10)),
                c.map_or(String::new(), |r| format!("{:.0}", r.p50)),
                c.map_or(String::new(), |r| format!("{:.0}", r.p90)),
                c.map_or(String::new(), |r| format!("{:.0}", r.actual)),
            )
        })
        .collect();
    let notes: String = bt.notes.iter().map(|n| format!("<li>{}</li>", esc(&n.en))).collect();
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{t}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1040px}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:4px 10px;text-align:right}}th{{text-align:left;background:#f4f4f4}}img{{max-width:100%}}</style></head><body>
<h1>{t}</h1>
<p>Grain: {grain}; win probabilities: {win}; pipeline weight learned on every origin: {w:.2}.</p>
<img src="fan.svg" alt="fan chart of company forecasts against actual bookings">
<h2>Accuracy per level (blend)</h2>
<table><tr><th>level</th><th>group × origins</th><th>WAPE</th><th>bias</th><th>80% coverage</th></tr>{levels}</table>
<h2>Company total by method</h2>
<table><tr><th>method</th><th>WAPE</th><th>bias</th><th>80% coverage</th><th>pinball loss</th></tr>{methods}</table>
<h2>Origins</h2>
<table><tr><th>origin</th><th>period</th><th>weight</th><th>P10</th><th>P50</th><th>P90</th><th>actual</th></tr>{origins}</table>
<ul>{notes}</ul>
<p>Every group at every origin: <a href="rows.csv">rows.csv</a>; everything: <a href="backtest.json">backtest.json</a>.</p>
</body></html>
"#,
        t = esc(title),
        grain = bt.grain.as_str(),
        win = esc(&bt.win_source),
        w = bt.weight
    )
}
