//! Small SVG charts for the dashboard, drawn on the server (no JavaScript charting library,
//! nothing fetched from the internet): a fan chart with a quota line, horizontal bars with a
//! marker, a funnel, and a histogram. Written by hand rather than with plotters (used for the
//! model reports) because these are a few rectangles and paths whose text must be HTML-escaped
//! Chinese or English and whose size follows the page (`viewBox`, no fixed pixels).
//!
//! Invariant: every function returns a complete `<svg>` element for any input, including empty
//! or non-finite data (drawn as an explicit "no data" chart, never NaN coordinates).

use std::fmt::Write;

pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Compact money: 1.2M, 340k, 950.
pub fn money(v: f64) -> String {
    let a = v.abs();
    if !v.is_finite() {
        "–".into()
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e3 {
        format!("{:.0}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

fn finite(v: f64) -> f64 {
    if v.is_finite() { v } else { 0.0 }
}

fn open(w: f64, h: f64, id: &str, title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" class=\"chart\" id=\"{}\" role=\"img\" aria-label=\"{}\"><style>text{{font:11px sans-serif;fill:#333}} .muted{{fill:#888}}</style>",
        esc(id),
        esc(title)
    )
}

fn empty(id: &str, title: &str, no_data: &str) -> String {
    let mut s = open(400.0, 60.0, id, title);
    let _ = write!(
        s,
        "<text x=\"200\" y=\"34\" text-anchor=\"middle\" class=\"muted\" data-empty=\"1\">{}</text></svg>",
        esc(no_data)
    );
    s
}

/// One forecast period of a fan chart.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FanPoint {
    pub label: String,
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
}

/// History (label, actual) followed by forecast periods with their P10–P90 band, and a quota
/// line over the forecast periods.
pub fn fan(
    id: &str,
    title: &str,
    history: &[(String, f64)],
    forecast: &[FanPoint],
    quota: Option<f64>,
    no_data: &str,
) -> String {
    let n = history.len() + forecast.len();
    if n == 0 {
        return empty(id, title, no_data);
    }
    let (w, h, left, bottom, top) = (640.0, 260.0, 56.0, 28.0, 12.0);
    let mut max = history.iter().map(|x| finite(x.1)).chain(forecast.iter().map(|f| finite(f.p90))).fold(0.0, f64::max);
    if let Some(q) = quota {
        max = max.max(finite(q));
    }
    let max = if max <= 0.0 { 1.0 } else { max * 1.08 };
    let step = (w - left - 12.0) / (n.max(2) - 1) as f64;
    let x = |i: usize| left + i as f64 * step;
    let y = |v: f64| top + (h - top - bottom) * (1.0 - finite(v) / max);
    let mut s = open(w, h, id, title);
    for k in 0..=4 {
        let v = max * k as f64 / 4.0;
        let _ = write!(
            s,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#eee\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            w - 12.0,
            left - 6.0,
            y(v) + 4.0,
            money(v),
            y = y(v)
        );
    }
    if !forecast.is_empty() {
        let start = history.len();
        let mut band = String::new();
        for (i, f) in forecast.iter().enumerate() {
            let _ = write!(band, "{}{:.1},{:.1} ", if i == 0 { "M" } else { "L" }, x(start + i), y(f.p90));
        }
        for (i, f) in forecast.iter().enumerate().rev() {
            let _ = write!(band, "L{:.1},{:.1} ", x(start + i), y(f.p10));
        }
        let _ = write!(s, "<path d=\"{band}Z\" fill=\"#4e79a7\" fill-opacity=\"0.25\" class=\"band\"/>");
        let mut mid = String::new();
        if let Some(last) = history.last() {
            let _ = write!(mid, "M{:.1},{:.1} ", x(start - 1), y(last.1));
        }
        for (i, f) in forecast.iter().enumerate() {
            let _ = write!(mid, "{}{:.1},{:.1} ", if mid.is_empty() { "M" } else { "L" }, x(start + i), y(f.p50));
        }
        let _ = write!(
            s,
            "<path d=\"{mid}\" fill=\"none\" stroke=\"#4e79a7\" stroke-width=\"2\" stroke-dasharray=\"5 3\"/>"
        );
        if let Some(q) = quota {
            let _ = write!(
                s,
                "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e15759\" stroke-width=\"2\" class=\"quota\"/>",
                x(start) - step / 3.0,
                x(n - 1) + 6.0,
                y = y(q)
            );
        }
    }
    let mut line = String::new();
    for (i, (_, v)) in history.iter().enumerate() {
        let _ = write!(line, "{}{:.1},{:.1} ", if i == 0 { "M" } else { "L" }, x(i), y(*v));
    }
    if !line.is_empty() {
        let _ = write!(s, "<path d=\"{line}\" fill=\"none\" stroke=\"#333\" stroke-width=\"2\"/>");
    }
    let labels = history.iter().map(|l| l.0.as_str()).chain(forecast.iter().map(|f| f.label.as_str()));
    let every = (n / 12).max(1);
    for (i, l) in labels.enumerate() {
        if i % every == 0 || i == n - 1 {
            let _ = write!(s, "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>", x(i), h - 8.0, esc(l));
        }
    }
    s.push_str("</svg>");
    s
}

/// One bar: label, value, an optional marker (e.g. quota) and a note on the right.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub marker: Option<f64>,
    pub note: String,
}

/// Horizontal bars, one per row, with optional markers.
pub fn bars(id: &str, title: &str, rows: &[Bar], no_data: &str) -> String {
    if rows.is_empty() {
        return empty(id, title, no_data);
    }
    let (w, row_h, left, right) = (640.0, 22.0, 130.0, 150.0);
    let h = rows.len() as f64 * row_h + 10.0;
    let max = rows.iter().map(|r| finite(r.value).max(finite(r.marker.unwrap_or(0.0)))).fold(0.0, f64::max);
    let max = if max <= 0.0 { 1.0 } else { max };
    let scale = (w - left - right) / max;
    let mut s = open(w, h, id, title);
    for (i, r) in rows.iter().enumerate() {
        let y = 5.0 + i as f64 * row_h;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text><rect class=\"bar\" x=\"{left}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#4e79a7\"/>",
            left - 6.0,
            y + 14.0,
            esc(&r.label),
            y + 3.0,
            (finite(r.value) * scale).max(0.0),
            row_h - 6.0
        );
        if let Some(m) = r.marker {
            let mx = left + finite(m) * scale;
            let _ = write!(
                s,
                "<line x1=\"{mx:.1}\" x2=\"{mx:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#e15759\" stroke-width=\"2\"/>",
                y + 1.0,
                y + row_h - 1.0
            );
        }
        let _ = write!(s, "<text x=\"{}\" y=\"{:.1}\">{}</text>", w - right + 8.0, y + 14.0, esc(&r.note));
    }
    s.push_str("</svg>");
    s
}

