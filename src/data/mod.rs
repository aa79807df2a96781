//! Contract tables in and out: reading raw rows from CSV or Parquet (`raw`), parsing them into
//! typed records with every problem located by file, row and column (`load`), cross-table
//! checks (`validate`), importing real CRM exports through a mapping file (`mapping`), and
//! writing contract tables (`write`).
//!
//! The rule of this layer: bad input never panics and never half-loads silently. Every problem
//! becomes a [`Problem`]; callers decide whether errors stop them (`train` and `import` do).

pub mod load;
pub mod mapping;
pub mod problem;
pub mod raw;
pub mod validate;
pub mod write;

pub use load::{Loaded, Origin};
pub use problem::{Problem, Problems, Severity};

use crate::catalog::Catalog;
use crate::domain::Dataset;
use std::path::Path;

/// The result of checking a data directory: what loaded, and every problem found.
#[derive(Debug)]
pub struct Checked {
    pub dataset: Dataset,
    pub problems: Problems,
}

/// Loads and checks a data directory, optionally through an import mapping. Never fails on bad
/// data: every problem is in the returned list. The catalog used for talk-track references is
/// `DIR/talk_tracks.csv` when present, else the built-in one.
pub fn check_dir(dir: &Path, mapping: Option<&mapping::Mapping>) -> Checked {
    let mut problems = Problems::default();
    let loaded = load::load_dir(dir, mapping, &mut problems);
    let catalog = Catalog::for_data_dir(dir, &mut problems);
    validate::validate(&loaded, &catalog, &mut problems);
    Checked { dataset: loaded.dataset, problems }
}
