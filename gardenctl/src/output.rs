//! Output: `-o json|yaml` for scripts, aligned tables for people.

use anyhow::Result;
use serde::Serialize;

use crate::cli::Output;

/// Prints `value` as JSON (pretty) or YAML.
pub fn print<T: Serialize + ?Sized>(value: &T, format: Output) -> Result<()> {
    match format {
        Output::Json => println!("{}", serde_json::to_string_pretty(value)?),
        Output::Yaml => print!("{}", serde_yaml::to_string(value)?),
    }
    Ok(())
}

/// A table with a header row, columns padded to their widest cell, three spaces apart (kubectl's look).
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let mut out = String::new();
        for (i, cell) in cells.into_iter().enumerate() {
            out.push_str(cell);
            if i < last {
                out.push_str(&" ".repeat(widths[i] - cell.chars().count() + 3));
            }
        }
        out.trim_end().to_string()
    };
    let mut out = line(headers.to_vec());
    for row in rows {
        out.push('\n');
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out.push('\n');
    out
}

/// kubectl's age: `45s`, `12m`, `5h`, `3d`.
pub fn age(since: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>) -> String {
    let Some(t) = since else { return "<unknown>".into() };
    let secs = jiff::Timestamp::now().as_second().saturating_sub(t.0.as_second()).max(0);
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align() {
        let t = table(&["NAME", "AGE"], &[vec!["local".into(), "5m".into()], vec!["a".into(), "1d".into()]]);
        assert_eq!(t, "NAME    AGE\nlocal   5m\na       1d\n");
    }
}