/// A funnel: stages with counts, each bar centred and labelled with the step conversion.
pub fn funnel(id: &str, title: &str, stages: &[(String, f64, Option<f64>)], no_data: &str) -> String {
    if stages.is_empty() || stages.iter().all(|s| finite(s.1) <= 0.0) {
        return empty(id, title, no_data);
    }
    let (w, row_h) = (640.0, 30.0);
    let h = stages.len() as f64 * row_h + 10.0;
    let max = stages.iter().map(|s| finite(s.1)).fold(0.0, f64::max).max(1.0);
    let mut s = open(w, h, id, title);
    for (i, (label, v, conv)) in stages.iter().enumerate() {
        let bw = (w - 320.0) * finite(*v) / max;
        let y = 5.0 + i as f64 * row_h;
        let x0 = 160.0 + (w - 320.0 - bw) / 2.0;
        let conv = conv.map(|c| format!(" ({:.0}%)", c * 100.0)).unwrap_or_default();
        let _ = write!(
            s,
            "<text x=\"150\" y=\"{:.1}\" text-anchor=\"end\">{}</text><rect class=\"bar\" x=\"{x0:.1}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{:.1}\" fill=\"#59a14f\"/><text x=\"{}\" y=\"{:.1}\">{}{}</text>",
            y + 19.0,
            esc(label),
            y + 3.0,
            row_h - 6.0,
            w - 150.0,
            y + 19.0,
            money(*v),
            esc(&conv)
        );
    }
    s.push_str("</svg>");
    s
}

/// A histogram of (label, count) bins, vertical bars.
pub fn histogram(id: &str, title: &str, bins: &[(String, f64)], no_data: &str) -> String {
    if bins.is_empty() || bins.iter().all(|b| finite(b.1) <= 0.0) {
        return empty(id, title, no_data);
    }
    let (w, h, bottom) = (640.0, 200.0, 24.0);
    let max = bins.iter().map(|b| finite(b.1)).fold(0.0, f64::max).max(1.0);
    let bw = (w - 20.0) / bins.len() as f64;
    let mut s = open(w, h, id, title);
    for (i, (label, c)) in bins.iter().enumerate() {
        let bh = (h - bottom - 16.0) * finite(*c) / max;
        let x = 10.0 + i as f64 * bw;
        let _ = write!(
            s,
            "<rect class=\"bar\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"#f28e2b\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text><text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            x + 2.0,
            h - bottom - bh,
            bw - 4.0,
            x + bw / 2.0,
            h - bottom - bh - 3.0,
            money(*c),
            x + bw / 2.0,
            h - 8.0,
            esc(label)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_complete_svg_even_for_empty_or_bad_data() {
        let f = fan(
            "f",
            "t",
            &[("2026Q1".into(), 5.0), ("2026Q2".into(), f64::NAN)],
            &[FanPoint { label: "2026Q3".into(), p10: 4.0, p50: 6.0, p90: 9.0 }],
            Some(7.0),
            "none",
        );
        assert!(f.starts_with("<svg") && f.ends_with("</svg>") && !f.contains("NaN") && f.contains("class=\"band\""));
        for s in [
            fan("a", "t", &[], &[], None, "none"),
            bars("b", "t", &[], "none"),
            funnel("c", "t", &[], "none"),
            histogram("d", "t", &[], "none"),
        ] {
            assert!(s.contains("data-empty") && s.ends_with("</svg>"));
        }
        let b = bars(
            "b",
            "t",
            &[Bar { label: "东区 <1>".into(), value: 3.0, marker: Some(4.0), note: "75%".into() }],
            "none",
        );
        assert!(b.contains("东区 &lt;1&gt;") && b.contains("class=\"bar\""));
    }
}
