//! The algorithmic kinds of the catalog: values made by code from a row's
//! random words — check digits (Luhn, mod 97, GS1, VIN), address ranges,
//! identifiers. Each writes its text into one shared byte buffer per batch
//! (no allocation per row).

use crate::rng::RowRng;

/// Appends `n` random decimal digits: up to 16 from one draw (its value
/// modulo 10^16, off uniform by under 0.06 %), appended with one reserve.
#[inline]
fn digits(r: &mut RowRng, n: usize, out: &mut Vec<u8>) {
    let mut x = 0u64;
    out.extend((0..n).map(|i| {
        if i % 16 == 0 {
            x = r.next_u64() % 10_000_000_000_000_000;
        }
        let d = b'0' + (x % 10) as u8;
        x /= 10;
        d
    }));
}

#[inline]
fn below(r: &mut RowRng, n: u64) -> u64 {
    crate::rng::below(r.next_u64(), n)
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The Luhn check digit of `digits` (ASCII), the digit that makes the whole valid.
pub(crate) fn luhn_digit(d: &[u8]) -> u8 {
    let mut sum = 0u32;
    for (i, c) in d.iter().rev().enumerate() {
        let mut v = (c - b'0') as u32;
        if i % 2 == 0 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    b'0' + ((10 - sum % 10) % 10) as u8
}

/// Card brands: (prefixes, length).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Brand {
    Visa,
    Mastercard,
    Amex,
    Discover,
    Any,
}

impl Brand {
    pub(crate) const NAMES: &'static [&'static str] = &["visa", "mastercard", "amex", "discover", "any"];

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "visa" => Self::Visa,
            "mastercard" => Self::Mastercard,
            "amex" => Self::Amex,
            "discover" => Self::Discover,
            "any" => Self::Any,
            _ => return None,
        })
    }
}

pub(crate) fn credit_card(r: &mut RowRng, brand: Brand, out: &mut Vec<u8>) {
    let brand = match brand {
        Brand::Any => [Brand::Visa, Brand::Visa, Brand::Mastercard, Brand::Mastercard, Brand::Amex, Brand::Discover]
            [below(r, 6) as usize],
        b => b,
    };
    let start = out.len();
    let len = match brand {
        Brand::Visa => {
            out.push(b'4');
            16
        }
        Brand::Mastercard => {
            if below(r, 4) == 0 {
                // 2221–2720
                let p = 2221 + below(r, 500) as u32;
                out.extend_from_slice(itoa::Buffer::new().format(p).as_bytes());
            } else {
                out.push(b'5');
                out.push(b'1' + below(r, 5) as u8);
            }
            16
        }
        Brand::Amex => {
            out.extend_from_slice(if below(r, 2) == 0 { b"34" } else { b"37" });
            15
        }
        _ => {
            out.extend_from_slice(if below(r, 2) == 0 { b"6011" } else { b"65" });
            16
        }
    };
    let have = out.len() - start;
    digits(r, len - 1 - have, out);
    let check = luhn_digit(&out[start..]);
    out.push(check);
}

pub(crate) fn cvv(r: &mut RowRng, brand: Brand, out: &mut Vec<u8>) {
    digits(r, if brand == Brand::Amex { 4 } else { 3 }, out);
}

/// MM/YY, one to five years after 2026.
pub(crate) fn expiry(r: &mut RowRng, out: &mut Vec<u8>) {
    let m = 1 + below(r, 12) as u8;
    let y = 27 + below(r, 5) as u8;
    out.extend_from_slice(&[b'0' + m / 10, b'0' + m % 10, b'/', b'0' + y / 10, b'0' + y % 10]);
}

/// An IBAN country's BBAN layout: (country, total length, pieces of (count, class)),
/// class n = digit, a = upper letter, c = letter or digit (the SWIFT IBAN registry).
pub(crate) type Layout = &'static [(usize, u8)];

