//! How close generated rows are to their source, in the style of SDMetrics'
//! quality report: column shapes (1 − KS for numbers and timestamps, 1 − TV
//! for categories) and column pair trends (1 − |Δ correlation| / 2 for two
//! numeric columns, 1 − TV of the joint frequencies otherwise, numbers cut
//! into the source's deciles), the score the mean of the two means.

use super::{FitColumn, kind_of, numbers, pearson, spearman, stats, texts};
use serde::Serialize;
use std::collections::BTreeMap;

/// One column's shape score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnShape {
    /// The column.
    pub column: String,
    /// `ks` (numbers, timestamps) or `tv` (categories, booleans).
    pub metric: &'static str,
    /// The statistic: the two-sample KS or the total-variation distance.
    pub value: f64,
}

/// The fidelity report of generated rows against their source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Generated rows compared.
    pub rows: usize,
    /// Per column.
    pub columns: Vec<ColumnShape>,
    /// The largest |Δ| between the Pearson correlations of numeric column pairs.
    pub max_pearson_delta: f64,
    /// The largest |Δ| between their Spearman correlations.
    pub max_spearman_delta: f64,
    /// Mean of 1 − statistic over the columns.
    pub column_shapes: f64,
    /// Mean pair-trend similarity over the column pairs (1 when there is one column).
    pub column_pairs: f64,
    /// (column_shapes + column_pairs) / 2.
    pub quality: f64,
}

/// What a column holds, read once.
enum Values {
    Numbers(Vec<Option<f64>>),
    Texts(Vec<Option<String>>),
}

fn read(c: &FitColumn) -> Result<Values, String> {
    let kind = kind_of(&c.0, c.1.data_type())?;
    Ok(if kind.numeric() {
        Values::Numbers(numbers(&c.1, kind).map_err(|e| format!("column `{}`: {e}", c.0))?)
    } else {
        Values::Texts(texts(&c.1).map_err(|e| format!("column `{}`: {e}", c.0))?)
    })
}

/// The report of `rows` rows sampled from `model` (the stream of `seed`)
/// against `source`, the data it was fitted on: what `sdg fit` prints and
/// the model API returns.
pub fn of_model(model: &super::Model, source: &[FitColumn], rows: usize, seed: u64) -> Result<Report, String> {
    let sampler = super::Sampler::new(model.clone(), &Default::default())?;
    let columns: Vec<usize> = (0..model.columns.len()).collect();
    let key = crate::rng::StreamKey::for_field(seed, "sdg fit");
    let arrays = sampler.sample(key, crate::mapping::Rows::Range { start: 0, len: rows }, &columns);
    let generated: Vec<FitColumn> = model.columns.iter().map(|c| c.name.clone()).zip(arrays).collect();
    report(source, &generated)
}

