//! Raw tables: a header and rows of text fields, read from CSV (the `csv` crate, which knows
//! exact line numbers) or Parquet (polars, every column cast to text), or built in memory by an
//! import mapping. Typed parsing happens later, in `load`, the same way for every source.
//!
//! File-level damage — not UTF-8, empty, no header, rows with the wrong number of fields, a
//! truncated or corrupt file — becomes a [`Problem`] here; the rows that can be read still are.
//!
//! A CSV that is not UTF-8 is read in the encoding it is written in when that is clear: UTF-16
//! by its byte-order mark (Excel's "Unicode text"), else the legacy encoding Mozilla's
//! `chardetng` finds (Excel's "CSV" is GBK on a Chinese Windows, windows-1252 on a Western
//! European one), provided the whole file decodes without error in it. The table's name then
//! says so (`leads.csv (GBK)`), so every message about it does. A file that decodes in none
//! stays an error naming the rows that are not UTF-8.

use super::problem::Problem;
use csv::StringRecord;
use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One data row: its 1-based number (header excluded), its file line when known, its fields.
#[derive(Debug, Clone)]
pub struct RawRow {
    pub row: usize,
    pub line: Option<u64>,
    pub fields: StringRecord,
}

/// A readable table: where it came from, its header and a stream of rows. A row that cannot be
/// read comes out as a `Problem` in its place.
pub struct RawTable {
    /// What problems call the file (e.g. `leads.csv`).
    pub file: String,
    pub headers: Vec<String>,
    pub rows: Box<dyn Iterator<Item = Result<RawRow, Problem>>>,
    /// An import mapping declared the table absent from the export (already reported).
    pub declared_empty: bool,
}

impl RawTable {
    /// A table held in memory (for instance the output of an import mapping).
    pub fn in_memory(file: impl Into<String>, headers: Vec<String>, rows: Vec<RawRow>) -> RawTable {
        RawTable { file: file.into(), headers, rows: Box::new(rows.into_iter().map(Ok)), declared_empty: false }
    }

    /// Index of each header name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }
}

/// The file holding table `name` in `dir`: `name.csv`, `name.parquet` or `name.xlsx`. More than
/// one present is an error (which one is meant?); none is `Ok(None)`.
pub fn find_table(dir: &Path, name: &str) -> Result<Option<PathBuf>, Problem> {
    let found: Vec<PathBuf> =
        ["csv", "parquet", "xlsx"].iter().map(|e| dir.join(format!("{name}.{e}"))).filter(|p| p.is_file()).collect();
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        [first, second] => Err(Problem::error(
            display_name(first),
            format!("both {} and {} exist; keep one", display_name(first), display_name(second)),
        )),
        [first, ..] => {
            let names: Vec<String> = found.iter().map(|p| display_name(p)).collect();
            Err(Problem::error(display_name(first), format!("{} all exist; keep one", names.join(", "))))
        }
    }
}

/// The sheet `want` names among `names`: the same name, else the same name with case and
/// surrounding spaces aside, else a position counting from 1.
fn pick_sheet(names: &[String], want: &str) -> Option<String> {
    let fold = |s: &str| s.trim().to_lowercase();
    names
        .iter()
        .find(|n| n.as_str() == want)
        .or_else(|| names.iter().find(|n| fold(n) == fold(want)))
        .or_else(|| want.trim().parse::<usize>().ok().and_then(|i| names.get(i.checked_sub(1)?)))
        .cloned()
}

/// Spreadsheet files, by extension, read with calamine (the first sheet unless one is named).
pub const SPREADSHEETS: [&str; 4] = ["xlsx", "xlsm", "xls", "ods"];

/// How to read a file, beyond what its extension says.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// CSV: the field separator; `None` sniffs it from the header line (`,` `;` tab or `|`).
    pub separator: Option<u8>,
    /// A spreadsheet's sheet, by name (case and surrounding spaces aside) or by position (`2`,
    /// counting from 1); `None` reads the first. Asking for a sheet of a CSV or Parquet file
    /// is an error rather than ignored.
    pub sheet: Option<String>,
}

