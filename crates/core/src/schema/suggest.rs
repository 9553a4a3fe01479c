//! "Did you mean" hints: the nearest candidate by edit distance.

/// The candidate closest to `word` by Damerau-Levenshtein distance (optimal
/// string alignment, ASCII case ignored), when it is close enough: at most
/// `max(1, len / 3)` edits, `len` being the length of `word` in characters.
/// Ties go to the earlier candidate.
pub(crate) fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word: Vec<char> = word.chars().map(|c| c.to_ascii_lowercase()).collect();
    let limit = (word.len() / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let other: Vec<char> = candidate.chars().map(|c| c.to_ascii_lowercase()).collect();
        if other.len().abs_diff(word.len()) > limit {
            continue;
        }
        let d = distance(&word, &other);
        if d <= limit && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// Optimal string alignment distance: insertions, deletions, substitutions
/// and transpositions of adjacent characters each cost 1.
fn distance(a: &[char], b: &[char]) -> usize {
    let width = b.len() + 1;
    // Three rows: two back (for transpositions), one back, current.
    let mut prev2 = vec![0usize; width];
    let mut prev: Vec<usize> = (0..width).collect();
    let mut cur = vec![0usize; width];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(prev2[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: [&str; 4] = ["ssm_param", "default", "description", "type"];

    #[test]
    fn finds_typos_and_transpositions() {
        assert_eq!(nearest("ssm_parm", FIELDS), Some("ssm_param"));
        assert_eq!(nearest("defualt", FIELDS), Some("default"));
        assert_eq!(nearest("tpye", FIELDS), Some("type"));
        assert_eq!(nearest("Type", FIELDS), Some("type"));
        assert_eq!(nearest("descripton", FIELDS), Some("description"));
    }

    #[test]
    fn nothing_when_far() {
        assert_eq!(nearest("colour", FIELDS), None);
        assert_eq!(nearest("xyz", FIELDS), None);
        assert_eq!(nearest("anything", []), None);
    }

    #[test]
    fn limit_scales_with_length() {
        // "ab" allows 1 edit: "ax" is 1 away, "xy" is 2.
        assert_eq!(nearest("ab", ["xy", "ax"]), Some("ax"));
        assert_eq!(nearest("ab", ["xy"]), None);
        // 9 characters allow 3 edits, not 4.
        assert_eq!(nearest("abcdefghi", ["abcdefxxx"]), Some("abcdefxxx"));
        assert_eq!(nearest("abcdefghi", ["abcdexxxx"]), None);
    }

    #[test]
    fn ties_go_to_the_first_and_closer_wins() {
        assert_eq!(nearest("cat", ["bat", "cut"]), Some("bat"));
        assert_eq!(nearest("cat", ["cut", "bat"]), Some("cut"));
        assert_eq!(nearest("cat", ["bat", "cat"]), Some("cat"));
    }

    #[test]
    fn distance_values() {
        let d = |a: &str, b: &str| distance(&a.chars().collect::<Vec<_>>(), &b.chars().collect::<Vec<_>>());
        assert_eq!(d("", "abc"), 3);
        assert_eq!(d("abc", ""), 3);
        assert_eq!(d("kitten", "sitting"), 3);
        assert_eq!(d("ab", "ba"), 1);
        assert_eq!(d("same", "same"), 0);
    }
}
