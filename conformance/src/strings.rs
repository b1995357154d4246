//! Strings for a pattern: one that matches with an exact length (in characters), and one of
//! a given length that does not. Matching strings are built from the pattern's syntax tree
//! (the `regex` crate's own parser): first the set of lengths each node can match, then a
//! walk that spends the wanted length. Lookarounds are taken as satisfied while building,
//! so every string is checked against the compiled regex before it is handed out.

use std::cell::RefCell;
use std::collections::HashMap;

use regex::Regex;
use regex_syntax::hir::{Class, Hir, HirKind};

/// Characters tried first when a class offers a choice, so strings stay readable.
const PREFERRED_CHARS: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.";
/// Characters tried, repeated, for a string that must not match.
const NON_MATCHING_CANDIDATES: &[char] =
    &['!', ' ', 'A', '#', 'a', '0', '~', '-', '.', '/', '_', 'é'];

/// A pattern (in `regex` crate syntax), ready to produce strings.
#[derive(Debug)]
pub struct PatternStrings {
    hir: Hir,
    regex: Regex,
    /// Strings already built, by length: the generator asks for the same ones often.
    built: RefCell<HashMap<usize, Option<String>>>,
}

impl PatternStrings {
    pub fn new(rust_regex: &str) -> Result<PatternStrings, String> {
        let hir = regex_syntax::ParserBuilder::new()
            .build()
            .parse(rust_regex)
            .map_err(|e| format!("pattern `{rust_regex}`: {e}"))?;
        let regex = Regex::new(rust_regex).map_err(|e| format!("pattern `{rust_regex}`: {e}"))?;
        Ok(PatternStrings {
            hir,
            regex,
            built: RefCell::default(),
        })
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }

    /// A string of exactly `length` characters that matches, if the builder finds one.
    pub fn matching(&self, length: usize) -> Option<String> {
        if let Some(known) = self.built.borrow().get(&length) {
            return known.clone();
        }
        let built = self.build(length);
        self.built.borrow_mut().insert(length, built.clone());
        built
    }

    fn build(&self, length: usize) -> Option<String> {
        let mut builder = Builder {
            cap: length,
            memo: HashMap::new(),
        };
        if !builder.lengths(&self.hir).contains(length) {
            return None;
        }
        let mut out = String::new();
        builder.build(&self.hir, length, &mut out);
        self.is_match(&out).then_some(out)
    }

    /// The shortest length in `min..=max` for which [`Self::matching`] succeeds. Looks in
    /// windows of growing size, since most patterns match short strings.
    pub fn shortest_matching(&self, min: usize, max: usize) -> Option<String> {
        let mut cap = min.saturating_add(16).min(max);
        loop {
            let lengths = Builder {
                cap,
                memo: HashMap::new(),
            }
            .lengths(&self.hir);
            let found = (min..=cap)
                .filter(|&length| lengths.contains(length))
                .find_map(|length| self.matching(length));
            if found.is_some() || cap >= max {
                return found;
            }
            cap = cap.saturating_mul(4).min(max);
        }
    }

    /// A string of exactly `length` characters that does not match.
    pub fn non_matching(&self, length: usize) -> Option<String> {
        if length == 0 {
            return (!self.is_match("")).then(String::new);
        }
        NON_MATCHING_CANDIDATES
            .iter()
            .map(|c| c.to_string().repeat(length))
            .find(|candidate| !self.is_match(candidate))
    }
}

/// Sets of lengths, as bits, up to a cap.
#[derive(Debug, Clone, PartialEq)]
struct Lengths(Vec<u64>);

impl Lengths {
    fn empty(cap: usize) -> Lengths {
        Lengths(vec![0; cap / 64 + 1])
    }

    fn only(cap: usize, length: usize) -> Lengths {
        let mut set = Lengths::empty(cap);
        set.insert(length, cap);
        set
    }

    fn insert(&mut self, length: usize, cap: usize) {
        if length <= cap {
            self.0[length / 64] |= 1 << (length % 64);
        }
    }