/// (country, IBAN length, BBAN layout).
pub(crate) const IBAN_COUNTRIES: &[(&str, usize, Layout)] = &[
    ("AD", 24, &[(4, b'n'), (4, b'n'), (12, b'c')]),
    ("AE", 23, &[(3, b'n'), (16, b'n')]),
    ("AT", 20, &[(5, b'n'), (11, b'n')]),
    ("BE", 16, &[(3, b'n'), (7, b'n'), (2, b'n')]),
    ("BR", 29, &[(8, b'n'), (5, b'n'), (10, b'n'), (1, b'a'), (1, b'c')]),
    ("CH", 21, &[(5, b'n'), (12, b'c')]),
    ("CZ", 24, &[(4, b'n'), (6, b'n'), (10, b'n')]),
    ("DE", 22, &[(8, b'n'), (10, b'n')]),
    ("DK", 18, &[(4, b'n'), (9, b'n'), (1, b'n')]),
    ("ES", 24, &[(4, b'n'), (4, b'n'), (1, b'n'), (1, b'n'), (10, b'n')]),
    ("FI", 18, &[(3, b'n'), (11, b'n')]),
    ("FR", 27, &[(5, b'n'), (5, b'n'), (11, b'c'), (2, b'n')]),
    ("GB", 22, &[(4, b'a'), (6, b'n'), (8, b'n')]),
    ("IE", 22, &[(4, b'a'), (6, b'n'), (8, b'n')]),
    ("IT", 27, &[(1, b'a'), (5, b'n'), (5, b'n'), (12, b'c')]),
    ("LU", 20, &[(3, b'n'), (13, b'c')]),
    ("NL", 18, &[(4, b'a'), (10, b'n')]),
    ("NO", 15, &[(4, b'n'), (6, b'n'), (1, b'n')]),
    ("PL", 28, &[(8, b'n'), (16, b'n')]),
    ("PT", 25, &[(4, b'n'), (4, b'n'), (11, b'n'), (2, b'n')]),
    ("SA", 24, &[(2, b'n'), (18, b'c')]),
    ("SE", 24, &[(3, b'n'), (16, b'n'), (1, b'n')]),
];

/// The layout of `country`'s IBAN, if it has IBANs.
pub(crate) fn iban_layout(country: &str) -> Option<&'static [(usize, u8)]> {
    IBAN_COUNTRIES.iter().find(|(c, _, _)| *c == country).map(|(_, _, l)| *l)
}

const UPPER: &[u8; 26] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

pub(crate) fn iban(r: &mut RowRng, country: &[u8; 2], layout: &[(usize, u8)], out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(country);
    out.extend_from_slice(b"00");
    for &(n, class) in layout {
        match class {
            b'n' => digits(r, n, out),
            b'a' => out.extend((0..n).map(|_| UPPER[below(r, 26) as usize])),
            _ => out.extend((0..n).map(|_| ALNUM[below(r, 36) as usize])),
        }
    }
    // mod 97 over BBAN + country + "00", letters as 10..35: digits gather in
    // a u64 and are reduced only when it could overflow (a few divisions,
    // not one per character).
    let mut acc = 0u64;
    let mut feed = |c: u8| {
        if acc >= 100_000_000_000_000_000 {
            acc %= 97;
        }
        acc = if c.is_ascii_digit() { acc * 10 + (c - b'0') as u64 } else { acc * 100 + (c - b'A' + 10) as u64 };
    };
    for &c in &out[start + 4..] {
        feed(c);
    }
    for &c in &out[start..start + 4] {
        feed(c);
    }
    let check = 98 - (acc % 97) as u32;
    out[start + 2] = b'0' + (check / 10) as u8;
    out[start + 3] = b'0' + (check % 10) as u8;
}