/// Opens a CSV, Parquet or spreadsheet file by extension.
pub fn open(path: &Path, opts: &ReadOptions) -> Result<RawTable, Problem> {
    let file = display_name(path);
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let spreadsheet = SPREADSHEETS.contains(&ext.as_str());
    if let (Some(sheet), false) = (&opts.sheet, spreadsheet) {
        return Err(Problem::error(
            &file,
            format!("sheet {sheet:?} was asked for, but {file} is not a spreadsheet (.{})", SPREADSHEETS.join(", .")),
        ));
    }
    if ext == "parquet" || ext == "pq" {
        open_parquet(path, file)
    } else if spreadsheet {
        open_spreadsheet(path, file, opts.sheet.as_deref())
    } else {
        open_csv(path, file, opts.separator)
    }
}

fn display_name(path: &Path) -> String {
    path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

/// The separator that splits the first line into the most fields, among `,` `;` tab and `|`.
pub fn sniff_separator(first_line: &[u8]) -> u8 {
    let mut best = (b',', 0usize);
    for sep in [b',', b';', b'\t', b'|'] {
        let n = first_line.iter().filter(|&&b| b == sep).count();
        if n > best.1 {
            best = (sep, n);
        }
    }
    best.0
}

fn open_csv(path: &Path, file: String, separator: Option<u8>) -> Result<RawTable, Problem> {
    let mut f = File::open(path).map_err(|e| Problem::error(&file, format!("cannot open: {e}")))?;
    let mut head = Vec::with_capacity(4096);
    (&mut f).take(HEAD).read_to_end(&mut head).map_err(|e| Problem::error(&file, format!("cannot read: {e}")))?;
    let whole = head.len() < HEAD as usize;
    let rest_read =
        |f: &mut File| rest_is_utf8(&head, f).map_err(|e| Problem::error(&file, format!("cannot read: {e}")));
    // The head alone cannot clear a file: a Western export's first accented name may come
    // after it (`José` in row 5,000), and then every row holding one would be an error.
    if legacy_encoding(&head, whole).is_some() || (!whole && !rest_read(&mut f)?) {
        // Decoded in memory (`csv_from_bytes`): a legacy export is a spreadsheet's size.
        let bytes = std::fs::read(path).map_err(|e| Problem::error(&file, format!("cannot read: {e}")))?;
        return csv_from_bytes(&file, bytes, separator);
    }
    let reader = File::open(path).map_err(|e| Problem::error(&file, format!("cannot open: {e}")))?;
    csv_table(file, &head, reader, separator)
}

/// Bytes that are not UTF-8, as a share of them and the non-ASCII characters that are.
fn utf8_damage(bytes: &[u8]) -> f64 {
    let (mut bad, mut good) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        good += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        bad += chunk.invalid().len();
    }
    bad as f64 / (bad + good).max(1) as f64
}

/// How much of a CSV is read to sniff its separator and encoding.
const HEAD: u64 = 64 * 1024;

/// Whether what `f` holds after `head` (its first bytes, already read) is UTF-8 too, read in
/// chunks; a character cut at a chunk's end is carried into the next. One pass at the speed of
/// the disk cache, for a file that is streamed afterwards.
fn rest_is_utf8(head: &[u8], f: &mut File) -> std::io::Result<bool> {
    let mut carry = match std::str::from_utf8(head) {
        Ok(_) => Vec::new(),
        Err(e) if e.error_len().is_none() => head[e.valid_up_to()..].to_vec(),
        Err(_) => return Ok(false),
    };
    let mut chunk = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut chunk)?;
        if n == 0 {
            return Ok(carry.is_empty());
        }
        carry.extend_from_slice(&chunk[..n]);
        match std::str::from_utf8(&carry) {
            Ok(_) => carry.clear(),
            Err(e) if e.error_len().is_none() => {
                carry.drain(..e.valid_up_to());
            }
            Err(_) => return Ok(false),
        }
    }
}

