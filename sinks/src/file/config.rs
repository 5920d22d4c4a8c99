//! `destination: { type: FILE, config: {...} }`.

use serde::Deserialize;

/// Settings of the FILE destination.
#[derive(Debug, Clone, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Where to write; `-` is stdout. Parent directories are created; an existing file is replaced.
    #[schemars(length(min = 1), pattern(r"\S"))]
    pub path: String,
    /// csv, jsonl, parquet or arrow; by default taken from the path's extension (csv otherwise).
    #[serde(default)]
    pub format: Option<FileFormat>,
    /// Parquet compression: none, snappy, zstd (default) or lz4.
    #[serde(default)]
    pub compression: Option<Compression>,
    /// Start a new file every this many rows (`orders-00000.csv`, `orders-00001.csv`, …).
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub rotate_rows: Option<u64>,
    /// Write a header line first (CSV only; default true).
    #[serde(default)]
    pub header: Option<bool>,
}

/// The keys `FileConfig` accepts (for "did you mean" hints).
pub const FILE_KEYS: &[&str] = &["path", "format", "compression", "rotate_rows", "header"];

/// File formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    /// RFC 4180 CSV with a header line.
    Csv,
    /// JSON Lines (one object per line).
    #[serde(alias = "json", alias = "ndjson")]
    Jsonl,
    /// Apache Parquet.
    Parquet,
    /// Arrow IPC (file format; stream format on stdout).
    #[serde(alias = "ipc", alias = "feather")]
    Arrow,
}

impl FileFormat {
    /// The format a file extension suggests.
    pub fn from_extension(path: &str) -> Option<Self> {
        let ext = std::path::Path::new(path).extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "csv" => Self::Csv,
            "jsonl" | "ndjson" | "json" => Self::Jsonl,
            "parquet" | "pq" => Self::Parquet,
            "arrow" | "ipc" | "feather" | "arrows" => Self::Arrow,
            _ => return None,
        })
    }

    /// Parses a `--format` value.
    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_ascii_lowercase())).ok()
    }
}

/// Parquet compression codecs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// No compression.
    #[serde(alias = "uncompressed")]
    None,
    /// Snappy: fast, modest ratio.
    Snappy,
    /// Zstandard: good ratio, fast enough (default).
    #[default]
    Zstd,
    /// LZ4 (raw).
    Lz4,
}

impl Compression {
    pub(crate) fn to_parquet(self) -> parquet::basic::Compression {
        use parquet::basic::{Compression as C, ZstdLevel};
        match self {
            Self::None => C::UNCOMPRESSED,
            Self::Snappy => C::SNAPPY,
            Self::Zstd => C::ZSTD(ZstdLevel::default()),
            Self::Lz4 => C::LZ4_RAW,
        }
    }
}

impl FileConfig {
    /// The format in effect: explicit, else from the extension, else CSV.
    pub fn resolved_format(&self) -> FileFormat {
        self.format.or_else(|| FileFormat::from_extension(&self.path)).unwrap_or(FileFormat::Csv)
    }
}