/// A BIC: 4 letters (bank), the country, 2 letters or digits (location), sometimes a branch.
pub(crate) fn bic(r: &mut RowRng, country: &[u8; 2], out: &mut Vec<u8>) {
    for _ in 0..4 {
        out.push(UPPER[below(r, 26) as usize]);
    }
    out.extend_from_slice(country);
    out.push(UPPER[below(r, 26) as usize]);
    out.push(ALNUM[1 + below(r, 35) as usize]);
    if below(r, 3) == 0 {
        for _ in 0..3 {
            out.push(ALNUM[below(r, 36) as usize]);
        }
    }
}

/// GS1 check digit (EAN-13, ISBN-13) of 12 ASCII digits.
pub(crate) fn gs1_digit(d: &[u8]) -> u8 {
    let sum: u32 = d.iter().enumerate().map(|(i, c)| (c - b'0') as u32 * if i % 2 == 0 { 1 } else { 3 }).sum();
    b'0' + ((10 - sum % 10) % 10) as u8
}

pub(crate) fn ean13(r: &mut RowRng, isbn: bool, out: &mut Vec<u8>) {
    let start = out.len();
    if isbn {
        out.extend_from_slice(if below(r, 10) == 0 { b"979" } else { b"978" });
        digits(r, 9, out);
    } else {
        // A GS1 prefix that is a country's (not 2–9 restricted circulation or 977–979 publications).
        out.push(b'0' + below(r, 9) as u8 + u8::from(below(r, 2) == 0));
        digits(r, 11, out);
    }
    let check = gs1_digit(&out[start..]);
    out.push(check);
}

/// VIN: 17 characters without I, O, Q; position 9 the check digit (ISO 3779 / 49 CFR 565).
pub(crate) fn vin(r: &mut RowRng, out: &mut Vec<u8>) {
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ0123456789";
    const WMI: &[&[u8; 3]] = &[
        b"1HG", b"1FA", b"2T1", b"3VW", b"JHM", b"JTD", b"KMH", b"WBA", b"WDB", b"WVW", b"VF1", b"ZFA", b"SAL", b"YV1",
    ];
    let mut buf = [0u8; 17];
    buf[..3].copy_from_slice(WMI[below(r, WMI.len() as u64) as usize]);
    for (i, b) in buf.iter_mut().enumerate().skip(3) {
        *b = match i {
            8 => b'0',
            // Model year: letters and digits but not U, Z, 0.
            9 => b"ABCDEFGHJKLMNPRSTVWXY123456789"[below(r, 30) as usize],
            _ => CHARS[below(r, CHARS.len() as u64) as usize],
        };
    }
    let value = |c: u8| -> u32 {
        match c {
            b'0'..=b'9' => (c - b'0') as u32,
            b'A'..=b'H' => (c - b'A' + 1) as u32,
            b'J'..=b'N' => (c - b'J' + 1) as u32,
            b'P' => 7,
            b'R' => 9,
            b'S'..=b'Z' => (c - b'S' + 2) as u32,
            _ => 0,
        }
    };
    const W: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
    let sum: u32 = buf.iter().zip(W).map(|(c, w)| value(*c) * w).sum();
    let check = sum % 11;
    buf[8] = if check == 10 { b'X' } else { b'0' + check as u8 };
    out.extend_from_slice(&buf);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IpRange {
    Public,
    Private,
    Any,
}

impl IpRange {
    pub(crate) const NAMES: &'static [&'static str] = &["public", "private", "any"];
    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "public" => Self::Public,
            "private" => Self::Private,
            "any" => Self::Any,
            _ => return None,
        })
    }
}