/// The encoding a CSV whose first bytes are `head` is written in, when it is not UTF-8: UTF-16
/// by its byte-order mark, else `chardetng`'s guess among the legacy encodings. `whole`: `head`
/// is the whole file (else it may end inside a character).
fn legacy_encoding(head: &[u8], whole: bool) -> Option<&'static encoding_rs::Encoding> {
    if head.starts_with(&[0xFF, 0xFE]) {
        return Some(encoding_rs::UTF_16LE);
    }
    if head.starts_with(&[0xFE, 0xFF]) {
        return Some(encoding_rs::UTF_16BE);
    }
    match std::str::from_utf8(head) {
        Ok(_) => None,
        // Cut inside a character at the end of the head: UTF-8 so far.
        Err(e) if e.error_len().is_none() && !whole => None,
        // UTF-8 with a little damage (most non-ASCII characters read as UTF-8): not another
        // encoding, which would garble every one of them; the rows with the bad bytes are
        // errors. (Text in another encoding reads as valid UTF-8 only here and there: GBK's
        // `伟`, CE B0, happens to be UTF-8's `ΰ`.)
        Err(_) if utf8_damage(head) < 0.2 => None,
        Err(_) => {
            let mut detector = chardetng::EncodingDetector::new();
            detector.feed(head, whole);
            Some(detector.guess(None, false))
        }
    }
}

/// A CSV table held in memory (`file` names it in problems), decoded first when it is in
/// another encoding than UTF-8 (see the module's documentation).
pub fn csv_from_bytes(file: &str, bytes: Vec<u8>, separator: Option<u8>) -> Result<RawTable, Problem> {
    // Judged on every byte: a bad byte after the head tells as much as one in it.
    let (file, bytes) = match legacy_encoding(&bytes, true) {
        Some(encoding) => match encoding.decode(&bytes) {
            (text, _, false) => (format!("{file} ({})", encoding.name()), text.into_owned().into_bytes()),
            _ => (file.to_string(), bytes),
        },
        None => (file.to_string(), bytes),
    };
    let head = bytes[..bytes.len().min(HEAD as usize)].to_vec();
    csv_table(file, &head, std::io::Cursor::new(bytes), separator)
}

/// A CSV table from `reader`; `head` is its first bytes, for the empty check and the
/// separator sniff.
fn csv_table<R: Read + 'static>(
    file: String,
    head: &[u8],
    reader: R,
    separator: Option<u8>,
) -> Result<RawTable, Problem> {
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Problem::error(&file, "the file is empty (expected a header line with the column names)"));
    }
    let first_line = body.split(|&b| b == b'\n').next().unwrap_or(body);
    let sep = separator.unwrap_or_else(|| sniff_separator(first_line));
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sep)
        .trim(csv::Trim::All)
        .from_reader(std::io::BufReader::with_capacity(1 << 16, Normalize::new(reader)));

    let mut header = csv::ByteRecord::new();
    match rdr.read_byte_record(&mut header) {
        Ok(true) => {}
        Ok(false) => {
            return Err(Problem::error(&file, "the file is empty (expected a header line with the column names)"));
        }
        Err(e) => return Err(Problem::error(&file, format!("cannot read the header: {e}")).at_row(0, Some(1))),
    }
    let mut headers = Vec::with_capacity(header.len());
    for (i, h) in header.iter().enumerate() {
        match std::str::from_utf8(h) {
            Ok(s) => headers.push(s.to_string()),
            Err(_) => {
                return Err(Problem::error(
                    &file,
                    format!("header field {} is not valid UTF-8 (save the file as UTF-8)", i + 1),
                )
                .at_row(0, Some(1)));
            }
        }
    }
    check_headers(&file, &headers)?;

    let width = headers.len();
    let name = file.clone();
    let column_names = headers.clone();
    let mut row = 0usize;
    let mut done = false;
    let mut rec = csv::ByteRecord::new();
    let rows = std::iter::from_fn(move || {
        if done {
            return None;
        }
        loop {
            match rdr.read_byte_record(&mut rec) {
                Ok(false) => {
                    done = true;
                    return None;
                }
                Err(e) => {
                    // The csv crate only fails on I/O or on invalid UTF-8 in string mode; in byte
                    // mode this is I/O: stop here, after saying so.
                    done = true;
                    row += 1;
                    return Some(Err(Problem::error(&name, format!("cannot read further: {e}")).at_row(row, None)));
                }
                Ok(true) => {}
            }
            row += 1;
            let line = rec.position().map(|p| p.line());
            if rec.len() == 1 && rec.get(0).is_some_and(|f| f.is_empty()) && width > 1 {
                row -= 1; // a blank line: not a row
                continue;
            }
            if rec.len() != width {
                return Some(Err(Problem::error(
                    &name,
                    format!("the row has {} fields but the header has {width} (a ragged or truncated row; check quoting and separators)", rec.len()),
                )
                .at_row(row, line)));
            }
            let mut fields = StringRecord::with_capacity(rec.as_slice().len(), width);
            for (i, f) in rec.iter().enumerate() {
                match std::str::from_utf8(f) {
                    Ok(s) => fields.push_field(s),
                    Err(_) => {
                        return Some(Err(Problem::error(
                            &name,
                            "the value is not valid UTF-8 (save the file as UTF-8)",
                        )
                        .at_row(row, line)
                        .in_column(column_names[i].clone())));
                    }
                }
            }
            return Some(Ok(RawRow { row, line, fields }));
        }
    });
    Ok(RawTable { file, headers, rows: Box::new(rows), declared_empty: false })
}

