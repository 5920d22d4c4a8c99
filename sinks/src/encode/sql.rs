//! SQL scripts: `CREATE TABLE` and batched multi-row `INSERT`s in the
//! dialect of PostgreSQL, MySQL or SQLite, loadable as they are
//! (`psql -f`, `mysql <`, `sqlite3 db < file`).
//!
//! Column types follow the Arrow type (and the `sdg:decimals` metadata):
//!
//! | Arrow | PostgreSQL | MySQL | SQLite |
//! |---|---|---|---|
//! | Int64 | BIGINT | BIGINT | INTEGER |
//! | Float64 with d decimals | NUMERIC | DECIMAL(65,d) | REAL |
//! | Float64 | DOUBLE PRECISION | DOUBLE | REAL |
//! | Boolean | BOOLEAN | BOOLEAN | INTEGER (0/1) |
//! | Utf8, dictionary text | TEXT | TEXT (VARCHAR(255) for a key) | TEXT |
//! | UUID | UUID | CHAR(36) | TEXT |
//! | Timestamp | TIMESTAMPTZ | DATETIME(6) (UTC) | TEXT (RFC 3339) |
//! | Date32 | DATE | DATE | TEXT (YYYY-MM-DD) |
//!
//! Strings are single-quoted with `''` doubled; MySQL's default mode also
//! reads backslashes as escapes, so they are doubled there too. Non-finite
//! floats, which no SQL type holds, are written NULL.

use super::cells::{EncodeError, TextCells};
use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use sdg_engine::mapping::{DECIMALS_METADATA, UUID_EXTENSION};

/// The database a script is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqlDialect {
    #[default]
    Postgres,
    MySql,
    Sqlite,
}

impl SqlDialect {
    /// The dialects by name, as requests spell them.
    pub const NAMES: &'static [&'static str] = &["postgresql", "mysql", "sqlite"];

    /// `postgresql` (or `postgres`, `pg`), `mysql` (or `mariadb`), `sqlite`.
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "postgresql" | "postgres" | "pg" => Some(Self::Postgres),
            "mysql" | "mariadb" => Some(Self::MySql),
            "sqlite" | "sqlite3" => Some(Self::Sqlite),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Postgres => "postgresql",
            Self::MySql => "mysql",
            Self::Sqlite => "sqlite",
        }
    }

    /// `name` quoted as an identifier.
    pub fn ident(self, name: &str) -> String {
        match self {
            Self::MySql => format!("`{}`", name.replace('`', "``")),
            _ => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    fn begin(self) -> &'static str {
        match self {
            Self::MySql => "START TRANSACTION;\n",
            _ => "BEGIN;\n",
        }
    }
}

/// How a column's values are written.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Class {
    Number,
    Bool,
    Text,
    Timestamp,
}

fn class(field: &Field) -> Class {
    match field.data_type() {
        DataType::Int64 | DataType::Int32 | DataType::Float64 => Class::Number,
        DataType::Boolean => Class::Bool,
        DataType::Timestamp(_, _) => Class::Timestamp,
        _ => Class::Text,
    }
}

/// A foreign key of a table: `column` references `table(key)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    pub column: String,
    pub table: String,
    pub key: String,
}

/// What a table's `CREATE TABLE` declares besides its columns.
#[derive(Debug, Clone, Default)]
pub struct TableKeys {
    /// The primary key column.
    pub primary: Option<String>,
    pub foreign: Vec<ForeignKey>,
}

/// Writes one table as SQL.
#[derive(Debug, Clone)]
pub struct SqlEncoder {
    dialect: SqlDialect,
    table: String,
    /// Rows per `INSERT` statement.
    rows_per_insert: usize,
}

impl SqlEncoder {
    /// An encoder for `table` in `dialect`, 500 rows per INSERT.
    pub fn new(dialect: SqlDialect, table: &str) -> Self {
        Self { dialect, table: table.to_string(), rows_per_insert: 500 }
    }