/// True for the IPv4 blocks that are not public unicast (RFC 6890 and multicast/reserved).
pub(crate) fn ipv4_special(a: u32) -> bool {
    let in_block = |base: u32, bits: u32| (a >> (32 - bits)) == (base >> (32 - bits));
    in_block(0x0000_0000, 8)
        || in_block(0x0A00_0000, 8)
        || in_block(0x6440_0000, 10)
        || in_block(0x7F00_0000, 8)
        || in_block(0xA9FE_0000, 16)
        || in_block(0xAC10_0000, 12)
        || in_block(0xC000_0000, 24)
        || in_block(0xC000_0200, 24)
        || in_block(0xC058_6300, 24)
        || in_block(0xC0A8_0000, 16)
        || in_block(0xC612_0000, 15)
        || in_block(0xC633_6400, 24)
        || in_block(0xCB00_7100, 24)
        || in_block(0xE000_0000, 4)
        || in_block(0xF000_0000, 4)
}

fn push_u8(v: u8, out: &mut Vec<u8>) {
    let mut b = itoa::Buffer::new();
    out.extend_from_slice(b.format(v).as_bytes());
}

pub(crate) fn ipv4(r: &mut RowRng, range: IpRange, out: &mut Vec<u8>) {
    let a: u32 = match range {
        IpRange::Any => r.next_u64() as u32,
        IpRange::Private => {
            let x = r.next_u64();
            match below(r, 3) {
                0 => 0x0A00_0000 | (x as u32 & 0x00FF_FFFF),
                1 => 0xAC10_0000 | (x as u32 & 0x000F_FFFF),
                _ => 0xC0A8_0000 | (x as u32 & 0x0000_FFFF),
            }
        }
        IpRange::Public => loop {
            let a = r.next_u64() as u32;
            if !ipv4_special(a) {
                break a;
            }
        },
    };
    for (i, shift) in [24, 16, 8, 0].into_iter().enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        push_u8((a >> shift) as u8, out);
    }
}

pub(crate) fn ipv6(r: &mut RowRng, range: IpRange, out: &mut Vec<u8>) {
    let mut groups = [0u16; 8];
    for g in groups.iter_mut() {
        *g = r.next_u64() as u16;
    }
    match range {
        // Global unicast 2000::/3, not the documentation block 2001:db8::/32.
        IpRange::Public => {
            groups[0] = 0x2000 | (groups[0] & 0x1FFF);
            if groups[0] == 0x2001 && groups[1] == 0x0db8 {
                groups[1] = 0x0db9;
            }
        }
        // Unique local fd00::/8.
        IpRange::Private => groups[0] = 0xFD00 | (groups[0] & 0x00FF),
        IpRange::Any => {}
    }
    for (i, g) in groups.iter().enumerate() {
        if i > 0 {
            out.push(b':');
        }
        for shift in [12, 8, 4, 0] {
            out.push(HEX[((g >> shift) & 0xF) as usize]);
        }
    }
}

/// A unicast, universally administered-looking MAC address, aa:bb:cc:dd:ee:ff.
pub(crate) fn mac(r: &mut RowRng, out: &mut Vec<u8>) {
    let x = r.next_u64();
    for i in 0..6 {
        let mut b = (x >> (8 * i)) as u8;
        if i == 0 {
            b &= 0xFE;
        }
        if i > 0 {
            out.push(b':');
        }
        out.push(HEX[(b >> 4) as usize]);
        out.push(HEX[(b & 0xF) as usize]);
    }
}

pub(crate) fn hex_token(r: &mut RowRng, len: usize, out: &mut Vec<u8>) {
    let mut x = r.next_u64();
    out.extend((0..len).map(|i| {
        if i % 16 == 15 {
            x = r.next_u64();
        }
        let c = HEX[(x & 0xF) as usize];
        x >>= 4;
        c
    }));
}