fn check_headers(file: &str, headers: &[String]) -> Result<(), Problem> {
    let mut seen = HashSet::new();
    for h in headers {
        if h.is_empty() && headers.len() > 1 {
            return Err(Problem::error(file, "the header has an empty column name").at_row(0, Some(1)));
        }
        if !seen.insert(h.as_str()) {
            return Err(Problem::error(file, format!("the header names column {h:?} twice"))
                .at_row(0, Some(1))
                .in_column(h.clone()));
        }
    }
    Ok(())
}

/// Reads past a UTF-8 byte-order mark and turns CRLF line ends into LF. (The `csv` crate
/// accepts CRLF but then reports each record's line one short; files from Windows tools are
/// common in CRM exports, and a wrong line number is worse than none.)
struct Normalize<R> {
    inner: R,
    started: bool,
    /// A `\r` read at the end of the previous chunk, not yet known to precede `\n`.
    held_cr: bool,
    buf: Vec<u8>,
    pos: usize,
}

impl<R: Read> Normalize<R> {
    fn new(inner: R) -> Self {
        Normalize { inner, started: false, held_cr: false, buf: Vec::new(), pos: 0 }
    }

    /// Refills `buf` with the next normalised chunk; `false` at the end of input.
    fn refill(&mut self) -> std::io::Result<bool> {
        let mut raw = vec![0u8; 1 << 16];
        let n = self.inner.read(&mut raw)?;
        raw.truncate(n);
        if !self.started && n > 0 {
            self.started = true;
            // The mark may arrive split over reads; read until 3 bytes or the end.
            while raw.len() < 3 {
                let mut more = [0u8; 3];
                let k = self.inner.read(&mut more[..3 - raw.len()])?;
                if k == 0 {
                    break;
                }
                raw.extend_from_slice(&more[..k]);
            }
            if raw.starts_with(b"\xEF\xBB\xBF") {
                raw.drain(..3);
                if raw.is_empty() {
                    return self.refill();
                }
            }
        }
        self.buf.clear();
        self.pos = 0;
        if raw.is_empty() {
            if std::mem::take(&mut self.held_cr) {
                self.buf.push(b'\r');
                return Ok(true);
            }
            return Ok(false);
        }
        if std::mem::take(&mut self.held_cr) && raw[0] != b'\n' {
            self.buf.push(b'\r');
        }
        for i in 0..raw.len() {
            let b = raw[i];
            if b == b'\r' {
                match raw.get(i + 1) {
                    Some(b'\n') => continue,
                    Some(_) => self.buf.push(b),
                    None => self.held_cr = true,
                }
            } else {
                self.buf.push(b);
            }
        }
        Ok(true)
    }
}

impl<R: Read> Read for Normalize<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.buf.len() {
            if !self.refill()? {
                return Ok(0);
            }
        }
        let k = (self.buf.len() - self.pos).min(out.len());
        out[..k].copy_from_slice(&self.buf[self.pos..self.pos + k]);
        self.pos += k;
        Ok(k)
    }
}

