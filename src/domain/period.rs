//! Reporting periods: quarters (`2026Q3`) and months (`2026-07`).

use chrono::{Datelike, NaiveDate};
use std::fmt;
use std::str::FromStr;

/// A calendar quarter or month. Parsed from `2026Q3` or `2026-07`; always a valid period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    Quarter { year: i32, quarter: u8 },
    Month { year: i32, month: u8 },
}

impl Period {
    /// The quarter that contains `date`.
    pub fn quarter_of(date: NaiveDate) -> Period {
        Period::Quarter { year: date.year(), quarter: ((date.month0() / 3) + 1) as u8 }
    }

    /// The month that contains `date`.
    pub fn month_of(date: NaiveDate) -> Period {
        Period::Month { year: date.year(), month: date.month() as u8 }
    }

    /// First day of the period.
    pub fn start(self) -> NaiveDate {
        let (y, m) = match self {
            Period::Quarter { year, quarter } => (year, (quarter as u32 - 1) * 3 + 1),
            Period::Month { year, month } => (year, month as u32),
        };
        NaiveDate::from_ymd_opt(y, m, 1).expect("a valid period has a valid first day")
    }

    /// First day after the period.
    pub fn end_exclusive(self) -> NaiveDate {
        self.next().start()
    }

    /// Last day of the period.
    pub fn last_day(self) -> NaiveDate {
        self.end_exclusive().pred_opt().expect("dates before year -262144 are not periods")
    }

    /// Whether `date` falls in the period.
    pub fn contains(self, date: NaiveDate) -> bool {
        self.start() <= date && date < self.end_exclusive()
    }

    /// The period that follows.
    pub fn next(self) -> Period {
        self.offset(1)
    }

    /// The period `n` steps later (or earlier when negative).
    pub fn offset(self, n: i32) -> Period {
        match self {
            Period::Quarter { year, quarter } => {
                let i = year * 4 + (quarter as i32 - 1) + n;
                Period::Quarter { year: i.div_euclid(4), quarter: (i.rem_euclid(4) + 1) as u8 }
            }
            Period::Month { year, month } => {
                let i = year * 12 + (month as i32 - 1) + n;
                Period::Month { year: i.div_euclid(12), month: (i.rem_euclid(12) + 1) as u8 }
            }
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Through `pad`, so `{:<8}` lines periods up in tables.
        f.pad(&match self {
            Period::Quarter { year, quarter } => format!("{year}Q{quarter}"),
            Period::Month { year, month } => format!("{year}-{month:02}"),
        })
    }
}

impl FromStr for Period {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("cannot parse {s:?} as a period (expected a quarter like 2026Q3 or a month like 2026-07)");
        let t = s.trim();
        if let Some((y, q)) = t.split_once(['Q', 'q']) {
            if y.len() != 4 {
                return Err(bad());
            }
            let year: i32 = y.parse().map_err(|_| bad())?;
            let quarter: u8 = q.parse().map_err(|_| bad())?;
            if !(1..=4).contains(&quarter) || !(1..=9999).contains(&year) {
                return Err(bad());
            }
            return Ok(Period::Quarter { year, quarter });
        }
        if let Some((y, m)) = t.split_once('-') {
            if y.len() != 4 || m.len() != 2 {
                return Err(bad());
            }
            let year: i32 = y.parse().map_err(|_| bad())?;
            let month: u8 = m.parse().map_err(|_| bad())?;
            if !(1..=12).contains(&month) || !(1..=9999).contains(&year) {
                return Err(bad());
            }
            return Ok(Period::Month { year, month });
        }
        Err(bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn parse_and_print() {
        for s in ["2026Q3", "2026-07", "1999Q1", "2030-12"] {
            assert_eq!(s.parse::<Period>().unwrap().to_string(), s);
            // Width and alignment hold, as tables use them.
            assert_eq!(format!("{:<9}|", s.parse::<Period>().unwrap()), format!("{s:<9}|"));
        }
        for bad in ["2026Q5", "2026Q0", "2026-13", "2026-7", "26Q1", "Q3", "", "2026", "2026-00"] {
            assert!(bad.parse::<Period>().is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn boundaries() {
        let q: Period = "2026Q4".parse().unwrap();
        assert_eq!(q.start(), d("2026-10-01"));
        assert_eq!(q.last_day(), d("2026-12-31"));
        assert_eq!(q.next().to_string(), "2027Q1");
        assert_eq!(q.offset(-4).to_string(), "2025Q4");
        assert!(q.contains(d("2026-12-31")) && !q.contains(d("2027-01-01")));
        assert_eq!(Period::quarter_of(d("2026-09-30")).to_string(), "2026Q3");
        let m: Period = "2026-12".parse().unwrap();
        assert_eq!(m.next().to_string(), "2027-01");
        assert_eq!(m.offset(-12).to_string(), "2025-12");
        assert_eq!(Period::month_of(d("2024-02-29")).last_day(), d("2024-02-29"));
    }
}
