//! Output for people: aligned tables, a few styles, times and values.
//!
//! Everything goes through `anstream`, which drops the styles when the
//! stream is not a terminal or `NO_COLOR` is set.

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anstyle::{AnsiColor, Style};
use ssmconf::Value;

/// Styles used on stdout.
pub const BOLD: Style = Style::new().bold();
/// Column headers and secondary text.
pub const DIM: Style = Style::new().dimmed();
/// Good news.
pub const GREEN: Style = AnsiColor::Green.on_default();
/// Needs attention.
pub const YELLOW: Style = AnsiColor::Yellow.on_default();
/// A problem.
pub const RED: Style = AnsiColor::Red.on_default().bold();

/// A table whose columns line up; cells may carry a style.
#[derive(Debug, Default)]
pub struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<(String, Style)>>,
}

impl Table {
    /// A table with these column headers (none: no header line).
    pub fn new(header: &[&'static str]) -> Self {
        Table { header: header.to_vec(), rows: Vec::new() }
    }

    /// Adds a row of plain cells.
    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        self.rows.push(cells.into_iter().map(|c| (c.into(), Style::new())).collect());
    }

    /// Adds a row whose cells carry styles.
    pub fn styled_row(&mut self, cells: Vec<(String, Style)>) {
        self.rows.push(cells);
    }

    /// True when no row was added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Writes the header and the rows, columns padded to their widest cell
    /// (the last column is not padded).
    pub fn print(&self, out: &mut impl Write) -> std::io::Result<()> {
        let columns = self.rows.iter().map(Vec::len).chain([self.header.len()]).max().unwrap_or(0);
        let mut widths = vec![0; columns];
        let header: Vec<(String, Style)> = self.header.iter().map(|h| (h.to_string(), DIM)).collect();
        for row in std::iter::once(&header).chain(&self.rows) {
            for (i, (cell, _)) in row.iter().enumerate() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let skip = usize::from(header.is_empty());
        for row in std::iter::once(&header).chain(&self.rows).skip(skip) {
            let mut line = String::new();
            for (i, (cell, style)) in row.iter().enumerate() {
                let last = i + 1 == row.len();
                let pad = if last { 0 } else { widths.get(i).copied().unwrap_or(0) - cell.chars().count() + 2 };
                line.push_str(&format!("{}{cell}{}{}", style.render(), style.render_reset(), " ".repeat(pad)));
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

/// A value as a person reads it: strings bare, everything else as JSON.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A value cut to `max` characters for a table cell.
pub fn cell(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// A time as RFC 3339 in UTC, to the second (`2026-12-01T21:05:17Z`).
pub fn rfc3339(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to a date.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A duration in the largest whole unit that fits: `42s`, `5m`, `3h`, `2d`.
pub fn span(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// "5m ago" or "in 5m", from now.
pub fn relative(time: SystemTime) -> String {
    match SystemTime::now().duration_since(time) {
        Ok(ago) => format!("{} ago", span(ago)),
        Err(e) => format!("in {}", span(e.duration())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_render_as_rfc3339() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(1_796_245_517)), "2026-12-02T21:05:17Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn spans_and_cells() {
        assert_eq!(span(Duration::from_secs(59)), "59s");
        assert_eq!(span(Duration::from_secs(300)), "5m");
        assert_eq!(span(Duration::from_secs(7200)), "2h");
        assert_eq!(cell("abcdef", 4), "abc…");
        assert_eq!(cell("abc", 4), "abc");
    }

    #[test]
    fn tables_align_without_styles_off_a_terminal() {
        let mut t = Table::new(&["KEY", "VALUE"]);
        t.row(["a.long.key", "1"]);
        t.row(["b", "two"]);
        let mut out = anstream::StripStream::new(Vec::new());
        t.print(&mut out).unwrap();
        let text = String::from_utf8(out.into_inner()).unwrap();
        assert_eq!(text, "KEY         VALUE\na.long.key  1\nb           two\n");
    }
}