    /// The SQL type of a column.
    pub fn column_type(&self, field: &Field, key: bool) -> Result<String, EncodeError> {
        let d = self.dialect;
        let decimals = field.metadata().get(DECIMALS_METADATA).and_then(|v| v.parse::<u32>().ok());
        let uuid = field.metadata().get("ARROW:extension:name").map(String::as_str) == Some(UUID_EXTENSION);
        let t = match field.data_type() {
            DataType::Int64 | DataType::Int32 => match d {
                SqlDialect::Sqlite => "INTEGER".into(),
                _ => "BIGINT".into(),
            },
            DataType::Float64 => match (d, decimals) {
                (SqlDialect::Sqlite, _) => "REAL".into(),
                // Unbounded precision in PostgreSQL; MySQL's widest: no value of the column overflows.
                (SqlDialect::Postgres, Some(1..=15)) => "NUMERIC".into(),
                (SqlDialect::MySql, Some(k @ 1..=15)) => format!("DECIMAL(65,{k})"),
                (SqlDialect::Postgres, _) => "DOUBLE PRECISION".into(),
                (SqlDialect::MySql, _) => "DOUBLE".into(),
            },
            DataType::Boolean => match d {
                SqlDialect::Sqlite => "INTEGER".into(),
                _ => "BOOLEAN".into(),
            },
            DataType::FixedSizeBinary(16) if uuid => match d {
                SqlDialect::Postgres => "UUID".into(),
                SqlDialect::MySql => "CHAR(36)".into(),
                SqlDialect::Sqlite => "TEXT".into(),
            },
            DataType::Timestamp(TimeUnit::Microsecond | TimeUnit::Millisecond, _) => match d {
                SqlDialect::Postgres => "TIMESTAMPTZ".into(),
                SqlDialect::MySql => "DATETIME(6)".into(),
                SqlDialect::Sqlite => "TEXT".into(),
            },
            DataType::Date32 => match d {
                SqlDialect::Sqlite => "TEXT".into(),
                _ => "DATE".into(),
            },
            DataType::Utf8 => text(d, key),
            DataType::Dictionary(k, v) if **k == DataType::Int32 && **v == DataType::Utf8 => text(d, key),
            other => {
                return Err(EncodeError { column: field.name().clone(), data_type: other.to_string(), format: "SQL" });
            }
        };
        Ok(t)
    }

    /// `CREATE TABLE` for `schema` (dropping a table of that name first when `drop`).
    pub fn create_table(&self, schema: &Schema, keys: &TableKeys, drop: bool) -> Result<String, EncodeError> {
        let d = self.dialect;
        let mut out = String::new();
        if drop {
            out.push_str(&format!("DROP TABLE IF EXISTS {};\n", d.ident(&self.table)));
        }
        out.push_str(&format!("CREATE TABLE {} (\n", d.ident(&self.table)));
        let mut lines = Vec::new();
        for f in schema.fields() {
            let is_key = keys.primary.as_deref() == Some(f.name().as_str())
                || keys.foreign.iter().any(|k| &k.column == f.name());
            let mut line = format!("  {} {}", d.ident(f.name()), self.column_type(f, is_key)?);
            if keys.primary.as_deref() == Some(f.name().as_str()) {
                line.push_str(" PRIMARY KEY");
            }
            lines.push(line);
        }
        for k in &keys.foreign {
            lines.push(format!(
                "  FOREIGN KEY ({}) REFERENCES {} ({})",
                d.ident(&k.column),
                d.ident(&k.table),
                d.ident(&k.key)
            ));
        }
        out.push_str(&lines.join(",\n"));
        out.push_str("\n);\n");
        Ok(out)
    }