    fn contains(&self, length: usize) -> bool {
        self.0
            .get(length / 64)
            .is_some_and(|word| word & (1 << (length % 64)) != 0)
    }

    fn union(&mut self, other: &Lengths) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }

    /// The lengths in the set, up to `cap`, ascending (word by word: sets are sparse).
    fn iter(&self, cap: usize) -> impl Iterator<Item = usize> + '_ {
        self.0
            .iter()
            .enumerate()
            .flat_map(move |(index, &word)| {
                let mut rest = word;
                std::iter::from_fn(move || {
                    (rest != 0).then(|| {
                        let bit = rest.trailing_zeros() as usize;
                        rest &= rest - 1;
                        index * 64 + bit
                    })
                })
            })
            .take_while(move |&length| length <= cap)
    }

    /// `{a + b | a in self, b in other, a + b <= cap}`: `self` shifted by each `b`.
    fn sum(&self, other: &Lengths, cap: usize) -> Lengths {
        let mut out = Lengths::empty(cap);
        for b in other.iter(cap) {
            out.or_shifted(self, b);
        }
        out.clear_above(cap);
        out
    }

    /// `self |= other << by` (bits past the end fall off).
    fn or_shifted(&mut self, other: &Lengths, by: usize) {
        let (words, bits) = (by / 64, by % 64);
        let len = self.0.len();
        for i in (words..len).rev() {
            let low = other.0[i - words];
            let mut word = low << bits;
            if bits > 0 && i > words {
                word |= other.0[i - words - 1] >> (64 - bits);
            }
            self.0[i] |= word;
        }
    }

    fn clear_above(&mut self, cap: usize) {
        let last = cap / 64;
        let keep = cap % 64 + 1;
        if keep < 64 {
            self.0[last] &= (1u64 << keep) - 1;
        }
    }
}

#[derive(Debug)]
struct Builder {
    /// Longest length of interest: nothing longer is tracked.
    cap: usize,
    /// Length sets by node address (the tree does not move while building).
    memo: HashMap<*const Hir, Lengths>,
}

