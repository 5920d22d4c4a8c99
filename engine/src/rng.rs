//! Counter-based randomness keyed by (seed, stream, row).
//!
//! The random value of a row is a pure function of the generator seed, the
//! field's stream and the row's global index, so any worker can fill any
//! batch, batch boundaries never matter, and a row range [a, b) generated on
//! its own equals that slice of a full run. A stream's key is derived from the
//! seed and the field *name* (not its position), so adding a field leaves the
//! values of the others unchanged.

use rand_core::{Infallible, TryRng};

const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 finaliser: a strong 64-bit mix.
#[inline(always)]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A fresh seed, for a definition that names none: time and process mixed,
/// kept below 2^53 so it survives a round trip through JSON numbers in
/// any client (JavaScript's are doubles).
pub fn random_seed() -> u64 {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
    mix64(nanos ^ (std::process::id() as u64).rotate_left(32)) >> 11
}

/// The key of one random stream; `at(row)` is that row's 64 random bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamKey(u64);

impl StreamKey {
    /// The stream of field `name` under `seed`.
    pub fn for_field(seed: u64, name: &str) -> Self {
        let h = xxhash_rust::xxh3::xxh3_64(name.as_bytes());
        Self(mix64(seed ^ mix64(h)))
    }

    /// An independent sub-stream (null mask, jitter, second word of a UUID, …).
    pub fn substream(self, n: u64) -> Self {
        Self(mix64(self.0 ^ mix64(n.wrapping_add(1).wrapping_mul(GAMMA))))
    }

    /// The 64 random bits of `row`.
    #[inline(always)]
    pub fn at(self, row: u64) -> u64 {
        mix64(self.0.wrapping_add(row.wrapping_mul(GAMMA)))
    }

    /// A small generator for rows that need several draws (rejection samplers).
    #[inline(always)]
    pub fn rng(self, row: u64) -> RowRng {
        RowRng(self.at(row))
    }
}

/// Uniform integer in `[0, n)` from 64 random bits (Lemire's multiply-shift).
#[inline(always)]
pub fn below(bits: u64, n: u64) -> u64 {
    ((bits as u128 * n as u128) >> 64) as u64
}

/// Uniform float in `[0, 1)` with 53 bits of precision.
#[inline(always)]
pub fn unit_f64(bits: u64) -> f64 {
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A wyrand generator seeded from one row's bits; implements `rand_core`
/// so `rand_distr` samplers (ziggurat normal, exponential, zipf) can use it.
#[derive(Debug, Clone)]
pub struct RowRng(u64);

impl TryRng for RowRng {
    type Error = Infallible;

    #[inline(always)]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.next() >> 32) as u32)
    }

    #[inline(always)]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.next())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        Ok(())
    }
}

impl RowRng {
    /// A generator starting from one row's random bits.
    #[inline(always)]
    pub fn from_bits(bits: u64) -> Self {
        Self(bits)
    }

    /// The next 64 random bits.
    #[inline(always)]
    pub fn next_u64(&mut self) -> u64 {
        self.next()
    }

    #[inline(always)]
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0xA076_1D64_78BD_642F);
        let t = (self.0 as u128).wrapping_mul((self.0 ^ 0xE703_7ED1_A0B4_28DB) as u128);
        ((t >> 64) as u64) ^ (t as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_pure_functions_of_seed_name_and_row() {
        let a = StreamKey::for_field(42, "amount");
        assert_eq!(a.at(7), StreamKey::for_field(42, "amount").at(7));
        assert_ne!(a.at(7), StreamKey::for_field(43, "amount").at(7));
        assert_ne!(a.at(7), StreamKey::for_field(42, "amount2").at(7));
        assert_ne!(a.at(7), a.substream(0).at(7));
        assert_ne!(a.substream(0).at(7), a.substream(1).at(7));
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let k = StreamKey::for_field(1, "x");
        let mut seen = [0u32; 10];
        for r in 0..10_000 {
            let v = below(k.at(r), 10);
            seen[v as usize] += 1;
        }
        assert!(seen.iter().all(|&c| (800..1200).contains(&c)), "{seen:?}");
    }

    #[test]
    fn unit_is_in_unit_interval() {
        let k = StreamKey::for_field(1, "u");
        let mean: f64 = (0..100_000).map(|r| unit_f64(k.at(r))).sum::<f64>() / 100_000.0;
        assert!((mean - 0.5).abs() < 0.01, "{mean}");
        assert!(unit_f64(u64::MAX) < 1.0);
    }
}

/// `x.round()` (half away from zero), bit for bit, inline: on baseline
/// x86-64 (no SSE4.1 `roundsd`) `f64::round` is a call into libm, once per
/// row of every rounded column (8 % of the orders benchmark's profile).
/// Every per-row rounding of the engine goes through it.
#[inline(always)]
pub fn round(x: f64) -> f64 {
    // From 2^52 on every f64 is an integer; NaN and infinities stay as they are.
    if x.is_nan() || x.abs() >= 4_503_599_627_370_496.0 {
        return x;
    }
    let t = x as i64 as f64; // trunc(x), exact
    // Without a branch on the fraction (random data would mispredict it half the time).
    let bump = f64::from(u8::from((x - t).abs() >= 0.5));
    // round(-0.3) is -0.0.
    (t + bump.copysign(x)).copysign(x)
}

#[cfg(test)]
mod round_tests {
    #[test]
    fn round_is_f64_round_bit_for_bit() {
        let edges = [
            0.0,
            -0.0,
            0.5,
            -0.5,
            0.49999999999999994,
            -0.49999999999999994,
            1.5,
            2.5,
            -2.5,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            -4_503_599_627_370_497.0,
            1e300,
            f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
        ];
        let mut bits = 0x1234_5678_9abc_def0u64;
        let randoms = (0..200_000).map(|i| {
            bits = super::mix64(bits.wrapping_add(i));
            let u = super::unit_f64(bits);
            match i % 4 {
                0 => (u - 0.5) * 1000.0,
                1 => (u - 0.5) * 1e17,
                2 => f64::from_bits(bits),
                _ => (u * 2000.0).round() / 2.0 - 500.0, // exact halves
            }
        });
        for x in edges.into_iter().chain(randoms) {
            let (want, got) = (x.round(), super::round(x));
            assert!(want.to_bits() == got.to_bits() || (want.is_nan() && got.is_nan()), "{x:e}: {want:e} vs {got:e}");
        }
        assert!(super::round(f64::NAN).is_nan());
    }
}
