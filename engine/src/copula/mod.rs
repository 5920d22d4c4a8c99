//! Gaussian copulas: a joint model of several columns fitted on real data
//! (a pool), kept as a versioned JSON model file, and sampled in the stream
//! — one joint draw per row for every field of the model, with conditions
//! applied analytically.
//!
//! - **Fit** ([`fit`]): per column a marginal (numeric: a parametric family
//!   or interpolated quantiles, see [`marginal`]; categorical and boolean:
//!   each category a slice of the normal scores sized by its frequency) and
//!   a null rate; then the correlation matrix of the rows' normal scores,
//!   repaired to positive definite when the data make it singular.
//! - **Sample** ([`Sampler`]): z ~ N(0, R) by the Cholesky factor of R, each
//!   column's value read from a table of x by z (or its category by slice).
//! - **Condition**: fixed numeric values are exact points of the normal
//!   scores; a fixed category is drawn inside its slice; the other columns
//!   are drawn from the multivariate normal conditioned on them (closed
//!   form), so no row is rejected and conditioned values are exact.
//! - **Fidelity** ([`fidelity`]): KS per numeric column, total variation per
//!   categorical column, the largest change of the Pearson and Spearman
//!   correlations, and a quality score in the style of SDMetrics.

pub mod fidelity;
pub(crate) mod linalg;
pub mod marginal;
pub mod stats;

use crate::rng::{RowRng, StreamKey, unit_f64};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, TimeUnit};
use marginal::{Family, Marginal, ZTable};
use rand_distr::{Distribution as _, StandardNormal};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The model file's `format`.
pub const MODEL_FORMAT: &str = "sdg-gaussian-copula";
/// The model file's `version` this build reads and writes.
pub const MODEL_VERSION: u32 = 1;

/// A `copulas:` entry of a definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CopulaSpec {
    /// The name fields use (`params.model`).
    pub name: String,
    /// Fit on a pool, or load a model fitted earlier.
    pub source: CopulaSource,
    /// The columns of the model (a pool source needs them; a model file
    /// has its own, and may be narrowed to these).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// The marginal family of every numeric column, or per column
    /// (`{ amount: gamma }`, the others auto).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marginals: Option<MarginalsSpec>,
    /// Values every sampled row has (`{ segment: gold, items: 2 }`).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    #[schemars(with = "BTreeMap<String, Value>")]
    pub conditions: Map<String, Value>,
    /// The fit's seed (ties in the data are broken at random).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

/// Where a copula comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged, deny_unknown_fields)]
pub enum CopulaSource {
    /// Fit on this pool's rows.
    Pool {
        /// The pool's name.
        pool: String,
    },
    /// Load this model file (written by `sdg fit`).
    Model {
        /// Its path (relative to the definition's file).
        model: String,
    },
    /// A model trained by the server (`POST /api/v1/models`), by name or id.
    Trained {
        /// Its name or id.
        trained: String,
    },
}

/// `marginals:` — one family for all numeric columns, or one per column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum MarginalsSpec {
    /// `auto`, `empirical`, `norm`, `beta`, `truncnorm`, `gamma`, `uniform`, `kde`.
    All(String),
    /// Per column; columns not named are auto.
    PerColumn(BTreeMap<String, String>),
}

impl MarginalsSpec {
    /// The family of `column`; Err names an unknown family.
    pub fn family(spec: Option<&MarginalsSpec>, column: &str) -> Result<Family, String> {
        let name = match spec {
            None => return Ok(Family::Auto),
            Some(MarginalsSpec::All(f)) => f.as_str(),
            Some(MarginalsSpec::PerColumn(m)) => match m.get(column) {
                None => return Ok(Family::Auto),
                Some(f) => f.as_str(),
            },
        };
        Family::parse(name)
            .ok_or_else(|| format!("unknown marginal family `{name}` (known: {})", Family::NAMES.join(", ")))
    }
}

/// What a model column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    /// Floating-point numbers.
    Float,
    /// Integers (rounded when sampled).
    Integer,
    /// Timestamps, µs since the epoch (UTC).
    Timestamp,
    /// Text categories.
    Categorical,
    /// true / false.
    Boolean,
}

impl ColumnKind {
    fn numeric(self) -> bool {
        matches!(self, ColumnKind::Float | ColumnKind::Integer | ColumnKind::Timestamp)
    }

    /// The Arrow type sampled values have.
    pub fn data_type(self) -> DataType {
        match self {
            ColumnKind::Float => DataType::Float64,
            ColumnKind::Integer => DataType::Int64,
            ColumnKind::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            ColumnKind::Categorical => DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
            ColumnKind::Boolean => DataType::Boolean,
        }
    }
}

/// One category and its share of the non-null rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    /// The value (`true`/`false` for booleans).
    pub value: String,
    /// Its frequency among non-null rows.
    pub frequency: f64,
}