/// A v4 UUID as text (written on the stack, appended once).
pub(crate) fn uuid(r: &mut RowRng, out: &mut Vec<u8>) {
    /// Where each byte's two hex digits go in `8-4-4-4-12`.
    const AT: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
    let hi = (r.next_u64() & !0xF000) | 0x4000;
    let lo = (r.next_u64() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    let (h, l) = (hi.to_be_bytes(), lo.to_be_bytes());
    let mut buf = [b'-'; 36];
    for (i, &b) in h.iter().chain(&l).enumerate() {
        buf[AT[i]] = HEX[(b >> 4) as usize];
        buf[AT[i] + 1] = HEX[(b & 0xF) as usize];
    }
    out.extend_from_slice(&buf);
}

/// A ULID (Crockford base32, 26 characters): 48 bits of milliseconds (the
/// row's time from `start_ms`, 1 ms a row, so ULIDs sort by row) and 80 random bits.
pub(crate) fn ulid(r: &mut RowRng, ms: u64, out: &mut Vec<u8>) {
    const B32: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let rand_hi = r.next_u64() & 0xFFFF; // 16 bits
    let rand_lo = r.next_u64(); // 64 bits
    let value: u128 = ((ms as u128 & 0xFFFF_FFFF_FFFF) << 80) | ((rand_hi as u128) << 64) | rand_lo as u128;
    let mut buf = [0u8; 26];
    for (i, b) in buf.iter_mut().enumerate() {
        *b = B32[((value >> ((25 - i) * 5)) & 0x1F) as usize];
    }
    out.extend_from_slice(&buf);
}

pub(crate) fn semver(r: &mut RowRng, out: &mut Vec<u8>) {
    let mut b = itoa::Buffer::new();
    let major = below(r, 4);
    let minor = below(r, 20);
    let patch = below(r, 30);
    out.extend_from_slice(b.format(major).as_bytes());
    out.push(b'.');
    out.extend_from_slice(b.format(minor).as_bytes());
    out.push(b'.');
    out.extend_from_slice(b.format(patch).as_bytes());
}

/// A browser's User-Agent header as browsers send it in 2026, weighted by
/// browser share: Chrome (Windows, macOS, Android), Safari (iPhone, macOS),
/// Edge, Firefox (Windows, Linux). Versions are recent releases.
pub(crate) fn user_agent(r: &mut RowRng, out: &mut Vec<u8>) {
    use UaPart::{Chrome, Firefox, L, Safari, SafariMinor};
    /// (share in %, the header's pieces), by browser share.
    const AGENTS: &[(u64, &[UaPart])] = &[
        (
            30,
            &[
                L("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/"),
                Chrome,
                L(".0.0.0 Safari/537.36"),
            ],
        ),
        (
            10,
            &[
                L("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/"),
                Chrome,
                L(".0.0.0 Safari/537.36"),
            ],
        ),
        (
            25,
            &[
                L("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/"),
                Chrome,
                L(".0.0.0 Mobile Safari/537.36"),
            ],
        ),
        (
            17,
            &[
                L("Mozilla/5.0 (iPhone; CPU iPhone OS "),
                Safari,
                L("_"),
                SafariMinor,
                L(" like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/"),
                Safari,
                L("."),
                SafariMinor,
                L(" Mobile/15E148 Safari/604.1"),
            ],
        ),
        (
            5,
            &[
                L("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/"),
                Safari,
                L("."),
                SafariMinor,
                L(" Safari/605.1.15"),
            ],
        ),
        (
            7,
            &[
                L("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/"),
                Chrome,
                L(".0.0.0 Safari/537.36 Edg/"),
                Chrome,
                L(".0.0.0"),
            ],
        ),
        (
            4,
            &[
                L("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:"),
                Firefox,
                L(".0) Gecko/20100101 Firefox/"),
                Firefox,
                L(".0"),
            ],
        ),
        (2, &[L("Mozilla/5.0 (X11; Linux x86_64; rv:"), Firefox, L(".0) Gecko/20100101 Firefox/"), Firefox, L(".0")]),
    ];
    let chrome = 128 + below(r, 15);
    // iOS and Safari went from 18 to 26.
    let safari = [17, 18, 26][below(r, 3) as usize];
    let safari_minor = below(r, 6);
    let firefox = 128 + below(r, 17);
    let mut pick = below(r, 100);
    let parts = AGENTS
        .iter()
        .find(|(share, _)| {
            let here = pick < *share;
            pick = pick.saturating_sub(*share);
            here
        })
        .map_or(AGENTS[0].1, |(_, p)| *p);
    let mut b = itoa::Buffer::new();
    for part in parts {
        let text = match part {
            L(t) => t,
            Chrome => b.format(chrome),
            Safari => b.format(safari),
            SafariMinor => b.format(safari_minor),
            Firefox => b.format(firefox),
        };
        out.extend_from_slice(text.as_bytes());
    }
}

/// A piece of a User-Agent header: text, or a version drawn for the row.
#[derive(Debug, Clone, Copy)]
enum UaPart {
    L(&'static str),
    Chrome,
    Safari,
    SafariMinor,
    Firefox,
}

/// A stock-keeping unit: three capital letters, a dash, six digits (`KXD-204918`).
pub(crate) fn sku(r: &mut RowRng, out: &mut Vec<u8>) {
    for _ in 0..3 {
        out.push(b'A' + below(r, 26) as u8);
    }
    out.push(b'-');
    digits(r, 6, out);
}

/// A bank account number of `n` digits, the first not 0.
pub(crate) fn account_number(r: &mut RowRng, n: usize, out: &mut Vec<u8>) {
    out.push(b'1' + below(r, 9) as u8);
    digits(r, n - 1, out);
}

/// A uniform draw in [0, 1) from 53 random bits.
#[inline]
pub(crate) fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A log-uniform draw in [min, max] (small values common, as in prices and payments).
#[inline]
fn log_uniform(bits: u64, min: f64, max: f64) -> f64 {
    let (lo, hi) = (min.max(0.01).ln(), max.max(0.01).ln());
    (lo + unit(bits) * (hi - lo)).exp()
}

/// A shop price in [min, max] (the range holds a whole cent: checked when
/// compiled): log-uniform, mostly ending in .99, .95, .49 or .00 as shops
/// price, in cents.
pub(crate) fn price(bits: u64, min: f64, max: f64) -> f64 {
    let x = log_uniform(bits, min, max);
    let cents = match (bits & 0xF) as u8 {
        0..=7 => 0.99,
        8..=10 => 0.95,
        11..=12 => 0.49,
        _ => 0.0,
    };
    let p = x.floor() + cents;
    p.clamp((min * 100.0).ceil() / 100.0, (max * 100.0).floor() / 100.0)
}

/// A money amount in [min, max] (holding a whole cent): log-uniform, in cents.
pub(crate) fn amount(bits: u64, min: f64, max: f64) -> f64 {
    let x = crate::rng::round(log_uniform(bits, min, max) * 100.0) / 100.0;
    x.clamp((min * 100.0).ceil() / 100.0, (max * 100.0).floor() / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_iban_layout_adds_up_to_its_registry_length() {
        for (c, len, layout) in IBAN_COUNTRIES {
            assert_eq!(4 + layout.iter().map(|(n, _)| n).sum::<usize>(), *len, "{c}");
        }
    }

    #[test]
    fn check_digits_match_published_examples() {
        // Published valid numbers: a Visa test card, an ISBN, a VIN, an IBAN.
        assert_eq!(luhn_digit(b"411111111111111"), b'1');
        assert_eq!(gs1_digit(b"978030640615"), b'7');
        let mut out = Vec::new();
        let mut r = RowRng::from_bits(1);
        vin(&mut r, &mut out);
        assert_eq!(out.len(), 17);
        // DE89 3704 0044 0532 0130 00 (the registry's example)
        let mut rem = 0u32;
        for c in "370400440532013000DE89".bytes() {
            rem = if c.is_ascii_digit() {
                (rem * 10 + (c - b'0') as u32) % 97
            } else {
                (rem * 100 + (c - b'A' + 10) as u32) % 97
            };
        }
        assert_eq!(rem, 1);
    }
}