fn open_parquet(path: &Path, file: String) -> Result<RawTable, Problem> {
    use polars::prelude::*;
    let read = || -> PolarsResult<(Vec<String>, Vec<StringChunked>, usize)> {
        let f = std::fs::File::open(path).map_err(|e| PolarsError::IO { error: Arc::new(e), msg: None })?;
        let df = ParquetReader::new(f).finish()?;
        let mut headers = Vec::new();
        let mut cols = Vec::new();
        for c in df.columns() {
            headers.push(c.name().to_string());
            let s = c.as_materialized_series().cast(&DataType::String)?;
            cols.push(s.str()?.clone());
        }
        Ok((headers, cols, df.height()))
    };
    // A corrupt file must not take the process down, whatever the reader does with it.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
    let (headers, cols, height) = match result {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => return Err(Problem::error(&file, format!("cannot read the Parquet file: {e}"))),
        Err(_) => return Err(Problem::error(&file, "cannot read the Parquet file: it is corrupt or truncated")),
    };
    if headers.is_empty() {
        return Err(Problem::error(&file, "the Parquet file has no columns"));
    }
    check_headers(&file, &headers)?;
    let rows = (0..height).map(move |i| {
        let mut fields = StringRecord::with_capacity(64, cols.len());
        for c in &cols {
            fields.push_field(c.get(i).unwrap_or(""));
        }
        Ok(RawRow { row: i + 1, line: None, fields })
    });
    Ok(RawTable { file, headers, rows: Box::new(rows), declared_empty: false })
}

