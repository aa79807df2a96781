//! Plain-text tables on a terminal: widths in terminal columns, so a Chinese rep or team name
//! (two columns a character) lines up with Latin ones.

use anyhow::{Result, bail};
use unicode_width::UnicodeWidthStr;

/// A printing command's `--lang`: whether its table is in Chinese. Chinese is for tables only:
/// JSON and CSV keep the API's keys, so `--lang zh` with them is an error rather than ignored.
pub fn chinese_table(lang: &str, table: bool) -> Result<bool> {
    let zh = match lang.trim().to_ascii_lowercase().as_str() {
        "zh" | "cn" | "zh-cn" | "中文" => true,
        "en" => false,
        other => bail!("--lang must be zh or en, got {other:?}"),
    };
    if zh && !table {
        bail!("--lang zh is for tables (--format table); JSON and CSV keep the API's keys");
    }
    Ok(zh)
}

/// How many terminal columns `s` takes.
pub fn width(s: &str) -> usize {
    s.width()
}

/// `s` followed by spaces up to `w` columns (unchanged when it is wider).
pub fn pad(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(width(s))))
}

/// Spaces up to `w` columns, then `s` (unchanged when it is wider).
pub fn right(s: &str, w: usize) -> String {
    format!("{}{s}", " ".repeat(w.saturating_sub(width(s))))
}

/// The width of a column holding `header` and `values`: the widest of them, at least `min`.
pub fn column_width<'a>(min: usize, header: &str, values: impl IntoIterator<Item = &'a str>) -> usize {
    values.into_iter().map(width).fold(width(header).max(min), usize::max)
}

/// `x` rounded to a whole number with commas between thousands (`1,234,567`).
pub fn thousands(x: f64) -> String {
    let neg = x < 0.0;
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if neg { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_names_take_two_columns_a_character() {
        assert_eq!(width("华东一组"), 8);
        assert_eq!(pad("华东一组", 10), "华东一组  ");
        assert_eq!(pad("east-1", 10), "east-1    ");
        assert_eq!(right("已成交", 8), "  已成交");
        assert_eq!(right("P10", 5), "  P10");
        assert_eq!(pad("Analytics Suite", 4), "Analytics Suite");
        assert_eq!(column_width(6, "team", ["华东一组", "east"]), 8);
    }
}
