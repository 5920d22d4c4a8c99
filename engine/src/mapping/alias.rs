//! Vose's alias method: O(1) sampling from a discrete distribution with one
//! random word per draw (the high half of `bits × n` picks a column, the low
//! half is the coin). Used by weighted ENUM_RANDOM and by zipf.

/// A prepared discrete distribution over `0..n`.
#[derive(Debug, Clone)]
pub(crate) struct AliasTable {
    /// Column i is kept when the coin is below `keep[i]`, else `alias[i]` is drawn.
    keep: Vec<u64>,
    alias: Vec<u32>,
}

impl AliasTable {
    /// Builds the table for non-negative `weights` with a positive sum.
    pub fn new(weights: &[f64]) -> Self {
        let n = weights.len();
        let total: f64 = weights.iter().sum();
        let mut prob: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let mut alias: Vec<u32> = (0..n as u32).collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| prob[i] < 1.0);
        while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
            alias[s] = l as u32;
            prob[l] -= 1.0 - prob[s];
            if prob[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Columns left over are full (probability 1) up to rounding.
        for i in small.into_iter().chain(large) {
            prob[i] = 1.0;
        }
        let keep =
            prob.iter().map(|&p| if p >= 1.0 { u64::MAX } else { (p * 18_446_744_073_709_551_616.0) as u64 }).collect();
        Self { keep, alias }
    }

    /// The outcome for 64 random bits.
    #[inline(always)]
    pub fn sample(&self, bits: u64) -> usize {
        let wide = bits as u128 * self.keep.len() as u128;
        let col = (wide >> 64) as usize;
        if (wide as u64) < self.keep[col] { col } else { self.alias[col] as usize }
    }
}

#[cfg(test)]
mod tests {
    use super::AliasTable;
    use crate::rng::StreamKey;

    #[test]
    fn reproduces_weights() {
        let t = AliasTable::new(&[5.0, 3.0, 2.0]);
        let key = StreamKey::for_field(7, "s");
        let mut counts = [0u64; 3];
        for r in 0..300_000 {
            counts[t.sample(key.at(r))] += 1;
        }
        let share: Vec<f64> = counts.iter().map(|c| *c as f64 / 300_000.0).collect();
        assert!(
            (share[0] - 0.5).abs() < 0.01 && (share[1] - 0.3).abs() < 0.01 && (share[2] - 0.2).abs() < 0.01,
            "{share:?}"
        );
    }

    #[test]
    fn zero_weight_is_never_drawn() {
        let t = AliasTable::new(&[0.0, 1.0, 0.0]);
        let key = StreamKey::for_field(1, "z");
        assert!((0..50_000).all(|r| t.sample(key.at(r)) == 1));
    }
}
