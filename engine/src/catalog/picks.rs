//! Catalog kinds drawn from one locale table on their own (not an entity):
//! phone numbers from the locale's patterns (checked against libphonenumber's
//! rules when the data is built), company names, job titles, words and
//! sentences.

use super::data;
use crate::mapping::alias::AliasTable;
use crate::pool::Pool;
use crate::rng::{RowRng, below};
use arrow_array::cast::AsArray;
use arrow_array::{Array, StringArray};
use std::sync::Arc;

/// A piece of a phone pattern.
#[derive(Debug, Clone, Copy)]
enum Tok {
    Lit(u8),
    /// A digit in lo..=hi.
    Digit(u8, u8),
}

fn tokens(p: &str) -> Option<Vec<Tok>> {
    let b = p.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' => out.push(Tok::Digit(0, 9)),
            b'[' => {
                let (lo, hi) = (*b.get(i + 1)?, *b.get(i + 3)?);
                if b.get(i + 2) != Some(&b'-')
                    || b.get(i + 4) != Some(&b']')
                    || !lo.is_ascii_digit()
                    || !hi.is_ascii_digit()
                {
                    return None;
                }
                out.push(Tok::Digit(lo - b'0', hi - b'0'));
                i += 4;
            }
            c => out.push(Tok::Lit(c)),
        }
        i += 1;
    }
    Some(out)
}

/// The phone patterns of a locale: (national, E.164), with the same digits in order.
#[derive(Debug)]
pub(crate) struct Phones {
    patterns: Vec<(Vec<Tok>, Vec<Tok>)>,
    e164: bool,
}

impl Phones {
    pub(crate) fn load(locale: &str, e164: bool) -> Option<Result<Self, String>> {
        let text = data::text(locale, "phone.tsv")?;
        let mut patterns = Vec::new();
        for (n, line) in text.lines().skip(1).filter(|l| !l.is_empty()).enumerate() {
            let cols: Vec<&str> = line.split('\t').collect();
            let (Some(nat), Some(e)) = (cols.get(1).and_then(|p| tokens(p)), cols.get(2).and_then(|p| tokens(p)))
            else {
                return Some(Err(format!("catalog data {locale}/phone.tsv line {}: a pattern sdg cannot read", n + 2)));
            };
            let vars = |t: &[Tok]| t.iter().filter(|x| matches!(x, Tok::Digit(..))).count();
            if vars(&nat) != vars(&e) {
                return Some(Err(format!(
                    "catalog data {locale}/phone.tsv line {}: the two formats have different digits",
                    n + 2
                )));
            }
            patterns.push((nat, e));
        }
        if patterns.is_empty() {
            return None;
        }
        Some(Ok(Self { patterns, e164 }))
    }

    #[inline]
    pub(crate) fn write(&self, r: &mut RowRng, out: &mut Vec<u8>) {
        let (nat, e) = &self.patterns[below(r.next_u64(), self.patterns.len() as u64) as usize];
        let mut digits = [0u8; 32];
        let mut k = 0;
        for t in nat {
            if let Tok::Digit(lo, hi) = *t {
                if k < digits.len() {
                    digits[k] = lo + below(r.next_u64(), (hi - lo + 1) as u64) as u8;
                }
                k += 1;
            }
        }
        let mut k = 0;
        out.extend((if self.e164 { e } else { nat }).iter().map(|t| match *t {
            Tok::Lit(c) => c,
            Tok::Digit(..) => {
                k += 1;
                b'0' + digits.get(k - 1).copied().unwrap_or(0)
            }
        }));
    }
}

/// One value of a locale table per row (weighted when it has weights).
#[derive(Debug)]
pub(crate) struct TablePick {
    values: StringArray,
    alias: AliasTable,
}

impl TablePick {
    pub(crate) fn load(locale: &str, file: &str, column: &str) -> Option<Result<Self, String>> {
        let pool: Arc<Pool> = match data::table(locale, file)? {
            Ok(p) => p,
            Err(e) => return Some(Err(e)),
        };
        let c = pool.column_index(column)?;
        let values = pool.chunks(c)[0].as_string::<i32>().clone();
        if values.is_empty() {
            return None;
        }
        Some(Ok(Self { values, alias: super::entity::weighted(pool).alias }))
    }

    #[inline]
    pub(crate) fn write(&self, r: &mut RowRng, out: &mut Vec<u8>) {
        let i = self.alias.sample(r.next_u64());
        out.extend_from_slice(self.values.value(i).as_bytes());
    }

