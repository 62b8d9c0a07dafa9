//! CSV as the server writes and reads it: one module for every export (the console's lists,
//! issue 20's reports) and every import (`hwf-license site import`, the console's bulk import).
//!
//! - **Formula protection.** A spreadsheet runs a cell that begins with `=`, `+`, `-`, `@`, TAB
//!   or CR as a formula. [`Writer`] prefixes such a cell with `'` (which spreadsheets show as
//!   text and hide), and [`read`] removes exactly that prefix, so an export reads back as what
//!   was exported. To keep that a bijection, a cell that already begins with `'`s followed by one
//!   of those characters gets one more `'` on export (and loses one on import); every other cell
//!   is written and read as it is. See [`protect`] and [`unprotect`].
//! - **Bounds.** [`Limits`] caps the input's bytes, the data rows, each record's bytes ("line",
//!   quoted newlines included) and each cell's bytes. Over the byte or row cap the whole input
//!   is refused ([`CsvError`]); a record over the line or cell cap, or one that is malformed, is
//!   that row's error ([`RowError`]) and the other rows still read.
//! - **Shape.** RFC 4180: comma-separated, `"`-quoted where needed, CRLF line ends on export (LF
//!   or CRLF read), UTF-8 (a leading byte-order mark, as Excel writes, is ignored). The first
//!   record is the header; column names are unique.

use std::borrow::Cow;

/// Characters that make a spreadsheet read a cell as a formula.
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Caps on what [`read`] accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest input (bytes).
    pub max_bytes: usize,
    /// Most data rows (the header not counted).
    pub max_rows: usize,
    /// Largest record (bytes of the input it spans, quotes and line end included).
    pub max_line: usize,
    /// Largest cell (bytes, after unquoting).
    pub max_cell: usize,
    /// Most columns.
    pub max_columns: usize,
}

impl Limits {
    /// The site import's caps: 1,000 rows (each is a signed license; 1,000 take a few seconds,
    /// well inside a request's time limit), 512 KiB (a console form carries the file back for
    /// the commit within the console's 1 MiB body limit), 4 KiB a record, 1 KiB a cell, 32
    /// columns.
    pub const SITE_IMPORT: Self = Self {
        max_bytes: 512 << 10,
        max_rows: 1_000,
        max_line: 4096,
        max_cell: 1024,
        max_columns: 32,
    };
}

/// Why an input is refused as a whole.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsvError {
    /// More bytes than [`Limits::max_bytes`].
    #[error("the file is {bytes} bytes; at most {max} are read")]
    TooLarge {
        /// The input's size.
        bytes: usize,
        /// The cap.
        max: usize,
    },
    /// More data rows than [`Limits::max_rows`].
    #[error("the file has more than {max} rows; split it")]
    TooManyRows {
        /// The cap.
        max: usize,
    },
    /// No header record.
    #[error("the file is empty: the first line must name the columns")]
    NoHeader,
    /// The header is malformed, too wide, or names a column twice.
    #[error("the header (line 1) {0}")]
    Header(String),
}

/// Why one row is not read (the other rows are).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RowError {
    /// A record over [`Limits::max_line`].
    #[error("the row is {bytes} bytes long; at most {max} are read")]
    LineTooLong {
        /// The record's size.
        bytes: usize,
        /// The cap.
        max: usize,
    },
    /// A cell over [`Limits::max_cell`].
    #[error("column {column:?} is {bytes} bytes long; at most {max} are read")]
    CellTooLong {
        /// The column's name (from the header).
        column: String,
        /// The cell's size.
        bytes: usize,
        /// The cap.
        max: usize,
    },
    /// Not as many cells as the header has columns.
    #[error("the row has {found} cells and the header {expected}")]
    Width {
        /// The header's columns.
        expected: usize,
        /// This row's cells.
        found: usize,
    },
    /// Not CSV (an unbalanced quote, bytes that are not UTF-8, …).
    #[error("the row is not valid CSV: {0}")]
    Malformed(String),
}

/// One data row of a [`Table`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The line of the input the record starts on (the header is line 1).
    pub line: u64,
    /// The cells, one per header column, with the formula prefix removed; or why not.
    pub cells: Result<Vec<String>, RowError>,
}

/// A read CSV input: its header and its data rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// Column names, in order.
    pub header: Vec<String>,
    /// Data rows, in order.
    pub rows: Vec<Row>,
}

