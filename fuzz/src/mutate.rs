//! A deterministic byte-level mutator: the same seed and iteration give the same input, so a
//! failure can be replayed from its numbers alone. Not coverage-guided: it stacks a few blind
//! edits (bit flips, boundary integers at any offset, deletions, duplications, dictionary
//! tokens, splices from another seed) on a seed input.

/// SplitMix64: small, fast and good enough to pick edits; no dependency needed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (0 when `bound` is 0).
    pub fn below(&mut self, bound: usize) -> usize {
        if bound == 0 {
            0
        } else {
            (self.next_u64() % bound as u64) as usize
        }
    }
}

/// Integers that sit on the boundaries length and offset checks get wrong.
const BOUNDARY_U32: [u32; 10] = [
    0,
    1,
    0x7F,
    0x80,
    0xFF,
    0xFFFF,
    0x7FFF_FFFF,
    0x8000_0000,
    0xFFFF_FFFE,
    0xFFFF_FFFF,
];

/// Mutates `input` in place with one to four edits; the result is at most `max_len` bytes.
pub fn mutate(
    input: &mut Vec<u8>,
    other: &[u8],
    dictionary: &[&[u8]],
    rng: &mut Rng,
    max_len: usize,
) {
    for _ in 0..1 + rng.below(4) {
        edit(input, other, dictionary, rng);
    }
    input.truncate(max_len);
}

fn edit(input: &mut Vec<u8>, other: &[u8], dictionary: &[&[u8]], rng: &mut Rng) {
    let len = input.len();
    match rng.below(9) {
        0 if len > 0 => {
            let at = rng.below(len);
            input[at] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let at = rng.below(len);
            input[at] = rng.next_u64() as u8;
        }
        2 if len >= 4 => {
            let at = rng.below(len - 3);
            let value = BOUNDARY_U32[rng.below(BOUNDARY_U32.len())];
            input[at..at + 4].copy_from_slice(&value.to_le_bytes());
        }
        3 if len >= 2 => {
            let at = rng.below(len - 1);
            let value = BOUNDARY_U32[rng.below(BOUNDARY_U32.len())] as u16;
            input[at..at + 2].copy_from_slice(&value.to_le_bytes());
        }
        4 if len > 0 => {
            let start = rng.below(len);
            let end = (start + 1 + rng.below(64)).min(len);
            input.drain(start..end);
        }
        5 if len > 0 => {
            let start = rng.below(len);
            let end = (start + 1 + rng.below(256)).min(len);
            let copy = input[start..end].to_vec();
            let at = rng.below(len + 1);
            input.splice(at..at, copy);
        }
        6 if !dictionary.is_empty() => {
            let token = dictionary[rng.below(dictionary.len())];
            let at = rng.below(len + 1);
            input.splice(at..at, token.iter().copied());
        }
        7 if !other.is_empty() => {
            let start = rng.below(other.len());
            let end = (start + 1 + rng.below(1024)).min(other.len());
            let at = rng.below(len + 1);
            let cut = (at + rng.below(1024)).min(len);
            input.splice(at..cut, other[start..end].iter().copied());
        }
        _ => {
            let at = rng.below(len + 1);
            input.truncate(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_inputs() {
        let run = |seed| {
            let mut rng = Rng::new(seed);
            let mut input = b"AND (A = \"1\")".to_vec();
            for _ in 0..100 {
                mutate(&mut input, b"OR NOT", &[b"[", b"]"], &mut rng, 1 << 20);
            }
            input
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn inputs_stay_under_the_cap() {
        let mut rng = Rng::new(1);
        let seed = vec![0x41u8; 300];
        for _ in 0..1000 {
            let mut input = seed.clone();
            mutate(&mut input, &seed, &[b"XYZ"], &mut rng, 256);
            assert!(input.len() <= 256);
        }
    }

    #[test]
    fn almost_every_mutation_changes_the_input() {
        let mut rng = Rng::new(1);
        let seed: Vec<u8> = (0..=255).collect();
        let changed = (0..1000)
            .filter(|_| {
                let mut input = seed.clone();
                mutate(&mut input, b"other", &[b"XYZ"], &mut rng, 1 << 20);
                input != seed
            })
            .count();
        assert!(changed > 950, "only {changed} of 1000 inputs changed");
    }

    #[test]
    fn empty_inputs_and_seeds_do_not_panic() {
        let mut rng = Rng::new(3);
        for _ in 0..1000 {
            let mut input = Vec::new();
            mutate(&mut input, &[], &[], &mut rng, 16);
            assert!(input.len() <= 16);
        }
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = Rng::new(9);
        assert!((0..1000).all(|_| rng.below(5) < 5));
        assert_eq!(rng.below(0), 0);
    }
}