    /// A sentence of 6–12 words: the first capitalised, a full stop at the end
    /// (or the locale's: 。 for ja/zh, no spaces there).
    pub(crate) fn sentence(&self, r: &mut RowRng, cjk: bool, out: &mut Vec<u8>) {
        let n = 6 + below(r.next_u64(), 7);
        for w in 0..n {
            if w > 0 && !cjk {
                out.push(b' ');
            }
            let start = out.len();
            self.write(r, out);
            if w == 0 && !cjk {
                let first = out[start];
                if first.is_ascii_lowercase() {
                    out[start] = first.to_ascii_uppercase();
                }
            }
        }
        out.extend_from_slice(if cjk { "。".as_bytes() } else { b"." });
    }

    /// A paragraph of 3–6 sentences.
    pub(crate) fn paragraph(&self, r: &mut RowRng, cjk: bool, out: &mut Vec<u8>) {
        let n = 3 + below(r.next_u64(), 4);
        for s in 0..n {
            if s > 0 && !cjk {
                out.push(b' ');
            }
            self.sentence(r, cjk, out);
        }
    }
}

/// The top-level domain of a country's companies.
pub(crate) fn tld(country: &str) -> &'static str {
    match country {
        "US" => "com",
        "GB" => "co.uk",
        "JP" => "co.jp",
        "BR" => "com.br",
        "IN" => "in",
        "DE" => "de",
        "FR" => "fr",
        "ES" => "es",
        "IT" => "it",
        "NL" => "nl",
        "PL" => "pl",
        "SE" => "se",
        "CN" => "cn",
        "AE" => "ae",
        _ => "com",
    }
}

/// Company domains of a locale: each company name without its legal form,
/// folded to ASCII (`Müller & Schmidt GmbH` → `mueller-schmidt.de`), made
/// once per process. None where the locale has no companies; empty where
/// they are written in another script (ja_JP, zh_CN).
pub(crate) fn company_domains(locale: &str) -> Option<Arc<Vec<String>>> {
    use parking_lot::Mutex;
    use std::collections::HashMap;
    use std::sync::OnceLock;
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Vec<String>>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(d) = cache.lock().get(locale) {
        return Some(Arc::clone(d));
    }
    let companies = data::text(locale, "companies.tsv")?;
    let mut suffixes: Vec<&str> = data::text(locale, "company_suffixes.tsv")
        .map(|t| t.lines().skip(1).filter(|l| !l.is_empty()).collect())
        .unwrap_or_default();
    suffixes.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let tld = tld(super::locale_country(locale).unwrap_or("US"));
    let german = locale.starts_with("de_");
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for line in companies.lines().skip(1) {
        let name = line.split('\t').next().unwrap_or_default();
        // Names in another script give no domain (folding would keep only their Latin letters).
        let latin = |c: char| {
            let mut s = String::new();
            super::entity::fold_with(c.encode_utf8(&mut [0; 4]), german, &mut s);
            !c.is_alphabetic() || !s.is_empty()
        };
        if !name.chars().all(latin) {
            continue;
        }
        let mut base = name.trim();
        for s in &suffixes {
            if let Some(b) = base.strip_suffix(s) {
                base = b.trim_end_matches([' ', ',', '-']);
                break;
            }
        }
        // Word by word: fold_with drops what is not a letter or digit.
        let words: Vec<String> = base
            .split(|c: char| !c.is_alphanumeric())
            .map(|w| {
                let mut s = String::new();
                super::entity::fold_with(w, german, &mut s);
                s
            })
            .filter(|w| !w.is_empty() && !matches!(w.as_str(), "and" | "und" | "et" | "e" | "y" | "en" | "och" | "i"))
            .take(2)
            .collect();
        if words.is_empty() {
            continue;
        }
        let domain = format!("{}.{tld}", words.join("-"));
        if domain.len() <= 63 && seen.insert(domain.clone()) {
            out.push(domain);
        }
    }
    let out = Arc::new(out);
    cache.lock().insert(locale.to_string(), Arc::clone(&out));
    Some(out)
}

/// Picks one of `values` per row (uniform).
#[inline]
pub(crate) fn one_of<'a>(r: &mut RowRng, values: &'a [String]) -> &'a str {
    &values[below(r.next_u64(), values.len() as u64) as usize]
}