    /// `BEGIN;` (`START TRANSACTION;` in MySQL): a script's inserts go in one transaction.
    pub fn begin(&self) -> &'static str {
        self.dialect.begin()
    }

    /// Appends `INSERT` statements for every row of `batch`.
    pub fn insert(&self, batch: &RecordBatch, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let schema = batch.schema();
        let classes: Vec<Class> = schema.fields().iter().map(|f| class(f)).collect();
        let mut cells = TextCells::new(batch)?;
        let columns: Vec<String> = schema.fields().iter().map(|f| self.dialect.ident(f.name())).collect();
        let head = format!("INSERT INTO {} ({}) VALUES\n", self.dialect.ident(&self.table), columns.join(", "));
        let mut cell = Vec::with_capacity(64);
        for start in (0..batch.num_rows()).step_by(self.rows_per_insert.max(1)) {
            let end = (start + self.rows_per_insert).min(batch.num_rows());
            out.extend_from_slice(head.as_bytes());
            for row in start..end {
                out.extend_from_slice(b"  (");
                for (c, class) in classes.iter().enumerate() {
                    if c > 0 {
                        out.extend_from_slice(b", ");
                    }
                    cell.clear();
                    if !cells.put(c, row, &mut cell) {
                        out.extend_from_slice(b"NULL");
                        continue;
                    }
                    self.literal(*class, &cell, out);
                }
                out.extend_from_slice(if row + 1 == end { b");\n" } else { b"),\n" });
            }
        }
        Ok(())
    }

    fn literal(&self, class: Class, text: &[u8], out: &mut Vec<u8>) {
        match class {
            Class::Number => {
                // inf and NaN have no SQL literal.
                if text.iter().any(|b| b.is_ascii_alphabetic() && *b != b'e' && *b != b'E') {
                    out.extend_from_slice(b"NULL");
                } else {
                    out.extend_from_slice(text);
                }
            }
            Class::Bool => {
                let t = text == b"true";
                out.extend_from_slice(match (self.dialect, t) {
                    (SqlDialect::Sqlite, true) => b"1",
                    (SqlDialect::Sqlite, false) => b"0",
                    (_, true) => b"TRUE",
                    (_, false) => b"FALSE",
                });
            }
            Class::Timestamp if self.dialect == SqlDialect::MySql => {
                // MySQL's DATETIME reads `YYYY-MM-DD hh:mm:ss.ffffff` (the values are UTC).
                let s = String::from_utf8_lossy(text);
                let s = s.trim_end_matches('Z').replacen('T', " ", 1);
                self.quoted(s.as_bytes(), out);
            }
            _ => self.quoted(text, out),
        }
    }

    fn quoted(&self, text: &[u8], out: &mut Vec<u8>) {
        out.push(b'\'');
        for &b in text {
            match b {
                b'\'' => out.extend_from_slice(b"''"),
                b'\\' if self.dialect == SqlDialect::MySql => out.extend_from_slice(b"\\\\"),
                0 => {} // no SQL text holds NUL
                _ => out.push(b),
            }
        }
        out.push(b'\'');
    }
}

fn text(d: SqlDialect, key: bool) -> String {
    // MySQL indexes TEXT only with a prefix length: keys are VARCHAR.
    if key && d == SqlDialect::MySql { "VARCHAR(255)".into() } else { "TEXT".into() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
    use std::sync::Arc;

    #[test]
    fn values_are_quoted_for_each_dialect() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("name", DataType::Utf8, true),
            Field::new("ok", DataType::Boolean, true),
            Field::new("x", DataType::Float64, true),
        ]));
        let cols: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(vec![Some(1), None])),
            Arc::new(StringArray::from(vec![Some("O'Brien \\ x"), Some("b")])),
            Arc::new(BooleanArray::from(vec![Some(true), Some(false)])),
            Arc::new(Float64Array::from(vec![Some(1.5), Some(f64::NAN)])),
        ];
        let batch = RecordBatch::try_new(schema.clone(), cols).expect("batch");
        let sql = |d| {
            let e = SqlEncoder::new(d, "t");
            let mut out = Vec::new();
            e.insert(&batch, &mut out).expect("insert");
            String::from_utf8(out).expect("utf8")
        };
        assert_eq!(
            sql(SqlDialect::Postgres),
            "INSERT INTO \"t\" (\"id\", \"name\", \"ok\", \"x\") VALUES\n  (1, 'O''Brien \\ x', TRUE, 1.5),\n  (NULL, 'b', FALSE, NULL);\n"
        );
        assert!(sql(SqlDialect::MySql).contains("'O''Brien \\\\ x', TRUE"));
        assert!(sql(SqlDialect::Sqlite).contains("1, 'O''Brien \\ x', 1, 1.5"));
        let keys = TableKeys {
            primary: Some("id".into()),
            foreign: vec![ForeignKey { column: "name".into(), table: "u".into(), key: "k".into() }],
        };
        let create = SqlEncoder::new(SqlDialect::MySql, "t").create_table(&schema, &keys, true).expect("create");
        assert!(create.contains("`id` BIGINT PRIMARY KEY"), "{create}");
        assert!(create.contains("`name` VARCHAR(255)"), "{create}");
        assert!(create.contains("FOREIGN KEY (`name`) REFERENCES `u` (`k`)"), "{create}");
    }
}