/// Compares `generated` with `source`, column by column (the same names, in any order).
pub fn report(source: &[FitColumn], generated: &[FitColumn]) -> Result<Report, String> {
    let mut src = Vec::new();
    let mut gen_ = Vec::new();
    for s in source {
        let g = generated
            .iter()
            .find(|g| g.0 == s.0)
            .ok_or_else(|| format!("the generated rows have no column `{}`", s.0))?;
        src.push(read(s)?);
        gen_.push(read(g)?);
    }
    let rows = generated.first().map_or(0, |g| g.1.len());
    let mut columns = Vec::new();
    for (k, s) in source.iter().enumerate() {
        let (metric, value) = match (&src[k], &gen_[k]) {
            (Values::Numbers(a), Values::Numbers(b)) => ("ks", stats::ks_two_sample(&sorted(a), &sorted(b))),
            (Values::Texts(a), Values::Texts(b)) => {
                ("tv", tv(&frequencies(a.iter().cloned()), &frequencies(b.iter().cloned())))
            }
            _ => return Err(format!("column `{}` has another type in the generated rows", s.0)),
        };
        columns.push(ColumnShape { column: s.0.clone(), metric, value });
    }
    let shapes = columns.iter().map(|c| 1.0 - c.value).sum::<f64>() / columns.len().max(1) as f64;
    let (mut max_p, mut max_s, mut pairs, mut pair_scores) = (0f64, 0f64, 0usize, 0f64);
    for i in 0..source.len() {
        for j in 0..i {
            pairs += 1;
            match (&src[i], &src[j], &gen_[i], &gen_[j]) {
                (Values::Numbers(si), Values::Numbers(sj), Values::Numbers(gi), Values::Numbers(gj)) => {
                    let (ps, pg) = (pearson(&both(si, sj)), pearson(&both(gi, gj)));
                    let (rs, rg) = (spearman(&both(si, sj)), spearman(&both(gi, gj)));
                    max_p = max_p.max((ps - pg).abs());
                    max_s = max_s.max((rs - rg).abs());
                    pair_scores += 1.0 - (ps - pg).abs() / 2.0;
                }
                _ => {
                    let (bi, bj) = (binner(&src[i]), binner(&src[j]));
                    let joint = |a: &Values, b: &Values| {
                        frequencies((0..len(a)).map(|r| match (bi.bin(a, r), bj.bin(b, r)) {
                            (Some(x), Some(y)) => Some(format!("{x}\u{1f}{y}")),
                            _ => None,
                        }))
                    };
                    pair_scores += 1.0 - tv(&joint(&src[i], &src[j]), &joint(&gen_[i], &gen_[j]));
                }
            }
        }
    }
    let column_pairs = if pairs == 0 { 1.0 } else { pair_scores / pairs as f64 };
    Ok(Report {
        rows,
        columns,
        max_pearson_delta: max_p,
        max_spearman_delta: max_s,
        column_shapes: shapes,
        column_pairs,
        quality: (shapes + column_pairs) / 2.0,
    })
}

fn len(v: &Values) -> usize {
    match v {
        Values::Numbers(n) => n.len(),
        Values::Texts(t) => t.len(),
    }
}

fn sorted(v: &[Option<f64>]) -> Vec<f64> {
    let mut s: Vec<f64> = v.iter().flatten().copied().filter(|x| x.is_finite()).collect();
    s.sort_by(f64::total_cmp);
    s
}

fn both(a: &[Option<f64>], b: &[Option<f64>]) -> Vec<(f64, f64)> {
    a.iter().zip(b).filter_map(|(x, y)| Some((*x.as_ref()?, *y.as_ref()?))).collect()
}

/// Shares of each value among the non-null ones.
fn frequencies(values: impl Iterator<Item = Option<String>>) -> BTreeMap<String, f64> {
    let mut counts: BTreeMap<String, f64> = BTreeMap::new();
    let mut n = 0.0;
    for v in values.flatten() {
        *counts.entry(v).or_default() += 1.0;
        n += 1.0;
    }
    if n > 0.0 {
        for c in counts.values_mut() {
            *c /= n;
        }
    }
    counts
}

/// Total variation distance: half the L1 distance of two distributions.
fn tv(a: &BTreeMap<String, f64>, b: &BTreeMap<String, f64>) -> f64 {
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter().map(|k| (a.get(k).unwrap_or(&0.0) - b.get(k).unwrap_or(&0.0)).abs()).sum::<f64>() / 2.0
}

/// Numbers cut at the source's deciles; text as it is.
enum Binner {
    Cuts(Vec<f64>),
    Text,
}

fn binner(source: &Values) -> Binner {
    match source {
        Values::Numbers(v) => {
            let s = sorted(v);
            if s.is_empty() {
                return Binner::Cuts(Vec::new());
            }
            Binner::Cuts((1..10).map(|k| s[(k * s.len() / 10).min(s.len() - 1)]).collect())
        }
        Values::Texts(_) => Binner::Text,
    }
}

impl Binner {
    fn bin(&self, v: &Values, row: usize) -> Option<String> {
        match (self, v) {
            (Binner::Cuts(c), Values::Numbers(n)) => n[row].map(|x| c.partition_point(|&b| b <= x).to_string()),
            (_, Values::Texts(t)) => t[row].clone(),
            (Binner::Text, Values::Numbers(n)) => n[row].map(|x| x.to_string()),
        }
    }
}