/// One column of a fitted model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelColumn {
    /// The column's name.
    pub name: String,
    /// What it holds.
    pub kind: ColumnKind,
    /// The share of null rows in the source.
    pub null_rate: f64,
    /// Numeric: the smallest value of the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Numeric: the largest value of the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Float: the decimals of the source's values (at most 6), kept when sampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimals: Option<u32>,
    /// Numeric: the marginal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marginal: Option<Marginal>,
    /// Numeric: the KS statistic of each family `auto` tried.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fit_ks: BTreeMap<String, f64>,
    /// Categorical and boolean: the categories, in the order of their
    /// slices of the normal scores.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<Category>,
}

/// A fitted Gaussian copula (the model file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Always [`MODEL_FORMAT`].
    pub format: String,
    /// [`MODEL_VERSION`].
    pub version: u32,
    /// The columns.
    pub columns: Vec<ModelColumn>,
    /// The correlation of the normal scores, row by row.
    pub correlation: Vec<Vec<f64>>,
    /// True when the data's correlation was not positive definite and was repaired.
    #[serde(default)]
    pub repaired: bool,
    /// Rows of the source the model was fitted on.
    pub source_rows: u64,
    /// When it was fitted (RFC 3339).
    pub fitted_at: String,
}

impl Model {
    /// Reads a model file's JSON, checking its format and version.
    pub fn from_json(text: &str) -> Result<Model, String> {
        let head: Value = serde_json::from_str(text).map_err(|e| format!("the model file is not JSON: {e}"))?;
        if head.get("format").and_then(Value::as_str) != Some(MODEL_FORMAT) {
            return Err(format!("not an sdg model file (its `format` is not \"{MODEL_FORMAT}\")"));
        }
        match head.get("version").and_then(Value::as_u64) {
            Some(v) if v == u64::from(MODEL_VERSION) => {}
            other => {
                return Err(format!(
                    "the model file has version {}; this sdg reads version {MODEL_VERSION} — fit it again with this sdg (sdg fit)",
                    other.map_or("none".to_string(), |v| v.to_string())
                ));
            }
        }
        let model: Model = serde_json::from_value(head).map_err(|e| format!("the model file is malformed: {e}"))?;
        model.check()?;
        Ok(model)
    }