impl Builder {
    fn lengths(&mut self, hir: &Hir) -> Lengths {
        let key = hir as *const Hir;
        if let Some(known) = self.memo.get(&key) {
            return known.clone();
        }
        let cap = self.cap;
        let set = match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => Lengths::only(cap, 0),
            HirKind::Literal(literal) => {
                Lengths::only(cap, String::from_utf8_lossy(&literal.0).chars().count())
            }
            HirKind::Class(class) => {
                if class_char(class).is_some() {
                    Lengths::only(cap, 1)
                } else {
                    Lengths::empty(cap)
                }
            }
            HirKind::Capture(capture) => self.lengths(&capture.sub),
            HirKind::Concat(parts) => parts.iter().fold(Lengths::only(cap, 0), |acc, part| {
                let part = self.lengths(part);
                acc.sum(&part, cap)
            }),
            HirKind::Alternation(branches) => {
                let mut set = Lengths::empty(cap);
                for branch in branches {
                    set.union(&self.lengths(branch));
                }
                set
            }
            HirKind::Repetition(repetition) => {
                let body = self.lengths(&repetition.sub);
                let mut set = Lengths::empty(cap);
                for (count, reach) in self.repetitions(&body, repetition.min, repetition.max) {
                    if count >= repetition.min as usize {
                        set.union(&reach);
                    }
                }
                set
            }
        };
        self.memo.insert(key, set.clone());
        set
    }

    /// The lengths reachable with exactly 0, 1, 2, … repetitions of `body`, up to `max`
    /// repetitions (or until nothing new appears past `min`).
    fn repetitions(&self, body: &Lengths, min: u32, max: Option<u32>) -> Vec<(usize, Lengths)> {
        let cap = self.cap;
        let limit = max.map_or(usize::MAX, |m| m as usize);
        let mut out = vec![(0, Lengths::only(cap, 0))];
        let mut seen = Lengths::empty(cap);
        let mut count = 0;
        while count < limit {
            let next = out[count].1.sum(body, cap);
            count += 1;
            let mut grown = seen.clone();
            grown.union(&next);
            let stalled = grown == seen && count > min as usize;
            let empty = next == Lengths::empty(cap);
            out.push((count, next));
            if count >= min as usize {
                seen = grown;
            }
            if stalled || empty || count > cap + min as usize {
                break;
            }
        }
        out
    }

    /// Appends to `out` a string of exactly `length` characters matching `hir`; `length`
    /// must be in `self.lengths(hir)`.
    fn build(&mut self, hir: &Hir, length: usize, out: &mut String) {
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => {}
            HirKind::Literal(literal) => out.push_str(&String::from_utf8_lossy(&literal.0)),
            HirKind::Class(class) => out.extend(class_char(class)),
            HirKind::Capture(capture) => self.build(&capture.sub, length, out),
            HirKind::Alternation(branches) => {
                if let Some(branch) = branches
                    .iter()
                    .find(|branch| self.lengths(branch).contains(length))
                {
                    self.build(branch, length, out);
                }
            }
            HirKind::Concat(parts) => {
                let cap = self.cap;
                // prefixes[k]: lengths the first k parts can match together.
                let mut prefixes = vec![Lengths::only(cap, 0)];
                for part in parts {
                    let part = self.lengths(part);
                    let next = prefixes.last().expect("starts non-empty").sum(&part, cap);
                    prefixes.push(next);
                }
                let mut split = vec![0; parts.len()];
                let mut remaining = length;
                for (k, part) in parts.iter().enumerate().rev() {
                    let own = self.lengths(part);
                    // The later parts take as little as they can: the string grows at its
                    // start, which keeps patterns like `[a-z]+(-[a-z]+)*` plain.
                    let taken = own
                        .iter(remaining)
                        .find(|&n| prefixes[k].contains(remaining - n))
                        .expect("the length is reachable");
                    split[k] = taken;
                    remaining -= taken;
                }
                for (part, taken) in parts.iter().zip(split) {
                    self.build(part, taken, out);
                }
            }
            HirKind::Repetition(repetition) => {
                let body = self.lengths(&repetition.sub);
                let reach = self.repetitions(&body, repetition.min, repetition.max);
                let Some(count) = reach
                    .iter()
                    .find(|(count, set)| *count >= repetition.min as usize && set.contains(length))
                    .map(|(count, _)| *count)
                else {
                    return;
                };
                let mut pieces = Vec::with_capacity(count);
                let mut remaining = length;
                for done in (0..count).rev() {
                    let fitting: Vec<usize> = body.iter(remaining).collect();
                    let taken = fitting
                        .into_iter()
                        .rev()
                        .find(|&n| reach[done].1.contains(remaining - n))
                        .expect("the length is reachable");
                    pieces.push(taken);
                    remaining -= taken;
                }
                for taken in pieces {
                    self.build(&repetition.sub, taken, out);
                }
            }
        }
    }
}

