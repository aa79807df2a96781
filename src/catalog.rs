//! The talk-track catalog (话术库): what a rep can say at each stage, in Chinese and English.
//! The built-in catalog is `data/talk_tracks.csv`, compiled into the binary; a data directory
//! may bring its own `talk_tracks.csv`.

use crate::data::problem::{Problem, Problems};
use crate::data::raw;
use crate::domain::{Objection, Stage};
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

/// The built-in catalog's text.
pub const BUILTIN_CSV: &str = include_str!("../data/talk_tracks.csv");

/// The catalog's columns, in file order.
pub const COLUMNS: [&str; 8] =
    ["talk_track_id", "stage", "kind", "objection", "title_zh", "title_en", "script_zh", "script_en"];

/// One talk track.
#[derive(Debug, Clone, PartialEq)]
pub struct TalkTrack {
    pub id: String,
    pub stage: Stage,
    /// What kind of move it is: `opener`, `spin_problem`, `objection`, `closing`, `referral`, …
    pub kind: String,
    /// The objection it answers; `None` for tracks used when no objection was raised.
    pub objection: Option<Objection>,
    pub title_zh: String,
    pub title_en: String,
    pub script_zh: String,
    pub script_en: String,
}

impl TalkTrack {
    /// Whether the track is a candidate in this context: same stage, and it answers the
    /// objection raised (or no objection was raised and it answers none).
    pub fn applies(&self, stage: Stage, objection: Option<Objection>) -> bool {
        self.stage == stage && self.objection == objection
    }
}

/// A set of talk tracks, by ID.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    tracks: Vec<TalkTrack>,
    by_id: HashMap<String, usize>,
}

impl Catalog {
    /// The catalog compiled into the binary.
    pub fn builtin() -> Catalog {
        let mut problems = Problems::default();
        let c = Catalog::parse("talk_tracks.csv", BUILTIN_CSV.as_bytes(), &mut problems);
        debug_assert!(!problems.has_errors(), "the built-in catalog is invalid: {:?}", problems.first_error());
        c
    }

    /// `DIR/talk_tracks.csv` when it exists, else the built-in catalog.
    pub fn for_data_dir(dir: &Path, problems: &mut Problems) -> Catalog {
        let path = dir.join("talk_tracks.csv");
        if !path.is_file() {
            return Catalog::builtin();
        }
        match std::fs::read(&path) {
            Ok(bytes) => Catalog::parse("talk_tracks.csv", &bytes, problems),
            Err(e) => {
                problems.push(Problem::error("talk_tracks.csv", format!("cannot read: {e}")));
                Catalog::builtin()
            }
        }
    }

    /// Parses catalog CSV text, reporting every problem.
    pub fn parse(file: &str, bytes: &[u8], problems: &mut Problems) -> Catalog {
        let table = match raw::csv_from_bytes(file, bytes.to_vec(), None) {
            Ok(t) => t,
            Err(p) => {
                problems.push(p);
                return Catalog::default();
            }
        };
        let mut idx = [0usize; 8];
        for (k, col) in COLUMNS.iter().enumerate() {
            match table.column_index(col) {
                Some(i) => idx[k] = i,
                None => {
                    problems.push(Problem::error(file, format!("missing column {col:?}")).in_column(*col));
                    return Catalog::default();
                }
            }
        }
        let mut cat = Catalog::default();
        for item in table.rows {
            let row = match item {
                Ok(r) => r,
                Err(p) => {
                    problems.push(p);
                    continue;
                }
            };
            let get = |k: usize| row.fields.get(idx[k]).unwrap_or("").to_string();
            let at = |col: &str, msg: String| Problem::error(file, msg).at_row(row.row, row.line).in_column(col);
            let id = get(0);
            if id.is_empty() {
                problems.push(at("talk_track_id", "missing value".into()));
                continue;
            }
            let stage = match Stage::from_str(&get(1)) {
                Ok(s) => s,
                Err(e) => {
                    problems.push(at("stage", e));
                    continue;
                }
            };
            let objection = match get(3).as_str() {
                "" => None,
                s => match Objection::from_str(s) {
                    Ok(o) => Some(o),
                    Err(e) => {
                        problems.push(at("objection", e));
                        continue;
                    }
                },
            };
            let track = TalkTrack {
                id,
                stage,
                kind: get(2),
                objection,
                title_zh: get(4),
                title_en: get(5),
                script_zh: get(6),
                script_en: get(7),
            };
            for (col, text) in [
                ("title_zh", &track.title_zh),
                ("title_en", &track.title_en),
                ("script_zh", &track.script_zh),
                ("script_en", &track.script_en),
            ] {
                if text.is_empty() {
                    problems.push(
                        Problem::warning(file, "empty text; the other language will be shown")
                            .at_row(row.row, row.line)
                            .in_column(col),
                    );
                }
            }
            if cat.by_id.contains_key(&track.id) {
                problems.push(at("talk_track_id", format!("duplicate talk_track_id {:?}", track.id)));
                continue;
            }
            cat.by_id.insert(track.id.clone(), cat.tracks.len());
            cat.tracks.push(track);
        }
        cat
    }

    pub fn get(&self, id: &str) -> Option<&TalkTrack> {
        self.by_id.get(id).map(|&i| &self.tracks[i])
    }

    pub fn tracks(&self) -> &[TalkTrack] {
        &self.tracks
    }

    /// The candidate tracks for a context, in catalog order.
    pub fn candidates(&self, stage: Stage, objection: Option<Objection>) -> impl Iterator<Item = &TalkTrack> {
        self.tracks.iter().filter(move |t| t.applies(stage, objection))
    }

    pub fn len(&self) -> usize {
        self.tracks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tracks.is_empty()
    }
}