    /// Checks what a hand-edited file could get wrong, so that sampling
    /// never meets it: the correlation's shape and values, each marginal's
    /// parameters, the categories' frequencies.
    fn check(&self) -> Result<(), String> {
        let d = self.columns.len();
        if d == 0 {
            return Err("the model file has no columns".into());
        }
        if self.correlation.len() != d || self.correlation.iter().any(|r| r.len() != d) {
            return Err(format!("the model file's correlation is not {d} × {d} (one row and column per column)"));
        }
        for (i, row) in self.correlation.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                let ok = v.is_finite() && v.abs() <= 1.0 + 1e-9 && (v - self.correlation[j][i]).abs() <= 1e-9;
                if !ok || (i == j && (v - 1.0).abs() > 1e-9) {
                    return Err(format!(
                        "the model file's correlation[{i}][{j}] = {v}: a correlation matrix is symmetric, with 1 on its diagonal and values in [-1, 1]"
                    ));
                }
            }
        }
        let flat: Vec<f64> = self.correlation.iter().flatten().copied().collect();
        if linalg::cholesky(&flat, d).is_none() {
            return Err("the model file's correlation is not positive definite (fit it again with sdg fit)".into());
        }
        for c in &self.columns {
            let bad = |what: &str| Err(format!("the model file's column `{}`: {what}", c.name));
            if !(0.0..=1.0).contains(&c.null_rate) {
                return bad("null_rate is not between 0 and 1");
            }
            if c.kind.numeric() {
                if let Some(m) = &c.marginal
                    && let Err(e) = m.check()
                {
                    return bad(&e);
                }
                if c.marginal.is_some()
                    && !(c.min.is_some_and(f64::is_finite) && c.max.is_some_and(f64::is_finite) && c.min <= c.max)
                {
                    return bad("a numeric column needs finite min ≤ max");
                }
            } else {
                let sum: f64 = c.categories.iter().map(|k| k.frequency).sum();
                if c.categories.iter().any(|k| k.frequency.is_nan() || k.frequency < 0.0)
                    || (!c.categories.is_empty() && (sum - 1.0).abs() > 1e-6)
                {
                    return bad("category frequencies must be 0 or more and sum to 1");
                }
            }
        }
        Ok(())
    }

    /// The model file's JSON (pretty).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The same model over `names` only (the sub-matrix of the correlation).
    pub fn select(&self, names: &[String]) -> Result<Model, String> {
        let idx: Vec<usize> = names
            .iter()
            .map(|n| {
                self.column(n).ok_or_else(|| {
                    format!(
                        "the model has no column `{n}` (its columns: {})",
                        self.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Model {
            columns: idx.iter().map(|&i| self.columns[i].clone()).collect(),
            correlation: idx.iter().map(|&i| idx.iter().map(|&j| self.correlation[i][j]).collect()).collect(),
            ..self.clone()
        })
    }
}

/// A column to fit: its name and values.
pub type FitColumn = (String, ArrayRef);

/// Fits a model on `columns` (every array the same length). `marginals`
/// chooses the numeric families; `seed` breaks ties. Err says which column
/// cannot be modelled and why.
pub fn fit(columns: &[FitColumn], marginals: Option<&MarginalsSpec>, seed: u64) -> Result<Model, String> {
    if columns.is_empty() {
        return Err("a copula needs at least one column".into());
    }
    let rows = columns[0].1.len();
    if let Some((name, a)) = columns.iter().find(|(_, a)| a.len() != rows) {
        return Err(format!("column `{name}` has {} rows, `{}` has {rows}", a.len(), columns[0].0));
    }
    if rows == 0 {
        return Err("the source has no rows to fit on".into());
    }
    for (k, (name, _)) in columns.iter().enumerate() {
        if columns[..k].iter().any(|(n, _)| n == name) {
            return Err(format!("column `{name}` is listed twice"));
        }
    }
    let mut model_columns = Vec::with_capacity(columns.len());
    // Normal scores by column, NaN where null.
    let mut scores: Vec<Vec<f64>> = Vec::with_capacity(columns.len());
    // Numeric columns first: categories are ordered by the numeric scores.
    let mut fitted: Vec<Option<Scored>> = vec![None; columns.len()];
    for pass in [true, false] {
        for (k, (name, array)) in columns.iter().enumerate() {
            if kind_of(name, array.data_type())?.numeric() != pass {
                continue;
            }
            let family = MarginalsSpec::family(marginals, name)?;
            let mut rng = RowRng::from_bits(StreamKey::for_field(seed, name).at(k as u64));
            let numeric: Vec<&[f64]> = fitted
                .iter()
                .flatten()
                .filter(|s| s.column.kind.numeric() && s.column.marginal.is_some())
                .map(|s| s.z.as_slice())
                .collect();
            fitted[k] = Some(fit_column(name, array, family, &mut rng, &numeric)?);
        }
    }
    let mut factors = Vec::with_capacity(columns.len());
    let mut values = Vec::with_capacity(columns.len());
    for s in fitted.into_iter().flatten() {
        model_columns.push(s.column);
        scores.push(s.z);
        factors.push(s.share);
        values.push(s.values);
    }
    // Two numeric columns: ρ = 2 sin(π ρ_s / 6) from their Spearman
    // correlation ρ_s, which a Gaussian copula with ρ reproduces exactly
    // (the normal scores' own correlation falls short of it when the data's
    // dependence is not Gaussian). With a category: a score that only knows
    // its row's slice carries a share f = Var(E[z | slice]) of the latent
    // score, so the covariance of two is ρ·f_i·f_j to first order and
    // ρ = cov / (f_i f_j) (the polyserial correction; without it every
    // correlation a category enters would be weakened).
    let d = columns.len();
    let mut corr = linalg::identity(d);
    for i in 0..d {
        for j in 0..i {
            let f = factors[i] * factors[j];
            let r = match (&values[i], &values[j]) {
                (Some(a), Some(b)) if f > 1e-9 => {
                    let pairs: Vec<(f64, f64)> = a
                        .iter()
                        .zip(b)
                        .filter(|(x, y)| x.is_finite() && y.is_finite())
                        .map(|(x, y)| (*x, *y))
                        .collect();
                    2.0 * (std::f64::consts::PI * spearman(&pairs) / 6.0).sin()
                }
                _ if f > 1e-9 => (covariance_pairwise(&scores[i], &scores[j]) / f).clamp(-1.0, 1.0),
                _ => 0.0,
            };
            corr[i * d + j] = r;
            corr[j * d + i] = r;
        }
    }
    let (corr, repaired) = linalg::repair_correlation(&corr, d, 1e-6);
    Ok(Model {
        format: MODEL_FORMAT.into(),
        version: MODEL_VERSION,
        columns: model_columns,
        correlation: (0..d).map(|i| corr[i * d..(i + 1) * d].to_vec()).collect(),
        repaired,
        source_rows: rows as u64,
        fitted_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

/// The kind of an Arrow column, or why it cannot be modelled.
fn kind_of(name: &str, t: &DataType) -> Result<ColumnKind, String> {
    Ok(match t {
        DataType::Float16
        | DataType::Float32
        | DataType::Float64
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => ColumnKind::Float,
        t if t.is_integer() => ColumnKind::Integer,
        DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => ColumnKind::Timestamp,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(..) => ColumnKind::Categorical,
        DataType::Boolean => ColumnKind::Boolean,
        // An all-null column of a file without a schema: modelled as always null.
        DataType::Null => ColumnKind::Float,
        other => {
            return Err(format!(
                "column `{name}` is {other}: a copula models numbers, integers, timestamps, text categories and booleans"
            ));
        }
    })
}

/// One column's model and its rows' normal scores (NaN where null).
/// A fitted column with what the correlation is estimated from.
#[derive(Clone)]
struct Scored {
    column: ModelColumn,
    /// The rows' normal scores (NaN where null).
    z: Vec<f64>,
    /// The share of the latent score's variance they carry (see [`fit`]).
    share: f64,
    /// Numeric columns: the values (NaN where null).
    values: Option<Vec<f64>>,
}

/// One column's model and scores.
fn fit_column(
    name: &str,
    array: &ArrayRef,
    family: Family,
    rng: &mut RowRng,
    numeric_scores: &[&[f64]],
) -> Result<Scored, String> {
    let kind = kind_of(name, array.data_type())?;
    let n = array.len();
    let nulls = array.logical_null_count();
    let mut column = ModelColumn {
        name: name.to_string(),
        kind,
        null_rate: nulls as f64 / n as f64,
        min: None,
        max: None,
        decimals: None,
        marginal: None,
        fit_ks: BTreeMap::new(),
        categories: Vec::new(),
    };
    let mut z = vec![f64::NAN; n];
    if nulls == n {
        return Ok(Scored { column, z, share: 0.0, values: None });
    }
    let mut raw = None;
    let mut slices = Vec::new();
    if kind.numeric() {
        let values = numbers(array, kind).map_err(|e| format!("column `{name}`: {e}"))?;
        let present: Vec<(usize, f64)> =
            values.iter().enumerate().filter_map(|(i, v)| v.filter(|x| x.is_finite()).map(|x| (i, x))).collect();
        if present.is_empty() {
            column.null_rate = 1.0;
            return Ok(Scored { column, z, share: 0.0, values: None });
        }
        raw = Some(values.iter().map(|v| v.unwrap_or(f64::NAN)).collect::<Vec<f64>>());
        let mut sorted: Vec<f64> = present.iter().map(|p| p.1).collect();
        sorted.sort_by(f64::total_cmp);
        column.min = sorted.first().copied();
        column.max = sorted.last().copied();
        if kind == ColumnKind::Float {
            column.decimals = decimals(&sorted);
        }
        let m = match family {
            Family::Auto => {
                let (m, tried) = Marginal::fit_auto(&sorted);
                column.fit_ks = tried.into_iter().map(|(f, ks)| (f.to_string(), ks)).collect();
                m
            }
            f => Marginal::fit(f, &sorted).ok_or_else(|| {
                format!(
                    "column `{name}`: the {} family cannot describe its values (constant, or outside the family's support); use marginals: empirical or auto for it",
                    f.name()
                )
            })?,
        };
        column.marginal = Some(m);
        // Ranks, ties broken at random: u uniform inside each value's share.
        let mut order: Vec<(usize, f64)> = present;
        order.sort_by(|a, b| a.1.total_cmp(&b.1));
        let total = order.len() as f64;
        let mut lo = 0;
        while lo < order.len() {
            let mut hi = lo + 1;
            while hi < order.len() && order[hi].1 == order[lo].1 {
                hi += 1;
            }
            for &(row, _) in &order[lo..hi] {
                // A value of its own sits mid-rank; tied rows spread over their share.
                let within = if hi - lo == 1 { 0.5 } else { open_unit(rng) * (hi - lo) as f64 };
                z[row] = stats::norm_ppf((lo as f64 + within) / total);
            }
            slices.push((lo as f64 / total, hi as f64 / total));
            lo = hi;
        }
    } else {
        let text = texts(array).map_err(|e| format!("column `{name}`: {e}"))?;
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for v in text.iter().flatten() {
            *counts.entry(v.as_str()).or_default() += 1;
        }
        let total: usize = counts.values().sum();
        let mut cats: Vec<(&str, usize)> = counts.into_iter().collect();
        // Most frequent first; ties by value, so the order is the data's, not the hash's.
        cats.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        // Then in the order of the numeric column they go with most (the
        // largest correlation ratio), by that column's mean score: the
        // slices then follow the dependence, which one correlation per
        // pair can only carry when the categories are in such an order.
        if let Some(means) = ordering_scores(&text, &cats, numeric_scores) {
            cats.sort_by(|a, b| means[a.0].total_cmp(&means[b.0]));
        }
        let mut start = BTreeMap::new();
        let mut acc = 0usize;
        for (v, c) in &cats {
            start.insert(*v, (acc, *c));
            slices.push((acc as f64 / total as f64, (acc + c) as f64 / total as f64));
            acc += c;
        }
        for (row, v) in text.iter().enumerate() {
            if let Some(v) = v {
                let (lo, c) = start[v.as_str()];
                z[row] = stats::norm_ppf((lo as f64 + open_unit(rng) * c as f64) / total as f64);
            }
        }
        column.categories =
            cats.iter().map(|(v, c)| Category { value: v.to_string(), frequency: *c as f64 / total as f64 }).collect();
    }
    Ok(Scored { column, z, share: slice_share(&slices), values: raw })
}

/// Var(E[Z | slice]) for Z ~ N(0, 1) cut at the probabilities `slices`
/// ([lo, hi) each): Σ p·m² with m = (φ(a) − φ(b)) / p the slice's mean.
fn slice_share(slices: &[(f64, f64)]) -> f64 {
    slices
        .iter()
        .filter(|(lo, hi)| hi > lo)
        .map(|&(lo, hi)| {
            let p = hi - lo;
            let density = |u: f64| if u <= 0.0 || u >= 1.0 { 0.0 } else { stats::norm_pdf(stats::norm_ppf(u)) };
            let m = (density(lo) - density(hi)) / p;
            p * m * m
        })
        .sum()
}

/// Each category's mean score in the numeric column it goes with most
/// (the largest correlation ratio η²); None without numeric columns.
fn ordering_scores<'a>(
    text: &[Option<String>],
    cats: &[(&'a str, usize)],
    numeric: &[&[f64]],
) -> Option<BTreeMap<&'a str, f64>> {
    let mut best: Option<(f64, BTreeMap<&'a str, f64>)> = None;
    for z in numeric {
        let mut sums: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
        let (mut all, mut n) = (0.0, 0.0);
        for (t, v) in text.iter().zip(z.iter()) {
            if let (Some(t), true) = (t, v.is_finite()) {
                let e = sums.entry(t.as_str()).or_default();
                e.0 += v;
                e.1 += 1.0;
                all += v;
                n += 1.0;
            }
        }
        if n < 3.0 {
            continue;
        }
        let grand = all / n;
        let between: f64 = sums.values().map(|(s, c)| c * (s / c - grand).powi(2)).sum();
        let total: f64 = text
            .iter()
            .zip(z.iter())
            .filter(|(t, v)| t.is_some() && v.is_finite())
            .map(|(_, v)| (v - grand).powi(2))
            .sum();
        let eta = if total > 0.0 { between / total } else { 0.0 };
        if best.as_ref().is_none_or(|(b, _)| eta > *b) {
            // A category absent where this column is present sits in the middle.
            let means = cats.iter().map(|(c, _)| (*c, sums.get(c).map_or(grand, |(s, k)| s / k))).collect();
            best = Some((eta, means));
        }
    }
    best.filter(|(eta, _)| *eta > 1e-3).map(|(_, m)| m)
}

/// A uniform in (0, 1), never 0.
fn open_unit(rng: &mut RowRng) -> f64 {
    (unit_f64(rng.next_u64()) + 0.5 / (1u64 << 53) as f64).min(1.0 - f64::EPSILON)
}

/// The fewest decimals (≤ 6) that write every value exactly; None beyond.
fn decimals(sorted: &[f64]) -> Option<u32> {
    let step = (sorted.len() / 5000).max(1);
    (0..=6u32).find(|&d| {
        let scale = 10f64.powi(d as i32);
        sorted.iter().step_by(step).all(|x| ((x * scale).round() - x * scale).abs() <= 1e-9 * (1.0 + (x * scale).abs()))
    })
}

/// Numeric values (timestamps as µs since the epoch).
fn numbers(array: &ArrayRef, kind: ColumnKind) -> Result<Vec<Option<f64>>, String> {
    let target = match kind {
        ColumnKind::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
        _ => DataType::Float64,
    };
    let cast = arrow_cast::cast(array, &target).map_err(|e| e.to_string())?;
    Ok(match kind {
        ColumnKind::Timestamp => {
            let as_int = arrow_cast::cast(&cast, &DataType::Int64).map_err(|e| e.to_string())?;
            as_int.as_primitive::<Int64Type>().iter().map(|v| v.map(|v| v as f64)).collect()
        }
        _ => cast.as_primitive::<Float64Type>().iter().collect(),
    })
}

/// Text values (booleans as `true` / `false`).
fn texts(array: &ArrayRef) -> Result<Vec<Option<String>>, String> {
    let cast = arrow_cast::cast(array, &DataType::Utf8).map_err(|e| e.to_string())?;
    Ok(cast.as_string::<i32>().iter().map(|v| v.map(str::to_string)).collect())
}

/// The covariance over the rows where both are present (0 with fewer than 3).
fn covariance_pairwise(a: &[f64], b: &[f64]) -> f64 {
    let pairs: Vec<(f64, f64)> =
        a.iter().zip(b).filter(|(x, y)| x.is_finite() && y.is_finite()).map(|(x, y)| (*x, *y)).collect();
    if pairs.len() < 3 {
        return 0.0;
    }
    let n = pairs.len() as f64;
    let (mx, my) = (pairs.iter().map(|p| p.0).sum::<f64>() / n, pairs.iter().map(|p| p.1).sum::<f64>() / n);
    pairs.iter().map(|(x, y)| (x - mx) * (y - my)).sum::<f64>() / n
}

/// Spearman's correlation: Pearson of average ranks.
pub(crate) fn spearman(pairs: &[(f64, f64)]) -> f64 {
    let ranks = |pick: fn(&(f64, f64)) -> f64| {
        let mut idx: Vec<usize> = (0..pairs.len()).collect();
        idx.sort_by(|&a, &b| pick(&pairs[a]).total_cmp(&pick(&pairs[b])));
        let mut r = vec![0.0; pairs.len()];
        let mut lo = 0;
        while lo < idx.len() {
            let mut hi = lo + 1;
            while hi < idx.len() && pick(&pairs[idx[hi]]) == pick(&pairs[idx[lo]]) {
                hi += 1;
            }
            for &k in &idx[lo..hi] {
                r[k] = (lo + hi - 1) as f64 / 2.0;
            }
            lo = hi;
        }
        r
    };
    let (a, b) = (ranks(|p| p.0), ranks(|p| p.1));
    pearson(&a.into_iter().zip(b).collect::<Vec<_>>())
}

pub(crate) fn pearson(pairs: &[(f64, f64)]) -> f64 {
    let n = pairs.len() as f64;
    if pairs.len() < 3 {
        return 0.0;
    }
    let (mx, my) = (pairs.iter().map(|p| p.0).sum::<f64>() / n, pairs.iter().map(|p| p.1).sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    if sxx <= 0.0 || syy <= 0.0 { 0.0 } else { (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0) }
}

/// How a column is read from its normal score.
#[derive(Debug, Clone)]
enum Reader {
    Number(ZTable),
    /// Upper z bound of each category but the last (ascending), the values,
    /// and the values as the dictionary of the output column.
    Category {
        bounds: Vec<f64>,
        values: Vec<String>,
        dictionary: ArrayRef,
    },
    /// Always null (an all-null source column).
    Null,
}

/// A fixed column of a conditioned model.
#[derive(Debug, Clone)]
enum Fixed {
    /// A number: its exact value, at the normal score it has.
    Number { z: f64, value: f64 },
    /// A category: drawn inside its slice [lo, hi) of the normal scores.
    Category { lo: f64, hi: f64, index: usize },
}

/// A model compiled for sampling, with its conditions.
#[derive(Debug, Clone)]
pub struct Sampler {
    model: Model,
    readers: Vec<Reader>,
    /// Fixed columns in order, with (coefficients over the earlier fixed
    /// columns' scores, conditional standard deviation) of each.
    fixed: Vec<(usize, Fixed, Vec<f64>, f64)>,
    /// The free columns.
    free: Vec<usize>,
    /// free × fixed: the conditional mean of the free scores is A·z_fixed.
    a: Vec<f64>,
    /// free × free lower Cholesky factor of the conditional covariance.
    chol: Vec<f64>,
}

impl Sampler {
    /// Compiles `model` with `conditions` (column → value). Err names a
    /// condition that names no column or a value the column cannot have.
    pub fn new(model: Model, conditions: &Map<String, Value>) -> Result<Sampler, String> {
        let d = model.columns.len();
        let readers: Vec<Reader> = model
            .columns
            .iter()
            .map(|c| match (&c.marginal, c.kind.numeric()) {
                (Some(m), true) => Reader::Number(ZTable::new(m, c.min.unwrap_or(f64::MIN), c.max.unwrap_or(f64::MAX))),
                (_, false) if !c.categories.is_empty() => {
                    let mut acc = 0.0;
                    let mut bounds = Vec::new();
                    for cat in &c.categories[..c.categories.len() - 1] {
                        acc += cat.frequency;
                        bounds.push(stats::norm_ppf(acc.min(1.0)));
                    }
                    let values: Vec<String> = c.categories.iter().map(|c| c.value.clone()).collect();
                    let dictionary: ArrayRef = std::sync::Arc::new(arrow_array::StringArray::from(values.clone()));
                    Reader::Category { bounds, values, dictionary }
                }
                _ => Reader::Null,
            })
            .collect();
        let mut fixed_cols: Vec<(usize, Fixed)> = Vec::new();
        for (name, value) in conditions {
            let i = model.column(name).ok_or_else(|| {
                format!(
                    "condition on `{name}`, which the model does not have (its columns: {})",
                    model.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
                )
            })?;
            let c = &model.columns[i];
            let fixed = match (&readers[i], value) {
                (Reader::Number(_), v) => {
                    let x = number_condition(c, v).ok_or_else(|| {
                        format!("condition `{name}: {v}`: `{name}` is {}; give a number", kind_name(c.kind))
                    })?;
                    let m = c.marginal.as_ref().expect("numeric readers have a marginal");
                    let u = m.cdf(x).clamp(1e-12, 1.0 - 1e-12);
                    Fixed::Number { z: stats::norm_ppf(u).clamp(-marginal::Z_MAX, marginal::Z_MAX), value: x }
                }
                (Reader::Category { values, .. }, v) => {
                    let text = match v {
                        Value::String(s) => s.clone(),
                        Value::Bool(b) => b.to_string(),
                        Value::Number(n) => n.to_string(),
                        other => return Err(format!("condition `{name}: {other}`: give one of its categories")),
                    };
                    let index = values.iter().position(|v| *v == text).ok_or_else(|| {
                        let shown: Vec<&str> = values.iter().take(20).map(String::as_str).collect();
                        format!(
                            "condition `{name}: {text}`: `{name}` has no category `{text}` (its categories: {})",
                            shown.join(", ")
                        )
                    })?;
                    let before: f64 = c.categories[..index].iter().map(|c| c.frequency).sum();
                    let lo = if index == 0 { f64::NEG_INFINITY } else { stats::norm_ppf(before.min(1.0)) };
                    let hi = if index + 1 == values.len() {
                        f64::INFINITY
                    } else {
                        stats::norm_ppf((before + c.categories[index].frequency).min(1.0))
                    };
                    Fixed::Category { lo, hi, index }
                }
                (Reader::Null, _) => return Err(format!("condition on `{name}`, which is null in every source row")),
            };
            fixed_cols.push((i, fixed));
        }
        let r = |i: usize, j: usize| model.correlation[i][j];
        // Each fixed column given the earlier ones (for categories drawn in their slice).
        let mut fixed = Vec::new();
        for (k, (i, f)) in fixed_cols.iter().enumerate() {
            let prev: Vec<usize> = fixed_cols[..k].iter().map(|p| p.0).collect();
            let (coef, var) = conditional(&prev, &[*i], &r).ok_or("the conditions' correlation is singular")?;
            fixed.push((*i, f.clone(), coef, var[0].max(1e-12).sqrt()));
        }
        let fixed_idx: Vec<usize> = fixed_cols.iter().map(|p| p.0).collect();
        let free: Vec<usize> = (0..d).filter(|i| !fixed_idx.contains(i)).collect();
        let (a, cov) = conditional(&fixed_idx, &free, &r).ok_or("the conditions' correlation is singular")?;
        let nf = free.len();
        let chol = linalg::cholesky(&cov, nf)
            .or_else(|| {
                linalg::cholesky(&linalg::repair_correlation(&normalize(&cov, nf), nf, 1e-9).0, nf)
                    .map(|l| rescale(&l, &cov, nf))
            })
            .ok_or("the conditional covariance is not positive definite")?;
        Ok(Sampler { model, readers, fixed, free, a, chol })
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Fills `z` (one score per column) for one row from `rng`.
    #[inline]
    fn draw(&self, rng: &mut RowRng, z: &mut [f64], e: &mut [f64]) {
        for (k, (i, f, coef, sd)) in self.fixed.iter().enumerate() {
            z[*i] = match f {
                Fixed::Number { z, .. } => *z,
                Fixed::Category { lo, hi, .. } => {
                    let mean: f64 = self.fixed[..k].iter().zip(coef).map(|((j, ..), c)| c * z[*j]).sum();
                    let (a, b) = (stats::norm_cdf((lo - mean) / sd), stats::norm_cdf((hi - mean) / sd));
                    mean + sd
                        * stats::norm_ppf(a + open_unit(rng) * (b - a))
                            .clamp(-marginal::Z_MAX * 2.0, marginal::Z_MAX * 2.0)
                }
            };
        }
        let nf = self.free.len();
        let nx = self.fixed.len();
        for v in e.iter_mut().take(nf) {
            *v = StandardNormal.sample(rng);
        }
        for (r, &i) in self.free.iter().enumerate() {
            let mut v = 0.0;
            for (k, (j, ..)) in self.fixed.iter().enumerate() {
                v += self.a[r * nx + k] * z[*j];
            }
            let row = &self.chol[r * nf..r * nf + r + 1];
            for (c, l) in row.iter().enumerate() {
                v += l * e[c];
            }
            z[i] = v;
        }
    }

    /// Samples `columns` (model column positions) for rows `rows` of the
    /// stream `key`: one joint draw per row, the same for a row on any
    /// worker and in any batch. Null where `null` says (per column and row).
    pub fn sample(&self, key: StreamKey, rows: crate::mapping::Rows, columns: &[usize]) -> Vec<ArrayRef> {
        let n = rows.len();
        let d = self.model.columns.len();
        let mut z = vec![0.0; d];
        let mut e = vec![0.0; d];
        let mut out: Vec<Vec<f64>> = columns.iter().map(|_| Vec::with_capacity(n)).collect();
        for i in 0..n {
            let row = rows.get(i);
            let mut rng = RowRng::from_bits(key.at(row));
            self.draw(&mut rng, &mut z, &mut e);
            for (k, &c) in columns.iter().enumerate() {
                out[k].push(z[c]);
            }
        }
        columns
            .iter()
            .zip(out)
            .map(|(&c, scores)| {
                // Keyed by the model column alone: a column's nulls do not
                // depend on which other columns a generator takes.
                let nulls = self.null_mask(key.substream(1 + c as u64), rows, c);
                self.column(c, &scores, nulls)
            })
            .collect()
    }

    fn null_mask(&self, key: StreamKey, rows: crate::mapping::Rows, c: usize) -> Option<arrow_buffer::NullBuffer> {
        let rate = self.model.columns[c].null_rate;
        if rate <= 0.0 || self.fixed.iter().any(|(i, ..)| *i == c) {
            return None;
        }
        let valid: arrow_buffer::BooleanBuffer = rows.collect(|r| unit_f64(key.at(r)) >= rate);
        Some(arrow_buffer::NullBuffer::new(valid))
    }

    /// Column `c`'s values from its scores.
    fn column(&self, c: usize, scores: &[f64], nulls: Option<arrow_buffer::NullBuffer>) -> ArrayRef {
        use arrow_array::{BooleanArray, Float64Array, Int64Array, TimestampMicrosecondArray};
        use std::sync::Arc;
        let col = &self.model.columns[c];
        let fixed = self.fixed.iter().find(|(i, ..)| *i == c).map(|(_, f, ..)| f);
        match &self.readers[c] {
            Reader::Null => arrow_array::new_null_array(&col.kind.data_type(), scores.len()),
            Reader::Number(t) => {
                let value = |z: f64| match fixed {
                    Some(Fixed::Number { value, .. }) => *value,
                    _ => t.at(z),
                };
                match col.kind {
                    ColumnKind::Integer => Arc::new(Int64Array::new(
                        scores.iter().map(|&z| crate::rng::round(value(z)) as i64).collect(),
                        nulls,
                    )),
                    ColumnKind::Timestamp => Arc::new(
                        TimestampMicrosecondArray::new(
                            scores.iter().map(|&z| crate::rng::round(value(z)) as i64).collect(),
                            nulls,
                        )
                        .with_timezone("UTC"),
                    ),
                    _ => {
                        let scale = col.decimals.map(|d| 10f64.powi(d as i32));
                        let round = |x: f64| scale.map_or(x, |s| crate::rng::round(x * s) / s);
                        Arc::new(Float64Array::new(scores.iter().map(|&z| round(value(z))).collect(), nulls))
                    }
                }
            }
            Reader::Category { bounds, values, dictionary } => {
                let index = |z: f64| match fixed {
                    Some(Fixed::Category { index, .. }) => *index,
                    _ => bounds.partition_point(|&b| b <= z),
                };
                if col.kind == ColumnKind::Boolean {
                    let bits: arrow_buffer::BooleanBuffer =
                        scores.iter().map(|&z| values[index(z)] == "true").collect();
                    Arc::new(BooleanArray::new(bits, nulls))
                } else {
                    // Keys into the categories: 4 bytes a row, no text copied.
                    let keys = arrow_array::Int32Array::new(scores.iter().map(|&z| index(z) as i32).collect(), nulls);
                    Arc::new(
                        arrow_array::DictionaryArray::<arrow_array::types::Int32Type>::try_new(
                            keys,
                            Arc::clone(dictionary),
                        )
                        .expect("keys index the categories"),
                    )
                }
            }
        }
    }
}

fn kind_name(k: ColumnKind) -> &'static str {
    match k {
        ColumnKind::Float => "a number column",
        ColumnKind::Integer => "an integer column",
        ColumnKind::Timestamp => "a timestamp column",
        ColumnKind::Categorical => "a category column",
        ColumnKind::Boolean => "a boolean column",
    }
}

/// A condition's number (timestamps: µs, or RFC 3339 text).
fn number_condition(c: &ModelColumn, v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if c.kind == ColumnKind::Timestamp => {
            chrono::DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp_micros() as f64)
        }
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Σ_BA Σ_AA⁻¹ (|b| × |a|, row-major) and the conditional covariance
/// Σ_BB − Σ_BA Σ_AA⁻¹ Σ_AB (|b| × |b|) of columns `b` given columns `a`.
fn conditional(a: &[usize], b: &[usize], r: &impl Fn(usize, usize) -> f64) -> Option<(Vec<f64>, Vec<f64>)> {
    let (na, nb) = (a.len(), b.len());
    let saa: Vec<f64> = a.iter().flat_map(|&i| a.iter().map(move |&j| r(i, j))).collect();
    let inv = if na == 0 { Vec::new() } else { linalg::inverse_pd(&saa, na)? };
    let mut coef = vec![0.0; nb * na];
    for (x, &bi) in b.iter().enumerate() {
        for y in 0..na {
            coef[x * na + y] = (0..na).map(|k| r(bi, a[k]) * inv[k * na + y]).sum();
        }
    }
    let mut cov = vec![0.0; nb * nb];
    for (x, &bi) in b.iter().enumerate() {
        for (y, &bj) in b.iter().enumerate() {
            cov[x * nb + y] = r(bi, bj) - (0..na).map(|k| coef[x * na + k] * r(a[k], bj)).sum::<f64>();
        }
    }
    Some((coef, cov))
}

/// A covariance scaled to unit diagonal.
fn normalize(cov: &[f64], n: usize) -> Vec<f64> {
    let d: Vec<f64> = (0..n).map(|i| cov[i * n + i].max(1e-12).sqrt()).collect();
    (0..n * n).map(|k| cov[k] / (d[k / n] * d[k % n])).collect()
}

/// The Cholesky factor of a normalized matrix, scaled back by the diagonal of `cov`.
fn rescale(l: &[f64], cov: &[f64], n: usize) -> Vec<f64> {
    (0..n * n).map(|k| l[k] * cov[(k / n) * n + k / n].max(1e-12).sqrt()).collect()
}

#[cfg(test)]
mod tests;