/// The first sheet of a spreadsheet (`.xlsx`, `.xlsm`, `.xls`, `.ods`) as a table: its first
/// used row the header, cells as text the way the CSV readers expect them — numbers as Rust
/// prints them (`1234.5`, `3`), dates formatted as dates in ISO (`2026-07-01`, with the time when
/// there is one), `true`/`false`, and formula errors (`#N/A`, `#DIV/0!`) as missing. The
/// table's name says which sheet (`商机.xlsx (sheet 商机)`), and a row's line is the row
/// number the spreadsheet shows. Rows above the table with a single filled cell (a title, an
/// export date) are passed over to the first row with two or more, the header. Blank rows are
/// skipped; columns right of the last named header are not read (a stray note beside a table
/// has no column name to be read by).
fn open_spreadsheet(path: &Path, file: String, sheet: Option<&str>) -> Result<RawTable, Problem> {
    use calamine::{Data, Reader};
    let unreadable =
        |e: String| format!("cannot read the spreadsheet ({e}); is it a workbook as a spreadsheet program saves it?");
    let asked = sheet.is_some();
    let read = || -> Result<(String, Vec<String>, calamine::Range<Data>), String> {
        let mut wb = calamine::open_workbook_auto(path).map_err(|e| unreadable(e.to_string()))?;
        let names = wb.sheet_names();
        let name = match sheet {
            None => names.first().cloned().ok_or_else(|| unreadable("the workbook has no sheet".into()))?,
            Some(want) => pick_sheet(&names, want)
                .ok_or_else(|| format!("no sheet {want:?} in the workbook (its sheets: {})", names.join(", ")))?,
        };
        let range = wb.worksheet_range(&name).map_err(|e| unreadable(e.to_string()))?;
        let others = names.into_iter().filter(|n| *n != name).collect();
        Ok((name, others, range))
    };
    // A corrupt file must not take the process down, whatever the reader does with it.
    let (sheet, others, range) = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)) {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => return Err(Problem::error(&file, e)),
        Err(_) => return Err(Problem::error(&file, "cannot read the spreadsheet: it is corrupt or truncated")),
    };
    let text = |d: &Data| -> String {
        match d {
            Data::Empty | Data::Error(_) => String::new(),
            Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
            Data::Int(i) => i.to_string(),
            Data::Float(x) => x.to_string(),
            Data::Bool(b) => b.to_string(),
            Data::DateTime(dt) => match dt.as_datetime() {
                Some(t) if !dt.is_duration() && t.time() == chrono::NaiveTime::MIN => t.date().to_string(),
                Some(t) if !dt.is_duration() => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
                _ => dt.as_f64().to_string(),
            },
        }
    };
    // A title or a note above the table (`2024年商机明细` merged across the first row, an export
    // date below it): rows with one filled cell before the first with two or more are not the
    // header. The table's name then says where the header is.
    let filled = |r: &[Data]| r.iter().filter(|c| !text(c).trim().is_empty()).count();
    let titles = range.rows().position(|r| filled(r) >= 2).unwrap_or(0);
    let first_row = range.start().map_or(0, |(r, _)| r as u64) + titles as u64;
    // Read by default from a workbook of several sheets, the table says what else is there.
    let which = match (&others[..], asked) {
        ([], _) | (_, true) => format!("sheet {sheet}"),
        (others, false) => {
            let shown: Vec<&str> = others.iter().take(5).map(String::as_str).collect();
            let more = if others.len() > shown.len() { ", …" } else { "" };
            format!("first of sheets {sheet}, {}{more}", shown.join(", "))
        }
    };
    let file = if titles > 0 {
        format!("{file} ({which}, header in row {})", first_row + 1)
    } else {
        format!("{file} ({which})")
    };
    let mut rows = range.rows().skip(titles);
    let Some(header) = rows.next() else {
        return Err(Problem::error(&file, "the sheet is empty (expected a header row with the column names)"));
    };
    let mut headers: Vec<String> = header.iter().map(|c| text(c).trim().to_string()).collect();
    while headers.last().is_some_and(String::is_empty) {
        headers.pop();
    }
    if headers.is_empty() {
        return Err(Problem::error(&file, "the sheet is empty (expected a header row with the column names)"));
    }
    check_headers(&file, &headers).map_err(|p| p.at_row(0, Some(first_row + 1)))?;
    let width = headers.len();
    let mut out = Vec::new();
    let mut row = 0usize;
    for (i, cells) in rows.enumerate() {
        let fields: Vec<String> =
            (0..width).map(|c| cells.get(c).map(|d| text(d).trim().to_string()).unwrap_or_default()).collect();
        if fields.iter().all(String::is_empty) {
            continue; // a blank row: not a row
        }
        row += 1;
        let mut record = StringRecord::with_capacity(64, width);
        fields.iter().for_each(|f| record.push_field(f));
        out.push(Ok(RawRow { row, line: Some(first_row + i as u64 + 2), fields: record }));
    }
    Ok(RawTable { file, headers, rows: Box::new(out.into_iter()), declared_empty: false })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::type_complexity)] // test helper: (header, rows) as the reader yields them
    fn read_all(bytes: &[u8]) -> Result<(Vec<String>, Vec<Result<RawRow, Problem>>), Problem> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        std::fs::write(&p, bytes).unwrap();
        let t = open(&p, &ReadOptions::default())?;
        Ok((t.headers, t.rows.collect()))
    }

    #[test]
    fn reads_rows_with_lines_and_strips_bom() {
        let (h, rows) = read_all(b"\xEF\xBB\xBFa,b\n1,2\n\"x\ny\",3\n4,5\n").unwrap();
        assert_eq!(h, ["a", "b"]);
        let rows: Vec<RawRow> = rows.into_iter().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!((rows[2].row, rows[2].line), (3, Some(5)));
        assert_eq!(&rows[1].fields[0], "x\ny");
    }

    #[test]
    fn crlf_files_report_true_line_numbers() {
        let (_, rows) = read_all(b"a,b\r\n1,2\r\n\"x\r\ny\",3\r\n4,5\r\n").unwrap();
        let rows: Vec<RawRow> = rows.into_iter().map(Result::unwrap).collect();
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [Some(2), Some(3), Some(5)]);
        assert_eq!(&rows[1].fields[0], "x\ny");
    }

    #[test]
    fn normalize_handles_marks_and_line_ends_split_across_reads() {
        struct Trickle(Vec<u8>, usize);
        impl Read for Trickle {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                if self.1 >= self.0.len() || out.is_empty() {
                    return Ok(0);
                }
                out[0] = self.0[self.1];
                self.1 += 1;
                Ok(1)
            }
        }
        let mut s = String::new();
        Normalize::new(Trickle(b"\xEF\xBB\xBFa\r\nb\rc\r".to_vec(), 0)).read_to_string(&mut s).unwrap();
        assert_eq!(s, "a\nb\rc\r");
    }

    #[test]
    fn sniffs_semicolons() {
        let (h, rows) = read_all(b"\"age\";\"job\"\n30;\"admin.\"\n").unwrap();
        assert_eq!(h, ["age", "job"]);
        assert_eq!(&rows[0].as_ref().unwrap().fields[1], "admin.");
    }

    #[test]
    fn legacy_encodings_are_told_from_damaged_utf8() {
        let enc = |text: &str, e: &'static encoding_rs::Encoding| e.encode(text).0.into_owned();
        let zh = &format!("rep_id,name\n{}", "R001,王伟\nR002,李勇\nR003,张秀英\n".repeat(10));
        let fr = "ville,secteur\nMontréal,élevé\nQuébec,moyen\nZürich,faible\n";
        assert_eq!(legacy_encoding(zh.as_bytes(), true), None);
        assert_eq!(legacy_encoding(&enc(zh, encoding_rs::GBK), true), Some(encoding_rs::GBK));
        assert_eq!(legacy_encoding(&enc(fr, encoding_rs::WINDOWS_1252), true), Some(encoding_rs::WINDOWS_1252));
        assert_eq!(legacy_encoding(&[0xFF, 0xFE, b'a', 0], true), Some(encoding_rs::UTF_16LE));
        // One bad byte among UTF-8 names: damage, not an encoding.
        let mut damaged = zh.as_bytes().to_vec();
        let at = damaged.len() - 2;
        damaged[at] = 0xFF;
        assert_eq!(legacy_encoding(&damaged, true), None);
        // A head cut inside a character is UTF-8 so far.
        let cut = &zh.as_bytes()[..zh.len() - 2];
        assert_eq!(legacy_encoding(cut, false), None);
    }

    #[test]
    fn the_encoding_is_judged_on_the_whole_file_not_its_head() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        // A Western export whose first accented name comes after the sniffed head.
        let mut text = String::from("name,n\n");
        text.push_str(&"Smith,1\n".repeat(HEAD as usize / 8 + 10));
        text.push_str("José,2\nZoë,3\n");
        std::fs::write(&p, encoding_rs::WINDOWS_1252.encode(&text).0).unwrap();
        let t = open(&p, &ReadOptions::default()).unwrap();
        assert_eq!(t.file, "t.csv (windows-1252)");
        let rows: Vec<RawRow> = t.rows.map(Result::unwrap).collect();
        assert_eq!(&rows[rows.len() - 2].fields[0], "José");
        // UTF-8 over three read chunks, a character cut at both chunk ends (13-byte rows after a
        // 7-byte header: the chunks start at bytes 5 and 1 of a row): streamed as UTF-8.
        std::fs::write(&p, "name,n\n".to_string() + &"ëëëëë,1\n".repeat(200_000)).unwrap();
        let mut t = open(&p, &ReadOptions::default()).unwrap();
        assert_eq!(t.file, "t.csv");
        assert!(t.rows.all(|r| r.is_ok_and(|r| &r.fields[0] == "ëëëëë")));
        // A UTF-8 file damaged after its head stays UTF-8: the damaged row is the error.
        let mut bytes = ("name,n\n".to_string() + &"Zoë,1\n".repeat(20_000)).into_bytes();
        bytes.extend(b"\xff,2\n");
        std::fs::write(&p, bytes).unwrap();
        let t = open(&p, &ReadOptions::default()).unwrap();
        assert_eq!(t.file, "t.csv");
        let rows: Vec<_> = t.rows.collect();
        assert!(rows[..20_000].iter().all(Result::is_ok));
        assert!(rows[20_000].as_ref().unwrap_err().message.contains("UTF-8"));
    }

    #[test]
    fn a_spreadsheet_reads_like_the_csv_it_would_export() {
        // tests/fixtures/cells.xlsx: sheet 线索 (a second sheet is not read), a header, typed
        // cells, dates formatted as dates, a #N/A, a blank row, a note beside the table.
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cells.xlsx");
        let t = open(&p, &ReadOptions::default()).unwrap();
        assert_eq!(t.file, "cells.xlsx (first of sheets 线索, other)");
        assert_eq!(t.headers, ["lead_id", "金额", "created", "converted", "note"]);
        let rows: Vec<RawRow> = t.rows.map(Result::unwrap).collect();
        let cells = |r: &RawRow| r.fields.iter().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(cells(&rows[0]), ["L1", "1234.5", "2026-07-01", "true", "首次接触"]);
        assert_eq!(cells(&rows[1]), ["L2", "3", "2026-07-02T09:30:00", "false", ""]);
        // The blank sheet row 4 is not a row; the formula error is missing; lines are the
        // sheet's row numbers.
        assert_eq!(cells(&rows[2]), ["L3", "", "2024-04-25", "false", "x"]);
        assert_eq!(
            rows.iter().map(|r| (r.row, r.line)).collect::<Vec<_>>(),
            [(1, Some(2)), (2, Some(3)), (3, Some(5))]
        );
        // Another sheet, by name (case aside) or position; one that is not there, or a sheet
        // of a CSV, is an error that says what there is.
        let sheet = |name: &str| ReadOptions { sheet: Some(name.into()), ..Default::default() };
        for name in ["other", " Other", "2"] {
            let t = open(&p, &sheet(name)).unwrap();
            assert_eq!((t.file.as_str(), &t.headers[..]), ("cells.xlsx (sheet other)", &["ignored".to_string()][..]));
        }
        assert_eq!(open(&p, &sheet("1")).unwrap().file, "cells.xlsx (sheet 线索)");
        for (name, message) in [
            ("3", r#"cells.xlsx: no sheet "3" in the workbook (its sheets: 线索, other)"#),
            ("0", r#"cells.xlsx: no sheet "0" in the workbook (its sheets: 线索, other)"#),
            ("leads", r#"cells.xlsx: no sheet "leads" in the workbook (its sheets: 线索, other)"#),
        ] {
            assert_eq!(open(&p, &sheet(name)).err().expect(name).located(), message);
        }
        let csv = tempfile::tempdir().unwrap();
        std::fs::write(csv.path().join("t.csv"), "a,b\n1,2\n").unwrap();
        let e = open(&csv.path().join("t.csv"), &sheet("2")).err().expect("a sheet of a CSV");
        assert!(e.located().starts_with(r#"t.csv: sheet "2" was asked for, but t.csv is not a spreadsheet"#), "{e}");
        // Not a spreadsheet, or a damaged one: an error naming the file, no panic.
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in [("empty.xlsx", Vec::new()), ("text.xlsx", b"a,b\n1,2\n".to_vec())] {
            let q = dir.path().join(name);
            std::fs::write(&q, &bytes).unwrap();
            let e = open(&q, &ReadOptions::default()).err().expect("an error");
            assert!(e.to_string().contains(&format!("{name}: cannot read the spreadsheet (")), "{e}");
        }
        // A title and an export date above the header (tests/fixtures/titled.xlsx).
        let t =
            open(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/titled.xlsx"), &ReadOptions::default())
                .unwrap();
        assert_eq!(t.file, "titled.xlsx (sheet 商机, header in row 4)");
        assert_eq!(t.headers, ["商机编号", "金额", "状态"]);
        let rows: Vec<RawRow> = t.rows.map(Result::unwrap).collect();
        assert_eq!(cells(&rows[0]), ["O1", "51993", "赢单"]);
        assert_eq!(rows.iter().map(|r| (r.row, r.line)).collect::<Vec<_>>(), [(1, Some(5)), (2, Some(6))]);
        let mut cut = std::fs::read(&p).unwrap();
        cut.truncate(cut.len() / 2);
        let q = dir.path().join("cut.xlsx");
        std::fs::write(&q, cut).unwrap();
        assert!(open(&q, &ReadOptions::default()).is_err());
        // Damaged anywhere (a few bytes changed, 300 seeded ways): read or refused, never a
        // panic, every row whole.
        let whole = std::fs::read(&p).unwrap();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..300 {
            let mut bytes = whole.clone();
            for _ in 0..1 + next(4) {
                let at = next(bytes.len());
                bytes[at] = next(256) as u8;
            }
            std::fs::write(&q, &bytes).unwrap();
            if let Ok(mut t) = open(&q, &ReadOptions::default()) {
                let width = t.headers.len();
                assert!(t.rows.all(|r| r.is_ok_and(|r| r.fields.len() == width)));
            }
        }
    }

    #[test]
    fn ragged_and_non_utf8_rows_are_problems_with_locations() {
        // UTF-8 (its other rows say so) with two bytes that are not.
        let mut bytes = b"a,b\n1,2,3\n\xff\xfe,2\n5,6\n".to_vec();
        bytes.extend("café,Zürich\n".repeat(10).bytes());
        let (_, rows) = read_all(&bytes).unwrap();
        let e = rows[0].as_ref().unwrap_err();
        assert_eq!((e.row, e.line), (Some(1), Some(2)));
        assert!(e.message.contains("3 fields"), "{e}");
        let e = rows[1].as_ref().unwrap_err();
        assert!(e.message.contains("UTF-8"), "{e}");
        assert_eq!(e.row, Some(2));
        assert!(rows[2].is_ok());
    }

    #[test]
    fn empty_and_header_problems() {
        assert!(read_all(b"").unwrap_err().message.contains("empty"));
        assert!(read_all(b"  \n\n").unwrap_err().message.contains("empty"));
        assert!(read_all(b"a,a\n1,2\n").unwrap_err().message.contains("twice"));
    }
}
