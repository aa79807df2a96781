//! A problem found in input data, located as precisely as the input allows.

use std::collections::BTreeMap;
use std::fmt;

/// Errors stop `train` and `import`; warnings are reported and the work goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem: which file, which data row (1-based, header excluded), which line of the file
/// (CSV only; a quoted field may span lines), which column, and what is wrong. In JSON
/// (`validate --format json`) a place not known is `null`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Problem {
    pub severity: Severity,
    pub file: String,
    pub row: Option<usize>,
    pub line: Option<u64>,
    pub column: Option<String>,
    pub message: String,
}

impl Problem {
    pub fn error(file: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Error,
            file: file.into(),
            row: None,
            line: None,
            column: None,
            message: message.into(),
        }
    }

    pub fn warning(file: impl Into<String>, message: impl Into<String>) -> Self {
        Problem { severity: Severity::Warning, ..Problem::error(file, message) }
    }

    pub fn at_row(mut self, row: usize, line: Option<u64>) -> Self {
        self.row = Some(row);
        self.line = line;
        self
    }

    pub fn in_column(mut self, column: impl Into<String>) -> Self {
        self.column = Some(column.into());
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev}: {}", self.located())
    }
}

impl Problem {
    /// The place and the message, without the severity (`leads.csv, row 5 (line 6), column
    /// lead_id: …`), for a caller that says "error" itself.
    pub fn located(&self) -> String {
        let mut s = self.file.clone();
        if let Some(row) = self.row {
            // Rows count data rows from 1; row 0 is the header line.
            s += &if row == 0 { ", the header".to_string() } else { format!(", row {row}") };
            if let Some(line) = self.line {
                s += &format!(" (line {line})");
            }
        }
        if let Some(col) = &self.column {
            s += &format!(", column {col}");
        }
        s + ": " + &self.message
    }
}

/// Every problem found, in the order found.
#[derive(Debug, Clone, Default)]
pub struct Problems {
    items: Vec<Problem>,
}

impl Problems {
    pub fn push(&mut self, p: Problem) {
        self.items.push(p);
    }

    pub fn iter(&self) -> impl Iterator<Item = &Problem> {
        self.items.iter()
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|p| p.severity == Severity::Error).count()
    }

    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    pub fn has_errors(&self) -> bool {
        self.first_error().is_some()
    }

    pub fn first_error(&self) -> Option<&Problem> {
        self.items.iter().find(|p| p.severity == Severity::Error)
    }

    /// The problems grouped for a human: within each (severity, file, column, message kind)
    /// group, at most `per_group` lines, then how many more of the same kind there are.
    /// Errors come first. The full list stays available through [`Problems::iter`].
    pub fn summarize(&self, per_group: usize) -> Vec<String> {
        let mut groups: BTreeMap<(Severity, &str, Option<&str>, String), Vec<&Problem>> = BTreeMap::new();
        for p in &self.items {
            // The kind of a message is its text up to the first quoted value or digit.
            let kind: String = p
                .message
                .split(['"', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
                .next()
                .unwrap_or("")
                .to_string();
            groups.entry((p.severity, &p.file, p.column.as_deref(), kind)).or_default().push(p);
        }
        let mut out = Vec::new();
        for ((_, file, column, _), ps) in groups {
            for p in ps.iter().take(per_group) {
                out.push(p.to_string());
            }
            if ps.len() > per_group {
                let col = column.map(|c| format!(", column {c}")).unwrap_or_default();
                out.push(format!("  … and {} more like this in {file}{col}", ps.len() - per_group));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_every_location_part() {
        let p =
            Problem::error("leads.csv", "cannot parse \"x\" as a date").at_row(12, Some(13)).in_column("created_at");
        assert_eq!(
            p.to_string(),
            "error: leads.csv, row 12 (line 13), column created_at: cannot parse \"x\" as a date"
        );
        let p = Problem::error("leads.csv", "the header names column \"a\" twice").at_row(0, Some(1)).in_column("a");
        assert_eq!(p.located(), "leads.csv, the header (line 1), column a: the header names column \"a\" twice");
    }

    #[test]
    fn summary_caps_each_group_and_counts_the_rest() {
        let mut ps = Problems::default();
        for i in 1..=30 {
            ps.push(Problem::error("a.csv", format!("bad value \"{i}\"")).at_row(i, None).in_column("x"));
        }
        ps.push(Problem::warning("b.csv", "table has no rows"));
        let lines = ps.summarize(5);
        assert_eq!(lines.len(), 7, "{lines:#?}");
        assert!(lines[5].contains("25 more"), "{}", lines[5]);
        assert_eq!(ps.error_count(), 30);
        assert_eq!(ps.warning_count(), 1);
    }
}
