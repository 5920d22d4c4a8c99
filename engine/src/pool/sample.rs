//! Seeded samples of a stream of batches, in bounded memory.
//!
//! Every source row gets a random key from (seed, row number). `rows: N`
//! keeps the N rows with the smallest keys — a uniform sample without
//! replacement that depends only on the seed and the source, never on batch
//! boundaries — holding at most 2N rows at any time. `fraction: f` keeps each
//! row whose key is below f (a Bernoulli sample). Kept rows stay in source order.

use super::SampleSpec;
use crate::rng::StreamKey;
use arrow_array::{RecordBatch, UInt32Array};
use arrow_schema::SchemaRef;

/// Accumulates a sample of the batches pushed into it.
#[derive(Debug)]
pub struct Sampler {
    key: StreamKey,
    target: Target,
    schema: SchemaRef,
    /// Kept pieces and, per kept row, (key, source row, piece, offset).
    pieces: Vec<RecordBatch>,
    kept: Vec<(u64, u64, usize, usize)>,
    /// Rows seen so far.
    seen: u64,
    /// Only keys below this can enter (the reservoir's largest once full).
    threshold: u64,
}

#[derive(Debug, Clone, Copy)]
enum Target {
    Rows(usize),
    Fraction(u64),
}

impl Sampler {
    /// A sampler for `spec` over batches of `schema`.
    pub fn new(spec: &SampleSpec, schema: SchemaRef) -> Self {
        let seed = spec.seed.unwrap_or(super::DEFAULT_SAMPLE_SEED);
        let target = match (spec.rows, spec.fraction) {
            (Some(n), _) => Target::Rows(n.min(usize::MAX as u64) as usize),
            (None, Some(f)) => {
                Target::Fraction(if f >= 1.0 { u64::MAX } else { (f * 18_446_744_073_709_551_616.0) as u64 })
            }
            (None, None) => Target::Fraction(u64::MAX),
        };
        let threshold = match target {
            Target::Rows(_) => u64::MAX,
            Target::Fraction(t) => t,
        };
        Self {
            key: StreamKey::for_field(seed, "pool sample"),
            target,
            schema,
            pieces: Vec::new(),
            kept: Vec::new(),
            seen: 0,
            threshold,
        }
    }

    /// Rows seen so far.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// Rows held now.
    pub fn held(&self) -> usize {
        self.kept.len()
    }

    /// Offers the rows of `batch` (the next rows of the source).
    pub fn push(&mut self, batch: &RecordBatch) -> Result<(), String> {
        let first = self.seen;
        self.seen += batch.num_rows() as u64;
        let full = matches!(self.target, Target::Fraction(u64::MAX));
        let mut take = Vec::new();
        let mut keys = Vec::new();
        for i in 0..batch.num_rows() {
            let row = first + i as u64;
            let u = self.key.at(row);
            if full || u < self.threshold {
                take.push(i as u32);
                keys.push((u, row));
            }
        }
        if take.is_empty() {
            return Ok(());
        }
        let piece = if take.len() == batch.num_rows() {
            batch.clone()
        } else {
            arrow_select::take::take_record_batch(batch, &UInt32Array::from(take)).map_err(|e| e.to_string())?
        };
        let p = self.pieces.len();
        self.pieces.push(piece);
        self.kept.extend(keys.into_iter().enumerate().map(|(off, (u, row))| (u, row, p, off)));
        if let Target::Rows(n) = self.target
            && self.kept.len() > 2 * n.max(1024)
        {
            self.compact(n)?;
        }
        Ok(())
    }

    /// Keeps the `n` smallest keys, in one piece.
    fn compact(&mut self, n: usize) -> Result<(), String> {
        if self.kept.len() > n {
            self.kept.select_nth_unstable_by_key(n - 1, |k| k.0);
            self.kept.truncate(n);
            self.threshold = self.kept.iter().map(|k| k.0).max().unwrap_or(u64::MAX);
        }
        self.kept.sort_unstable_by_key(|k| k.1);
        let refs: Vec<&RecordBatch> = self.pieces.iter().collect();
        let pairs: Vec<(usize, usize)> = self.kept.iter().map(|k| (k.2, k.3)).collect();
        let one = if refs.is_empty() {
            RecordBatch::new_empty(self.schema.clone())
        } else {
            arrow_select::interleave::interleave_record_batch(&refs, &pairs).map_err(|e| e.to_string())?
        };
        self.pieces = vec![one];
        for (off, k) in self.kept.iter_mut().enumerate() {
            k.2 = 0;
            k.3 = off;
        }
        Ok(())
    }

    /// The sample, in source order.
    pub fn finish(mut self) -> Result<RecordBatch, String> {
        let n = match self.target {
            Target::Rows(n) => n,
            Target::Fraction(_) => usize::MAX,
        };
        self.compact(n)?;
        Ok(self.pieces.pop().unwrap_or_else(|| RecordBatch::new_empty(self.schema.clone())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Int64Array;
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;

    fn source(rows: i64, batch: i64) -> (SchemaRef, Vec<RecordBatch>) {
        let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, false)]));
        let batches = (0..rows)
            .step_by(batch as usize)
            .map(|s| {
                let ids: Int64Array = (s..(s + batch).min(rows)).collect();
                RecordBatch::try_new(schema.clone(), vec![Arc::new(ids)]).expect("batch")
            })
            .collect();
        (schema, batches)
    }

    fn ids(spec: &SampleSpec, batch: i64) -> (Vec<i64>, usize) {
        let (schema, batches) = source(100_000, batch);
        let mut s = Sampler::new(spec, schema);
        let mut most = 0;
        for b in &batches {
            s.push(b).expect("push");
            most = most.max(s.held());
        }
        let out = s.finish().expect("finish");
        let col = out.column(0).as_any().downcast_ref::<Int64Array>().expect("ids");
        (col.values().to_vec(), most)
    }

    #[test]
    fn a_reservoir_sample_depends_on_the_seed_not_on_batches_and_stays_bounded() {
        let spec = SampleSpec { rows: Some(1000), fraction: None, seed: Some(7) };
        let (a, most) = ids(&spec, 4096);
        let (b, _) = ids(&spec, 777);
        assert_eq!(a.len(), 1000);
        assert_eq!(a, b, "same seed, same sample, whatever the batches");
        assert!(most <= 2 * 1024 + 4096, "held {most} rows at most");
        assert!(a.windows(2).all(|w| w[0] < w[1]), "source order");
        let (c, _) = ids(&SampleSpec { seed: Some(8), ..spec.clone() }, 4096);
        assert_ne!(a, c, "another seed, another sample");
        // Uniform: about a tenth of the sample in each tenth of the source.
        for d in 0..10 {
            let n = a.iter().filter(|&&v| v / 10_000 == d).count();
            assert!((60..=140).contains(&n), "decile {d}: {n}");
        }
        let (dflt, _) = ids(&SampleSpec { seed: None, ..spec.clone() }, 4096);
        let (dflt2, _) = ids(&SampleSpec { seed: None, ..spec }, 1000);
        assert_eq!(dflt, dflt2, "no seed: a fixed default");
    }

    #[test]
    fn a_fraction_keeps_about_that_share() {
        let (a, _) = ids(&SampleSpec { rows: None, fraction: Some(0.1), seed: None }, 4096);
        assert!((9_000..=11_000).contains(&a.len()), "{}", a.len());
        let (all, _) = ids(&SampleSpec { rows: None, fraction: Some(1.0), seed: None }, 4096);
        assert_eq!(all.len(), 100_000);
    }
}
