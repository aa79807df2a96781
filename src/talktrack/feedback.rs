//! The feedback file: what reps reported, as CSV, so `train talktrack --feedback FILE` can
//! replay it after the activities (the server exports its stored feedback in this format).
//!
//! Columns, in this order, with a header row:
//! `decision_id,at,stage,persona,industry,objection,talk_track_id,outcome`
//!
//! - `decision_id`: the decision the outcome is for, or empty for a bare context + track;
//! - `at`: when it was reported, RFC 3339 (`2026-10-02T09:30:00Z`) or a date (`2026-10-02`,
//!   read as midnight UTC);
//! - `stage`, `objection` (empty: none raised), `outcome` (`advanced`, `no_change`, `lost`):
//!   contract wire names; `persona`, `industry`: free text, may be empty;
//! - `talk_track_id`: a catalog ID that applies to the stage and objection.
//!
//! Reading checks every row and returns every problem (file, row, line, column), so a bad
//! file is rejected whole: replaying half a file would silently bias the model.

use super::recommend::{Context, Feedback};
use crate::data::problem::Problem;
use crate::domain::{Objection, Outcome, Stage};
use crate::{Error, Result};
use chrono::{DateTime, NaiveDate, Utc};
use std::path::Path;
use std::str::FromStr;

pub const COLUMNS: [&str; 8] =
    ["decision_id", "at", "stage", "persona", "industry", "objection", "talk_track_id", "outcome"];

/// Parses a time as RFC 3339 or a date (midnight UTC).
pub fn parse_time(s: &str) -> std::result::Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(t.and_utc());
    }
    Err(format!("{s:?} is not a time (expected RFC 3339, e.g. 2026-10-02T09:30:00Z, or YYYY-MM-DD)"))
}

/// Reads a feedback CSV. `Err` holds every problem found.
pub fn read(file: &str, bytes: &[u8]) -> std::result::Result<Vec<Feedback>, Vec<Problem>> {
    let mut problems = Vec::new();
    let table = match crate::data::raw::csv_from_bytes(file, bytes.to_vec(), None) {
        Ok(t) => t,
        Err(p) => return Err(vec![p]),
    };
    let mut idx = [0usize; 8];
    for (k, col) in COLUMNS.iter().enumerate() {
        match table.column_index(col) {
            Some(i) => idx[k] = i,
            None => problems.push(Problem::error(file, format!("missing column {col:?}")).in_column(*col)),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut out = Vec::new();
    for item in table.rows {
        let row = match item {
            Ok(r) => r,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        let get = |k: usize| row.fields.get(idx[k]).unwrap_or("").trim().to_string();
        let at = |col: &str, msg: String| Problem::error(file, msg).at_row(row.row, row.line).in_column(col);
        let opt = |s: String| (!s.is_empty()).then_some(s);
        let before = problems.len();
        let when = parse_time(&get(1)).map_err(|e| problems.push(at("at", e))).ok();
        let stage = Stage::from_str(&get(2)).map_err(|e| problems.push(at("stage", e))).ok();
        let objection = match get(5).as_str() {
            "" => Some(None),
            s => Objection::from_str(s).map(Some).map_err(|e| problems.push(at("objection", e))).ok(),
        };
        let track = get(6);
        if track.is_empty() {
            problems.push(at("talk_track_id", "missing value".into()));
        }
        let outcome = Outcome::from_str(&get(7)).map_err(|e| problems.push(at("outcome", e))).ok();
        if problems.len() > before {
            continue;
        }
        if let (Some(when), Some(stage), Some(objection), Some(outcome)) = (when, stage, objection, outcome) {
            out.push(Feedback {
                decision_id: opt(get(0)),
                context: Context { stage, persona: opt(get(3)), industry: opt(get(4)), objection },
                talk_track_id: track,
                outcome,
                at: when,
            });
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

/// Writes feedback as CSV (the format [`read`] takes).
pub fn write(path: &Path, rows: &[Feedback]) -> Result<()> {
    let io = |e: csv::Error| Error::InvalidArgument(format!("{}: {e}", path.display()));
    let mut w = csv::Writer::from_path(path).map_err(io)?;
    w.write_record(COLUMNS).map_err(io)?;
    for f in rows {
        w.write_record([
            f.decision_id.clone().unwrap_or_default(),
            f.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            f.context.stage.to_string(),
            f.context.persona.clone().unwrap_or_default(),
            f.context.industry.clone().unwrap_or_default(),
            f.context.objection.map(|o| o.to_string()).unwrap_or_default(),
            f.talk_track_id.clone(),
            f.outcome.to_string(),
        ])
        .map_err(io)?;
    }
    w.flush().map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_reports_every_bad_cell() {
        let text = "decision_id,at,stage,persona,industry,objection,talk_track_id,outcome\n\
                    d-1,2026-10-02T09:30:00+08:00,negotiation,finance,retail,price,NEG-PRICE-02,advanced\n\
                    ,2026-10-03,discovery,,,,DISC-SPIN-P,no_change\n";
        let rows = read("fb.csv", text.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].at.to_rfc3339(), "2026-10-02T01:30:00+00:00");
        assert_eq!(rows[0].context.objection, Some(Objection::Price));
        assert_eq!(rows[1].decision_id, None);
        assert_eq!(rows[1].context.persona, None);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fb.csv");
        write(&p, &rows).unwrap();
        assert_eq!(read("fb.csv", &std::fs::read(&p).unwrap()).unwrap(), rows);

        let bad = "decision_id,at,stage,persona,industry,objection,talk_track_id,outcome\n\
                   ,yesterday,closing,,,cheap,,won\n";
        let errs = read("fb.csv", bad.as_bytes()).unwrap_err();
        let cols: Vec<String> = errs.iter().map(|p| p.to_string()).collect();
        assert_eq!(errs.len(), 5, "{cols:?}");
        for c in ["at", "stage", "objection", "talk_track_id", "outcome"] {
            assert!(cols.iter().any(|s| s.contains(&format!("column {c}"))), "{c}: {cols:?}");
        }
    }
}