impl Table {
    /// The index of column `name`, if the header has it.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

/// Whether `cell` gets the `'` prefix on export: it begins, after any `'`s, with one of
/// [`FORMULA_STARTS`].
fn needs_prefix(cell: &str) -> bool {
    cell.trim_start_matches('\'')
        .starts_with(|c: char| FORMULA_STARTS.contains(&c))
}

/// A cell as exported: with one `'` in front when a spreadsheet would otherwise run it (or
/// when it already is such a protected cell; see the module doc).
pub fn protect(cell: &str) -> Cow<'_, str> {
    if needs_prefix(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A cell as imported: [`protect`]'s prefix removed (exactly one `'`, and only where
/// [`protect`] adds one), every other cell as it is.
pub fn unprotect(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_prefix(rest) => rest,
        _ => cell,
    }
}

/// Writes CSV, protecting every cell ([`protect`]).
pub struct Writer {
    inner: csv::Writer<Vec<u8>>,
}

impl Default for Writer {
    fn default() -> Self {
        Self::new()
    }
}

impl Writer {
    /// An empty output.
    pub fn new() -> Self {
        Self {
            inner: csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(Vec::new()),
        }
    }

    /// Appends one record (the header is the first).
    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let record: Vec<String> = cells
            .into_iter()
            .map(|c| protect(c.as_ref()).into_owned())
            .collect();
        // Writing to a Vec<u8> cannot fail, and every record is written the same way.
        self.inner
            .write_record(&record)
            .expect("CSV to memory cannot fail");
    }

    /// The CSV text.
    pub fn finish(self) -> String {
        let bytes = self
            .inner
            .into_inner()
            .unwrap_or_else(|e| e.into_inner().get_ref().clone());
        String::from_utf8(bytes).expect("the records were UTF-8 strings")
    }
}

/// Reads `text` (header first) within `limits`. `trim` removes the spaces (U+0020 only)
/// around each cell before the prefix is removed, for files people type (`a, b`). Other
/// whitespace stays: a TAB, CR or LF a cell begins or ends with is part of the value (a TAB or
/// CR it begins with was protected on export), so an export whose cells neither begin nor end
/// with a space reads back exactly with `trim` too.
pub fn read(text: &str, limits: &Limits, trim: bool) -> Result<Table, CsvError> {
    if text.len() > limits.max_bytes {
        return Err(CsvError::TooLarge {
            bytes: text.len(),
            max: limits.max_bytes,
        });
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = rdr.byte_records();
    let header = match records.next() {
        None => return Err(CsvError::NoHeader),
        Some(Err(e)) => return Err(CsvError::Header(format!("is not valid CSV: {e}"))),
        Some(Ok(h)) => h,
    };
    if header.len() > limits.max_columns {
        return Err(CsvError::Header(format!(
            "has {} columns; at most {} are read",
            header.len(),
            limits.max_columns
        )));
    }
    let mut names: Vec<String> = Vec::with_capacity(header.len());
    for h in header.iter() {
        let name = std::str::from_utf8(h).map_err(|_| CsvError::Header("is not UTF-8".into()))?;
        let name = if trim { name.trim_matches(' ') } else { name };
        if name.len() > limits.max_cell {
            return Err(CsvError::Header(format!(
                "has a column name over {} bytes",
                limits.max_cell
            )));
        }
        let name = unprotect(name).to_string();
        if names.contains(&name) {
            return Err(CsvError::Header(format!("names column {name:?} twice")));
        }
        names.push(name);
    }
    let mut rows = Vec::new();
    let mut after = records.reader().position().byte();
    while let Some(rec) = records.next() {
        if rows.len() == limits.max_rows {
            return Err(CsvError::TooManyRows {
                max: limits.max_rows,
            });
        }
        let pos = match &rec {
            Ok(r) => r.position(),
            Err(e) => e.position(),
        };
        let (begin, row_line) = pos.map_or((after, 0), |p| (p.byte(), p.line()));
        // The record's bytes: from its start to where the reader stopped after it, so quotes
        // and the line end count.
        after = records.reader().position().byte();
        let bytes = usize::try_from(after.saturating_sub(begin)).unwrap_or(usize::MAX);
        let cells = match rec {
            Err(e) => Err(RowError::Malformed(e.to_string())),
            Ok(_) if bytes > limits.max_line => Err(RowError::LineTooLong {
                bytes,
                max: limits.max_line,
            }),
            Ok(r) if r.len() != names.len() => Err(RowError::Width {
                expected: names.len(),
                found: r.len(),
            }),
            Ok(r) => cells_of(&r, &names, limits, trim),
        };
        rows.push(Row {
            line: row_line,
            cells,
        });
    }
    Ok(Table {
        header: names,
        rows,
    })
}

fn cells_of(
    r: &csv::ByteRecord,
    names: &[String],
    limits: &Limits,
    trim: bool,
) -> Result<Vec<String>, RowError> {
    r.iter()
        .zip(names)
        .map(|(c, name)| {
            if c.len() > limits.max_cell {
                return Err(RowError::CellTooLong {
                    column: name.clone(),
                    bytes: c.len(),
                    max: limits.max_cell,
                });
            }
            let s = std::str::from_utf8(c)
                .map_err(|_| RowError::Malformed(format!("column {name:?} is not UTF-8")))?;
            let s = if trim { s.trim_matches(' ') } else { s };
            Ok(unprotect(s).to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const WIDE: Limits = Limits {
        max_bytes: 1 << 20,
        max_rows: 1000,
        max_line: 1 << 16,
        max_cell: 1 << 14,
        max_columns: 64,
    };

    fn export(rows: &[Vec<String>]) -> String {
        let mut w = Writer::new();
        for r in rows {
            w.row(r);
        }
        w.finish()
    }

    fn cells(t: &Table) -> Vec<Vec<String>> {
        t.rows.iter().map(|r| r.cells.clone().unwrap()).collect()
    }

    #[test]
    fn formula_cells_are_prefixed_and_the_prefix_is_removed() {
        for (cell, out) in [
            ("=1+1", "'=1+1"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'=1", "''=1"),
            ("''-x", "'''-x"),
            ("a=1", "a=1"),
            ("'quoted'", "'quoted'"),
            ("'", "'"),
            ("", ""),
            (" =1", " =1"),
        ] {
            assert_eq!(protect(cell), out, "{cell:?}");
            assert_eq!(unprotect(out), cell, "{out:?}");
        }
        let text = export(&[vec!["a".into()], vec!["=HYPERLINK(\"x\")".into()]]);
        assert_eq!(text, "a\r\n\"'=HYPERLINK(\"\"x\"\")\"\r\n");
        assert!(!text.contains(",="), "no cell starts with = in the file");
    }

    #[test]
    fn caps_refuse_the_input_or_the_row() {
        let small = Limits {
            max_bytes: 200,
            max_rows: 2,
            max_line: 40,
            max_cell: 10,
            max_columns: 3,
        };
        assert_eq!(
            read(&"x".repeat(201), &small, false),
            Err(CsvError::TooLarge {
                bytes: 201,
                max: 200
            })
        );
        assert_eq!(
            read("a\n1\n2\n3\n", &small, false),
            Err(CsvError::TooManyRows { max: 2 })
        );
        assert_eq!(read("", &small, false), Err(CsvError::NoHeader));
        assert!(matches!(
            read("a,b,c,d\n", &small, false),
            Err(CsvError::Header(m)) if m.contains("4 columns")
        ));
        assert!(matches!(
            read("a,a\n", &small, false),
            Err(CsvError::Header(m)) if m.contains("twice")
        ));
        let t = read("a,b\nok,1\n01234567890,2\n", &small, false).unwrap();
        assert_eq!(t.rows[0].cells, Ok(vec!["ok".into(), "1".into()]));
        assert_eq!(
            t.rows[1].cells,
            Err(RowError::CellTooLong {
                column: "a".into(),
                bytes: 11,
                max: 10
            })
        );
        assert_eq!(t.rows[1].line, 3);
        let t = read(
            "a,b\n\"0123456789\",\"0123456789012345678901234567\"\n",
            &small,
            false,
        )
        .unwrap();
        assert!(
            matches!(t.rows[0].cells, Err(RowError::LineTooLong { max: 40, .. })),
            "{:?}",
            t.rows[0].cells
        );
        let t = read("a,b\n1\n1,2,3\n", &small, false).unwrap();
        assert_eq!(
            (t.rows[0].cells.clone(), t.rows[1].cells.clone()),
            (
                Err(RowError::Width {
                    expected: 2,
                    found: 1
                }),
                Err(RowError::Width {
                    expected: 2,
                    found: 3
                })
            )
        );
    }

    #[test]
    fn trimming_removes_spaces_only() {
        // The site import trims: a TAB, CR or LF a value begins or ends with must survive it,
        // or an exported deployment tag would come back changed.
        let text = export(&[
            vec!["a".into(), "b".into(), "c".into()],
            vec!["\tx".into(), "y\t".into(), "\nz\r\n".into()],
        ]);
        let t = read(&text, &WIDE, true).unwrap();
        assert_eq!(cells(&t), [["\tx", "y\t", "\nz\r\n"]]);
        let t = read(" a ,b\n x\t, 'y \n", &WIDE, true).unwrap();
        assert_eq!(
            (t.header.clone(), cells(&t)),
            (
                vec!["a".to_string(), "b".into()],
                vec![vec!["x\t".to_string(), "'y".into()]]
            )
        );
    }

    #[test]
    fn lines_are_counted_across_quoted_newlines_and_a_bom_is_ignored() {
        let t = read("\u{feff}a,b\n\"x\ny\",1\nz,2\n", &WIDE, false).unwrap();
        assert_eq!(t.header, ["a", "b"]);
        assert_eq!(
            t.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            [2, 4],
            "the second record starts on line 4"
        );
        assert_eq!(cells(&t)[0], ["x\ny", "1"]);
        let t = read("a, b \n  x , 'y\n", &WIDE, true).unwrap();
        assert_eq!(
            (t.header.clone(), cells(&t)),
            (
                vec!["a".to_string(), "b".into()],
                vec![vec!["x".to_string(), "'y".into()]]
            )
        );
    }

    mod property {
        use super::*;
        use proptest::prelude::*;

        /// Cells made of what breaks CSV and spreadsheets: formula starts, quotes, separators,
        /// line ends, the prefix itself, spaces, non-ASCII.
        fn hostile_cell() -> impl Strategy<Value = String> {
            proptest::collection::vec(
                prop_oneof![
                    Just("=".to_string()),
                    Just("+".to_string()),
                    Just("-".to_string()),
                    Just("@".to_string()),
                    Just("\t".to_string()),
                    Just("\r".to_string()),
                    Just("\n".to_string()),
                    Just("\r\n".to_string()),
                    Just("'".to_string()),
                    Just("\"".to_string()),
                    Just(",".to_string()),
                    Just(" ".to_string()),
                    Just("cmd|' /C calc'!A0".to_string()),
                    "[a-z0-9]{1,4}",
                    "\\PC{1,3}",
                ],
                0..8,
            )
            .prop_map(|parts| parts.concat())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            /// Export then import gives back every cell exactly, and no exported cell starts
            /// with a formula character.
            #[test]
            fn export_then_import_round_trips(
                width in 1usize..5,
                raw in proptest::collection::vec(hostile_cell(), 1..40),
            ) {
                let header: Vec<String> = (0..width).map(|i| format!("c{i}")).collect();
                let rows: Vec<Vec<String>> = raw
                    .chunks(width)
                    .filter(|c| c.len() == width)
                    .map(<[String]>::to_vec)
                    .collect();
                let mut all = vec![header.clone()];
                all.extend(rows.iter().cloned());
                let text = export(&all);
                let t = read(&text, &WIDE, false).unwrap();
                prop_assert_eq!(&t.header, &header);
                prop_assert_eq!(cells(&t), rows.clone());
                // Read as the site import reads (spaces trimmed): every cell that neither
                // begins nor ends with a space still comes back exactly.
                let trimmed = read(&text, &WIDE, true).unwrap();
                for (got, want) in cells(&trimmed).iter().zip(&rows) {
                    for (g, w) in got.iter().zip(want) {
                        if !w.starts_with(' ') && !w.ends_with(' ') {
                            prop_assert_eq!(g, w);
                        }
                    }
                }
                // What a spreadsheet sees: each exported cell, unquoted, never starts a formula.
                let plain = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .from_reader(text.as_bytes());
                for rec in plain.into_records() {
                    for cell in rec.unwrap().iter() {
                        prop_assert!(
                            !cell.starts_with(|c: char| FORMULA_STARTS.contains(&c)),
                            "{:?} starts a formula", cell
                        );
                    }
                }
            }

            /// Any text at all reads without a panic, within the caps.
            #[test]
            fn any_input_reads_or_is_refused(text in "\\PC{0,300}|[=,\"'\r\n]{0,300}") {
                let small = Limits { max_bytes: 256, max_rows: 8, max_line: 64, max_cell: 16, max_columns: 4 };
                if let Ok(t) = read(&text, &small, false) {
                    prop_assert!(t.rows.len() <= 8 && t.header.len() <= 4);
                    for r in &t.rows {
                        if let Ok(c) = &r.cells {
                            prop_assert!(c.iter().all(|c| c.len() <= 16));
                        }
                    }
                }
            }
        }
    }
}