/// A readable member of the class, if it has any.
fn class_char(class: &Class) -> Option<char> {
    match class {
        Class::Unicode(class) => {
            let contains = |c: char| {
                class
                    .ranges()
                    .iter()
                    .any(|range| range.start() <= c && c <= range.end())
            };
            PREFERRED_CHARS
                .chars()
                .find(|&c| contains(c))
                .or_else(|| class.ranges().first().map(|range| range.start()))
        }
        Class::Bytes(class) => {
            let contains = |b: u8| {
                class
                    .ranges()
                    .iter()
                    .any(|range| range.start() <= b && b <= range.end())
            };
            PREFERRED_CHARS
                .bytes()
                .find(|&b| contains(b))
                .or_else(|| class.ranges().first().map(|range| range.start()))
                .filter(u8::is_ascii)
                .map(char::from)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(ecma: &str) -> PatternStrings {
        PatternStrings::new(&codegen::pattern::to_rust_regex(ecma).unwrap()).unwrap()
    }

    const REPOSITORY_NAME: &str =
        r"^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$";

    #[test]
    fn length_sums_cross_word_boundaries_and_respect_the_cap() {
        let cap = 200;
        let mut a = Lengths::empty(cap);
        for n in [0, 63, 64, 130] {
            a.insert(n, cap);
        }
        let mut b = Lengths::empty(cap);
        for n in [1, 65] {
            b.insert(n, cap);
        }
        let sum: Vec<usize> = a.sum(&b, cap).iter(cap).collect();
        assert_eq!(sum, [1, 64, 65, 128, 129, 131, 195]);
        assert!(!a.sum(&b, cap).contains(195 + 64));
    }

    #[test]
    fn matching_strings_have_the_exact_length_and_match() {
        let pattern = strings(REPOSITORY_NAME);
        for length in [1, 2, 3, 15, 256, 257] {
            let text = pattern.matching(length).unwrap();
            assert_eq!(text.chars().count(), length);
            assert!(pattern.is_match(&text), "{text}");
        }
        assert_eq!(pattern.matching(0), None);
    }

    #[test]
    fn bounded_patterns_refuse_lengths_they_cannot_match() {
        let filter = strings(r"^[0-9a-zA-Z._*-]{1,128}$");
        assert_eq!(filter.matching(128).unwrap().len(), 128);
        assert_eq!(filter.matching(129), None);
        assert_eq!(filter.matching(0), None);
        let registry = strings(r"^[0-9]{12}$");
        assert_eq!(registry.matching(12).as_deref(), Some("000000000000"));
        assert_eq!(
            registry.shortest_matching(0, 20).as_deref(),
            Some("000000000000")
        );
        assert_eq!(registry.matching(11), None);
    }

    #[test]
    fn every_model_pattern_yields_matching_and_non_matching_strings() {
        for ecma in [
            r"^$|arn:aws[a-z0-9-]*:kms:[a-z0-9-]+:[0-9]{12}:key\/[a-z0-9-]+$",
            r"^(?:[a-z0-9*]+(?:[._-][a-z0-9*]+)*/)*[a-z0-9*]+(?:[._-][a-z0-9*]+)*$",
            r"^([a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*\/?|ROOT)$",
            r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
            r"^[0-9a-z-]{2,25}$",
            r"^[a-z0-9*](?:[._\-/a-z0-9*]?[a-z0-9*]+)*$",
            r"^[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+$",
            r"^\S+$",
            r"^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(role|user)/[\w+=,.@-]+(/[\w+=,.@-]+)*$",
            r"^arn:aws(-[a-z]+)*:signer:[a-z0-9-]+:[0-9]{12}:\/signing-profiles\/[a-zA-Z0-9_]{2,}$",
            r"^arn:aws(-\w+)*:secretsmanager:[a-zA-Z0-9-:]+:secret:ecr\-pullthroughcache\/[a-zA-Z0-9\/_+=.@-]+$",
            REPOSITORY_NAME,
        ] {
            let pattern = strings(ecma);
            let shortest = pattern
                .shortest_matching(0, 300)
                .unwrap_or_else(|| panic!("no match for {ecma}"));
            assert!(pattern.is_match(&shortest));
            let mut lengths = 0;
            for length in 0..=300 {
                if let Some(text) = pattern.matching(length) {
                    assert_eq!(text.chars().count(), length, "{ecma}");
                    assert!(pattern.is_match(&text), "{ecma}: {text}");
                    lengths += 1;
                }
            }
            assert!(lengths >= 1, "{ecma}");
            let wrong = pattern
                .non_matching(shortest.chars().count().max(1))
                .unwrap();
            assert!(!pattern.is_match(&wrong), "{ecma}: {wrong}");
        }
    }

    #[test]
    fn unanchored_patterns_need_a_string_with_no_match_anywhere() {
        let pattern = strings(r"\S+");
        assert_eq!(pattern.non_matching(3).as_deref(), Some("   "));
        assert_eq!(pattern.non_matching(0).as_deref(), Some(""));
    }
}
