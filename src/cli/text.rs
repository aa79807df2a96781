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

/// An amount as planners type it: `9000000`, `9,000,000`, `9_000_000`, `$9M`, `12.5k`,
/// `900万`, `1.2亿`, `¥900万元`, `9e6` (k, M and B, or 万 and 亿, after the number; a currency sign
/// before it or 元 after it is passed over). Commas must stand between thousands: `9,00` is
/// refused rather than guessed at. For clap's `value_parser`.
pub fn parse_amount(s: &str) -> std::result::Result<f64, String> {
    let refuse = || format!("{s:?} is not an amount (e.g. 9000000, 9,000,000, 9M, 900万)");
    // A number as Rust reads it first (`9000000`, `9e6`), as the option took before.
    if let Ok(v) = s.trim().parse::<f64>() {
        return if v.is_finite() { Ok(v) } else { Err(refuse()) };
    }
    let mut t = s.trim();
    let negative = t.starts_with('-');
    t = t.trim_start_matches('-').trim_start_matches(['$', '¥', '￥', '€', '£']).trim();
    let t = t.strip_suffix('元').unwrap_or(t).trim_end().to_lowercase();
    let units = [("亿", 1e8), ("万", 1e4), ("bn", 1e9), ("b", 1e9), ("m", 1e6), ("k", 1e3)];
    let (number, scale) =
        units.iter().find_map(|(u, k)| t.strip_suffix(u).map(|n| (n.trim_end(), *k))).unwrap_or((&t, 1.0));
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let groups: Vec<&str> = whole.split([',', '_']).collect();
    let grouped = groups.len() == 1
        || (!groups[0].is_empty() && groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3));
    let digits = |x: &str| x.chars().all(|c| c.is_ascii_digit());
    if !grouped || whole.is_empty() || !groups.iter().all(|g| digits(g)) || !digits(fraction) {
        return Err(refuse());
    }
    let plain = format!("{}.{}", groups.concat(), if fraction.is_empty() { "0" } else { fraction });
    let v: f64 = plain.parse().map_err(|_| refuse())?;
    let v = v * scale;
    if !v.is_finite() {
        return Err(refuse());
    }
    Ok(if negative { -v } else { v })
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
    fn amounts_read_as_planners_type_them() {
        for (text, want) in [
            ("9000000", 9e6),
            ("9,000,000", 9e6),
            ("9_000_000.50", 9_000_000.5),
            ("$9M", 9e6),
            ("12.5k", 12_500.0),
            ("2bn", 2e9),
            ("900万", 9e6),
            ("1.2亿", 1.2e8),
            ("¥900万元", 9e6),
            (" 100000 ", 1e5),
            ("-5", -5.0),
            ("9e6", 9e6),
        ] {
            assert_eq!(parse_amount(text), Ok(want), "{text}");
        }
        for text in ["", "9,00", "9,0000", ",900", "9.000.000", "lots", "9M万", "1e400", "inf", "NaN", "十万"] {
            assert!(parse_amount(text).is_err(), "{text:?} read");
        }
    }

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
