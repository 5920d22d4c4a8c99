//! The catalog kinds drawn from locale data, one draw per entity and row:
//! a person (first, last and full name, gender, username, email, birth date),
//! an address (street, building number, city, region, postcode, country,
//! coordinates, time zone, area code and phone) and a vehicle (make, model). The fields of one entity form one group of the plan, so the
//! email is made from the record's own name and the postcode, city and
//! region are those of one real place. Tables are the locale's data files,
//! held as pools (Arrow columns, parsed once per process) and gathered.

use super::data;
use crate::issue::{Issue, Issues};
use crate::mapping::alias::AliasTable;
use crate::mapping::{BatchCtx, Columns, FieldGroup, GenError, LocalState};
use crate::pool::Pool;
use crate::rng::{RowRng, StreamKey};
use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, ArrayRef, Date32Array};
use arrow_buffer::{NullBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field};
use std::sync::Arc;

/// Which entity a data kind belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Family {
    Person,
    Address,
    Vehicle,
}

/// The data kinds: (name, family, data files they need).
pub(crate) const DATA_KINDS: &[(&str, Family, &[&str])] = &[
    ("person.first_name", Family::Person, &["first_names.tsv"]),
    ("person.last_name", Family::Person, &["last_names.tsv"]),
    ("person.full_name", Family::Person, &["first_names.tsv", "last_names.tsv"]),
    ("person.gender", Family::Person, &["first_names.tsv"]),
    ("person.username", Family::Person, &["first_names.tsv", "last_names.tsv"]),
    ("person.birth_date", Family::Person, &[]),
    ("internet.email", Family::Person, &["first_names.tsv", "last_names.tsv"]),
    ("address.street", Family::Address, &["streets.tsv"]),
    ("address.city", Family::Address, &["places.tsv"]),
    ("address.region", Family::Address, &["places.tsv"]),
    ("address.postcode", Family::Address, &["places.tsv"]),
    ("address.latitude", Family::Address, &["places.tsv"]),
    ("address.longitude", Family::Address, &["places.tsv"]),
    ("address.time_zone", Family::Address, &["places.tsv"]),
    ("address.country_code", Family::Address, &[]),
    ("address.country", Family::Address, &[]),
    ("address.building_number", Family::Address, &[]),
    ("address.area_code", Family::Address, &["places.tsv"]),
    ("address.phone", Family::Address, &["places.tsv"]),
    ("vehicle.make", Family::Vehicle, &["vehicles.tsv"]),
    ("vehicle.model", Family::Vehicle, &["vehicles.tsv"]),
];

/// Where the shared (not per-locale) tables are: vehicles.
pub(crate) const SHARED: &str = "all";

pub(crate) fn family(kind: &str) -> Option<Family> {
    DATA_KINDS.iter().find(|(k, _, _)| *k == kind).map(|(_, f, _)| *f)
}

/// The share of non-empty values in a column of a table (0 when absent).
fn filled(locale: &str, file: &str, column: &str) -> f64 {
    let Some(Ok(pool)) = data::table(locale, file) else { return 0.0 };
    let Some(c) = pool.column_index(column) else { return 0.0 };
    let a = &pool.chunks(c)[0];
    if a.is_empty() { 0.0 } else { 1.0 - a.null_count() as f64 / a.len() as f64 }
}

/// The share of names of a table that give ASCII for emails (romanized when the data has them).
fn foldable(locale: &str, file: &str) -> f64 {
    let Some(Ok(pool)) = data::table(locale, file) else { return 0.0 };
    let v = folded(&pool, if pool.column_index("romanized").is_some() { "romanized" } else { "name" });
    if v.is_empty() { 0.0 } else { v.iter().filter(|s| !s.is_empty()).count() as f64 / v.len() as f64 }
}

/// Whether `locale`'s data really has `kind` (the files, and values in the columns it reads).
pub(crate) fn has_data(locale: &str, kind: &str) -> bool {
    let meta = data::text(locale, "meta.tsv").is_some();
    match kind {
        "person.first_name" | "person.gender" => filled(locale, "first_names.tsv", "name") > 0.0,
        "person.last_name" => filled(locale, "last_names.tsv", "name") > 0.0,
        "person.full_name" => {
            filled(locale, "first_names.tsv", "name") > 0.0 && filled(locale, "last_names.tsv", "name") > 0.0
        }
        // Emails and usernames are made from the names: only where they give ASCII.
        "internet.email" | "person.username" => {
            foldable(locale, "first_names.tsv") >= 0.9 && foldable(locale, "last_names.tsv") >= 0.9
        }
        "person.birth_date" | "address.country_code" | "address.building_number" => meta,
        "address.country" => meta && self::meta(locale, "country_name").is_some(),
        "address.area_code" => filled(locale, "places.tsv", "area_code") >= 0.9,
        // Numbers built from the area code: the North American plan's layout.
        "address.phone" => filled(locale, "places.tsv", "area_code") >= 0.9 && locale == "en_US",
        "finance.currency_code" => meta && self::meta(locale, "currency").is_some(),
        "vehicle.make" | "vehicle.model" => filled(SHARED, "vehicles.tsv", "make") > 0.0,
        "internet.domain" | "internet.url" => super::picks::company_domains(locale).is_some_and(|d| !d.is_empty()),
        "finance.merchant" => filled(locale, "companies.tsv", "name") > 0.0,
        "company.catch_phrase" => filled(locale, "catch_phrases.tsv", "phrase") > 0.0,
        "commerce.product" => filled(locale, "products.tsv", "name") > 0.0,
        "commerce.category" => filled(locale, "product_categories.tsv", "name") > 0.0,
        "commerce.colour" => filled(locale, "colours.tsv", "name") > 0.0,
        "address.street" => filled(locale, "streets.tsv", "name") > 0.0,
        "address.city" => filled(locale, "places.tsv", "city") >= 0.9,
        "address.region" => filled(locale, "places.tsv", "region") >= 0.9,
        "address.postcode" => filled(locale, "places.tsv", "postcode") >= 0.9,
        "address.latitude" | "address.longitude" => filled(locale, "places.tsv", "latitude") >= 0.9,
        "address.time_zone" => filled(locale, "places.tsv", "timezone") >= 0.9,
        "phone.number" => data::text(locale, "phone.tsv").is_some_and(|t| t.lines().count() > 1),
        "company.name" => filled(locale, "companies.tsv", "name") > 0.0,
        "person.job_title" => filled(locale, "jobs.tsv", "title") > 0.0,
        "text.word" | "text.sentence" | "text.paragraph" => filled(locale, "words.tsv", "word") > 0.0,
        _ => false,
    }
}

/// The locales whose data has `kind`.
pub(crate) fn locales_for(kind: &str) -> Vec<&'static str> {
    super::LOCALES.iter().copied().filter(|l| has_data(l, kind)).collect()
}

/// A value of the locale's meta.tsv.
pub(crate) fn meta(locale: &str, key: &str) -> Option<String> {
    data::text(locale, "meta.tsv")?
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_string())
}

/// Lowercase ASCII for emails and usernames: Latin letters without their
/// marks; other scripts are left out (an empty result falls back to `user`).
pub fn ascii_fold(s: &str, out: &mut String) {
    fold_with(s, false, out)
}

/// As [`ascii_fold`]; `umlauts` writes ä, ö, ü as ae, oe, ue (German names).
pub(crate) fn fold_with(s: &str, umlauts: bool, out: &mut String) {
    for c in s.chars() {
        if umlauts {
            let e = match c {
                'ä' | 'Ä' => "ae",
                'ö' | 'Ö' => "oe",
                'ü' | 'Ü' => "ue",
                _ => "",
            };
            if !e.is_empty() {
                out.push_str(e);
                continue;
            }
        }
        let m = match c {
            'a'..='z' | '0'..='9' => {
                out.push(c);
                continue;
            }
            'A'..='Z' => {
                out.push(c.to_ascii_lowercase());
                continue;
            }
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ą' | 'ā' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ą' => {
                "a"
            }
            'ç' | 'ć' | 'č' | 'Ç' | 'Ć' | 'Č' => "c",
            'è' | 'é' | 'ê' | 'ë' | 'ę' | 'ě' | 'ē' | 'È' | 'É' | 'Ê' | 'Ë' | 'Ę' => "e",
            'ì' | 'í' | 'î' | 'ï' | 'ī' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
            'ñ' | 'ń' | 'ň' | 'Ñ' | 'Ń' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
            'ý' | 'ÿ' | 'Ý' => "y",
            'ß' => "ss",
            'æ' | 'Æ' => "ae",
            'œ' | 'Œ' => "oe",
            'ł' | 'Ł' => "l",
            'ś' | 'š' | 'Ś' | 'Š' => "s",
            'ź' | 'ż' | 'ž' | 'Ź' | 'Ż' | 'Ž' => "z",
            'ř' | 'Ř' => "r",
            'ď' | 'Ď' => "d",
            'ť' | 'Ť' => "t",
            _ => "",
        };
        out.push_str(m);
    }
}

/// A table with its weights as an alias table (uniform when it has no weights).
#[derive(Debug)]
pub(crate) struct Weighted {
    pub(crate) pool: Arc<Pool>,
    pub(crate) alias: AliasTable,
}

pub(crate) fn weighted(pool: Arc<Pool>) -> Weighted {
    let n = pool.rows().max(1);
    let weights: Vec<f64> = match pool.column_index("weight") {
        Some(c) => {
            let a = pool.chunks(c)[0].as_primitive::<Float64Type>();
            (0..a.len()).map(|i| if a.is_null(i) { 1.0 } else { a.value(i).max(0.0) }).collect()
        }
        None => vec![1.0; n],
    };
    let weights = if weights.iter().sum::<f64>() > 0.0 { weights } else { vec![1.0; n] };
    Weighted { pool, alias: AliasTable::new(&weights) }
}

/// Where an email's domain comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Domains {
    Free,
    Company,
    Safe,
}

/// A point to scatter coordinates around: (latitude, longitude, radius in km).
type Near = Option<(f64, f64, f64)>;

/// What one output column of an entity group is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Out {
    First,
    Last,
    Full,
    Gender,
    Username,
    Email(Domains),
    /// The latest birth day (days since the epoch) and the number of days back from it.
    BirthDate(i32, u64),
    Street,
    BuildingNumber,
    City,
    Region,
    Postcode,
    Latitude(Near),
    Longitude(Near),
    TimeZone,
    CountryCode,
    Country,
    AreaCode,
    Phone(bool),
    Make,
    Model,
}

impl Out {
    fn of(kind: &str, p: &super::CatalogParams) -> Self {
        let near = p.near.as_ref().filter(|n| n.len() == 2).map(|n| (n[0], n[1], p.radius_km.unwrap_or(10.0)));
        match kind {
            "person.first_name" => Self::First,
            "person.last_name" => Self::Last,
            "person.full_name" => Self::Full,
            "person.gender" => Self::Gender,
            "person.username" => Self::Username,
            "internet.email" => Self::Email(match p.domains.as_deref() {
                Some("company") => Domains::Company,
                Some("safe") => Domains::Safe,
                _ => Domains::Free,
            }),
            "person.birth_date" => {
                let (lo, hi) = super::age_range(p);
                let (latest, earliest) = (birthday(AGES_ON - lo as i32, 0), birthday(AGES_ON - hi as i32 - 1, 1));
                Self::BirthDate(latest, (latest - earliest + 1).max(1) as u64)
            }
            "address.street" => Self::Street,
            "address.building_number" => Self::BuildingNumber,
            "address.city" => Self::City,
            "address.region" => Self::Region,
            "address.postcode" => Self::Postcode,
            "address.latitude" => Self::Latitude(near),
            "address.longitude" => Self::Longitude(near),
            "address.time_zone" => Self::TimeZone,
            "address.country" => Self::Country,
            "address.area_code" => Self::AreaCode,
            "address.phone" => Self::Phone(p.format.as_deref() == Some("e164")),
            "vehicle.make" => Self::Make,
            "vehicle.model" => Self::Model,
            _ => Self::CountryCode,
        }
    }

    fn first(self) -> bool {
        matches!(self, Self::First | Self::Full | Self::Gender | Self::Username | Self::Email(_))
    }

    fn last(self) -> bool {
        matches!(self, Self::Last | Self::Full | Self::Username | Self::Email(_))
    }

    fn place(self) -> bool {
        matches!(
            self,
            Self::City
                | Self::Region
                | Self::Postcode
                | Self::Latitude(None)
                | Self::Longitude(None)
                | Self::TimeZone
                | Self::AreaCode
                | Self::Phone(_)
        )
    }
}

/// A member of an entity group: field position, name, kind, path, params.
pub(crate) struct Member {
    pub index: usize,
    pub name: String,
    pub kind: &'static str,
    pub path: String,
    pub params: super::CatalogParams,
}

/// One entity of a record: its fields, its locale's tables, its draws.
#[derive(Debug)]
pub(crate) struct EntityGroup {
    outs: Vec<usize>,
    what: Vec<Out>,
    key: StreamKey,
    first: Option<Weighted>,
    last: Option<Weighted>,
    /// Lowercase ASCII of each first and last name (emails, usernames).
    first_fold: Vec<String>,
    last_fold: Vec<String>,
    domains: Vec<String>,
    places: Option<Weighted>,
    streets: Option<Weighted>,
    vehicles: Option<Weighted>,
    /// The locale's company domains (emails with `domains: company`).
    company_domains: Arc<Vec<String>>,
    /// The area code of each place (address.phone).
    area: Vec<[u8; 3]>,
    /// The country's name in the locale's language.
    country_name: String,
    /// How a street address is written: the separator, and whether the number comes first.
    street_sep: String,
    number_first: bool,
    /// Family name first in full names (ja_JP, zh_CN).
    family_first: bool,
    name_sep: &'static str,
    country: String,
    field: String,
}

/// The problem of a kind the locale's data lacks, at `path`: which locales have it.
pub(crate) fn no_data(path: String, kind: &str, locale: &str) -> Issue {
    let have = locales_for(kind);
    let mut hint = if have.is_empty() {
        "no locale has data for it yet".to_string()
    } else {
        format!("locales with data: {}; or add fallback: {}", have.join(", "), have[0])
    };
    // Kinds with a way around the data.
    match kind {
        "internet.domain" | "internet.url" => hint.push_str("; or safe: true (example domains)"),
        _ => {}
    }
    Issue::new(path, format!("kind {kind} has no data for locale {locale}")).hint(hint)
}

fn need(locale: &str, file: &str, m: &Member, issues: &mut Issues) -> Option<Arc<Pool>> {
    match data::table(locale, file) {
        Some(Ok(p)) => Some(p),
        Some(Err(e)) => {
            issues.push(Issue::new(format!("{}.params.kind", m.path), format!("catalog data {locale}/{file}: {e}")));
            None
        }
        None => {
            issues.push(no_data(format!("{}.params.locale", m.path), m.kind, locale));
            None
        }
    }
}

/// The column emails are made from: `romanized` when the data has it.
fn romanized(pool: &Pool) -> &'static str {
    if pool.column_index("romanized").is_some() { "romanized" } else { "name" }
}

fn folded(pool: &Pool, column: &str) -> Vec<String> {
    folded_in(pool, column, false)
}

fn folded_in(pool: &Pool, column: &str, umlauts: bool) -> Vec<String> {
    let Some(c) = pool.column_index(column) else { return Vec::new() };
    let a = pool.chunks(c)[0].as_string::<i32>();
    (0..a.len())
        .map(|i| {
            let mut s = String::new();
            if a.is_valid(i) {
                fold_with(a.value(i), umlauts, &mut s);
            }
            s
        })
        .collect()
}

/// Compiles the fields of one entity (`locale` already resolved, with its fallback).
pub(crate) fn compile(
    members: &[Member],
    locale: &str,
    seed: u64,
    entity: &str,
    issues: &mut Issues,
) -> Option<(Vec<(usize, Field)>, EntityGroup)> {
    let before = issues.len();
    for m in members.iter().filter(|m| !has_data(locale, m.kind)) {
        issues.push(no_data(format!("{}.params.locale", m.path), m.kind, locale));
    }
    if issues.len() > before {
        return None;
    }
    let what: Vec<Out> = members.iter().map(|m| Out::of(m.kind, &m.params)).collect();
    let uses = |f: fn(Out) -> bool| what.iter().any(|w| f(*w));
    let m0 = &members[0];
    // Latitude and longitude of one entity scatter around one point, or none.
    let nears: Vec<(&Member, Near)> = members
        .iter()
        .zip(&what)
        .filter_map(|(m, w)| match w {
            Out::Latitude(n) | Out::Longitude(n) => Some((m, *n)),
            _ => None,
        })
        .collect();
    if let Some((m, _)) = nears.iter().find(|(_, n)| *n != nears[0].1) {
        issues.push(
            Issue::new(
                format!("{}.params.near", m.path),
                format!("`{}` and `{}` scatter around different points", nears[0].0.name, m.name),
            )
            .hint("give latitude and longitude the same near and radius_km (or neither)"),
        );
    }
    // The table of `file` (its presence was checked above).
    let table = |file: &str, issues: &mut Issues| -> Option<Weighted> {
        let m = members.iter().find(|m| DATA_KINDS.iter().any(|(k, _, f)| *k == m.kind && f.contains(&file)))?;
        need(if file == "vehicles.tsv" { SHARED } else { locale }, file, m, issues).map(weighted)
    };
    let first = if uses(Out::first) { table("first_names.tsv", issues) } else { None };
    let last = if uses(Out::last) { table("last_names.tsv", issues) } else { None };
    let places = if uses(Out::place) { table("places.tsv", issues) } else { None };
    let streets = if uses(|w| w == Out::Street) { table("streets.tsv", issues) } else { None };
    let vehicles = if uses(|w| matches!(w, Out::Make | Out::Model)) { table("vehicles.tsv", issues) } else { None };
    let company_domains = if uses(|w| w == Out::Email(Domains::Company)) {
        match super::picks::company_domains(locale).filter(|d| !d.is_empty()) {
            Some(d) => d,
            None => {
                let m = members.iter().zip(&what).find(|(_, w)| **w == Out::Email(Domains::Company)).map(|(m, _)| m);
                issues.push(
                    Issue::new(
                        format!("{}.params.domains", m.unwrap_or(m0).path),
                        format!("locale {locale} has no company domains"),
                    )
                    .hint(format!(
                        "locales with them: {}; or domains: free",
                        locales_for("internet.domain").join(", ")
                    )),
                );
                Arc::new(Vec::new())
            }
        }
    } else {
        Arc::new(Vec::new())
    };
    // The area code of each place (a place without one takes the previous place's).
    let area: Vec<[u8; 3]> = match (&places, uses(|w| matches!(w, Out::Phone(_)))) {
        (Some(w), true) => {
            let mut last = *b"201";
            match w.pool.column_index("area_code").map(|c| w.pool.chunks(c)[0].as_string::<i32>().clone()) {
                Some(a) => (0..a.len())
                    .map(|i| {
                        let v = a.value(i).as_bytes();
                        if a.is_valid(i) && v.len() == 3 && v.iter().all(u8::is_ascii_digit) {
                            last = [v[0], v[1], v[2]];
                        }
                        last
                    })
                    .collect(),
                None => Vec::new(),
            }
        }
        _ => Vec::new(),
    };
    if issues.len() > before {
        return None;
    }
    let domains: Vec<String> = data::text(locale, "free_email_domains.tsv")
        .map(|t| t.lines().skip(1).filter(|l| !l.is_empty()).map(str::to_string).collect())
        .filter(|d: &Vec<String>| !d.is_empty())
        .unwrap_or_else(|| vec!["example.com".into(), "example.org".into(), "example.net".into()]);
    let format = data::text(locale, "street_format.txt").unwrap_or("{number} {street}").trim().to_string();
    let number_first = format.find("{number}").unwrap_or(0) < format.find("{street}").unwrap_or(0);
    let sep = format.replace("{number}", "").replace("{street}", "");
    let sep = if sep.is_empty() { " ".to_string() } else { sep };
    let country = super::locale_country(locale).unwrap_or("US").to_string();
    let german = locale.starts_with("de_");
    let fields = members
        .iter()
        .zip(&what)
        .map(|(m, w)| {
            let t = match w {
                Out::BirthDate(..) => DataType::Date32,
                Out::Latitude(_) | Out::Longitude(_) => DataType::Float64,
                _ => DataType::Utf8,
            };
            (m.index, Field::new(&m.name, t, true))
        })
        .collect();
    let group = EntityGroup {
        outs: members.iter().map(|m| m.index).collect(),
        what,
        key: StreamKey::for_field(seed, &format!("catalog entity {entity} {locale}")),
        first_fold: first.as_ref().map(|w| folded_in(&w.pool, romanized(&w.pool), german)).unwrap_or_default(),
        last_fold: last.as_ref().map(|w| folded_in(&w.pool, romanized(&w.pool), german)).unwrap_or_default(),
        family_first: meta(locale, "name_order").as_deref() == Some("family_given"),
        name_sep: if meta(locale, "name_separator").as_deref() == Some("none") { "" } else { " " },
        first,
        last,
        domains,
        places,
        streets,
        vehicles,
        company_domains,
        area,
        street_sep: sep,
        number_first,
        country_name: meta(locale, "country_name").unwrap_or_default(),
        country,
        field: m0.name.clone(),
    };
    Some((fields, group))
}

/// The draws of one row.
const FIRST: u64 = 1;
const LAST: u64 = 2;
const PLACE: u64 = 3;
const STREET: u64 = 4;
const EXTRA: u64 = 5;
const VEHICLE: u64 = 6;
const NEAR: u64 = 7;

/// The year ages are counted on (its 1 January).
const AGES_ON: i32 = 2026;

/// 1 January of `year`, plus `days`, as days since the epoch.
fn birthday(year: i32, days: i64) -> i32 {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    chrono::NaiveDate::from_ymd_opt(year, 1, 1).map(|d| (d - epoch).num_days() + days).unwrap_or(0) as i32
}

/// The Earth's mean radius, km.
const EARTH_KM: f64 = 6371.0088;

/// The building number of a row's street address.
#[inline]
fn building_number(extra: StreamKey, row: u64) -> u64 {
    let mut r = RowRng::from_bits(extra.substream(2).at(row));
    1 + crate::rng::below(r.next_u64(), 180)
}

/// A point within `radius` km (great-circle distance) of (lat, lon),
/// uniform over that spherical cap: (latitude, longitude).
#[inline]
fn scatter(bits: u64, (lat, lon, radius): (f64, f64, f64)) -> (f64, f64) {
    let (u, v) = (super::algo::unit(bits), super::algo::unit(bits.rotate_left(32).wrapping_mul(0x9E37_79B9_7F4A_7C15)));
    // Uniform over the cap: cos of the angular distance is uniform in [cos max, 1].
    let max = (radius / EARTH_KM).min(std::f64::consts::PI);
    let delta = (1.0 - u * (1.0 - max.cos())).clamp(-1.0, 1.0).acos();
    let theta = std::f64::consts::TAU * v;
    let (p1, l1) = (lat.to_radians(), lon.to_radians());
    let p2 = (p1.sin() * delta.cos() + p1.cos() * delta.sin() * theta.cos()).clamp(-1.0, 1.0).asin();
    let l2 = l1 + (theta.sin() * delta.sin() * p1.cos()).atan2(delta.cos() - p1.sin() * p2.sin());
    let lon = (l2.to_degrees() + 180.0).rem_euclid(360.0) - 180.0;
    (p2.to_degrees(), lon)
}

impl EntityGroup {
    fn err(&self, e: arrow_schema::ArrowError) -> GenError {
        GenError::Mapper { field: self.field.clone(), message: e.to_string() }
    }

    fn picks(&self, ctx: &BatchCtx, table: &Option<Weighted>, stream: u64) -> Option<ScalarBuffer<u32>> {
        let t = table.as_ref()?;
        let key = self.key.substream(stream);
        Some(ctx.rows.collect(|r| t.alias.sample(key.at(r)) as u32))
    }

    fn column(
        pool: &Pool,
        name: &str,
        picks: &ScalarBuffer<u32>,
        nulls: Option<&NullBuffer>,
    ) -> Result<ArrayRef, arrow_schema::ArrowError> {
        let c = pool
            .column_index(name)
            .ok_or_else(|| arrow_schema::ArrowError::SchemaError(format!("no column {name}")))?;
        pool.gather(c, picks, nulls)
    }
}

impl FieldGroup for EntityGroup {
    fn outputs(&self) -> &[usize] {
        &self.outs
    }

    fn fill(
        &self,
        ctx: &BatchCtx,
        nulls: &[Option<NullBuffer>],
        columns: &mut Columns,
        _: &mut LocalState,
    ) -> Result<(), GenError> {
        let n = ctx.rows.len();
        let first = self.picks(ctx, &self.first, FIRST);
        let last = self.picks(ctx, &self.last, LAST);
        let place = self.picks(ctx, &self.places, PLACE);
        let street = self.picks(ctx, &self.streets, STREET);
        let vehicle = self.picks(ctx, &self.vehicles, VEHICLE);
        let extra = self.key.substream(EXTRA);
        for (j, (&out, what)) in self.outs.iter().zip(&self.what).enumerate() {
            let nulls = nulls.get(j).and_then(Option::as_ref);
            let e = |x| self.err(x);
            let array: ArrayRef = match what {
                Out::First => Self::column(
                    &self.first.as_ref().expect("first").pool,
                    "name",
                    first.as_ref().expect("picks"),
                    nulls,
                )
                .map_err(e)?,
                Out::Last => {
                    Self::column(&self.last.as_ref().expect("last").pool, "name", last.as_ref().expect("picks"), nulls)
                        .map_err(e)?
                }
                Out::Gender => Self::column(
                    &self.first.as_ref().expect("first").pool,
                    "gender",
                    first.as_ref().expect("picks"),
                    nulls,
                )
                .map_err(e)?,
                Out::Full => {
                    let (f, l) = (first.as_ref().expect("picks"), last.as_ref().expect("picks"));
                    let fa = self.first.as_ref().expect("first").pool.chunks(0)[0].clone();
                    let la = self.last.as_ref().expect("last").pool.chunks(0)[0].clone();
                    let (fa, la) = (fa.as_string::<i32>().clone(), la.as_string::<i32>().clone());
                    super::text_column(n, nulls, |i, s| {
                        let (given, family) = (fa.value(f[i] as usize), la.value(l[i] as usize));
                        let (a, b) = if self.family_first { (family, given) } else { (given, family) };
                        s.extend_from_slice(a.as_bytes());
                        s.extend_from_slice(self.name_sep.as_bytes());
                        s.extend_from_slice(b.as_bytes());
                    })
                    .map_err(e)?
                }
                Out::Email(_) | Out::Username => {
                    let (f, l) = (first.as_ref().expect("picks"), last.as_ref().expect("picks"));
                    let email = *what != Out::Username;
                    let domains: &[String] = match what {
                        Out::Email(Domains::Company) => &self.company_domains,
                        _ => &self.domains,
                    };
                    let safe = *what == Out::Email(Domains::Safe);
                    let d = if safe { super::SAFE_DOMAINS.len() } else { domains.len() } as u64;
                    super::text_column(n, nulls, |i, s| {
                        let bits = extra.at(ctx.rows.get(i));
                        let (fp, lp) = (&self.first_fold[f[i] as usize], &self.last_fold[l[i] as usize]);
                        if fp.is_empty() && lp.is_empty() {
                            s.extend_from_slice("user".as_bytes());
                        } else {
                            s.extend_from_slice(fp.as_bytes());
                            if !fp.is_empty() && !lp.is_empty() {
                                s.push(if email { b'.' } else { b'_' });
                            }
                            s.extend_from_slice(lp.as_bytes());
                        }
                        // Two digits on about a third of them, as people do.
                        if bits.is_multiple_of(3) || (fp.is_empty() && lp.is_empty()) {
                            let k = (bits >> 8) % 100;
                            s.push(b'0' + (k / 10) as u8);
                            s.push(b'0' + (k % 10) as u8);
                        }
                        if email {
                            s.push(b'@');
                            let pick = crate::rng::below(extra.substream(3).at(ctx.rows.get(i)), d) as usize;
                            let domain = if safe { super::SAFE_DOMAINS[pick] } else { domains[pick].as_str() };
                            s.extend_from_slice(domain.as_bytes());
                        }
                    })
                    .map_err(e)?
                }
                Out::BirthDate(latest, span) => {
                    // Calendar ages on 2026-01-01, from the latest birth day back.
                    let (latest, span) = (*latest, *span);
                    let v: ScalarBuffer<i32> =
                        ctx.rows.collect(|r| latest - crate::rng::below(extra.substream(1).at(r), span) as i32);
                    Arc::new(Date32Array::new(v, nulls.cloned()))
                }
                Out::BuildingNumber => {
                    let mut num = itoa::Buffer::new();
                    super::text_column(n, nulls, |i, s| {
                        s.extend_from_slice(num.format(building_number(extra, ctx.rows.get(i))).as_bytes())
                    })
                    .map_err(e)?
                }
                Out::Country => {
                    super::text_column(n, nulls, |_, s| s.extend_from_slice(self.country_name.as_bytes())).map_err(e)?
                }
                Out::Latitude(Some(near)) | Out::Longitude(Some(near)) => {
                    let lat = matches!(what, Out::Latitude(_));
                    let key = self.key.substream(NEAR);
                    let v: ScalarBuffer<f64> = ctx.rows.collect(|r| {
                        let (la, lo) = scatter(key.at(r), *near);
                        if lat { la } else { lo }
                    });
                    Arc::new(arrow_array::Float64Array::new(v, nulls.cloned()))
                }
                Out::Phone(e164) => {
                    let picks = place.as_ref().expect("picks");
                    let phone = extra.substream(4);
                    super::text_column(n, nulls, |i, s| {
                        let a = self.area[picks[i] as usize];
                        let mut r = RowRng::from_bits(phone.at(ctx.rows.get(i)));
                        // Exchange NXX (N 2–9, not N11), line XXXX.
                        let mut x = [b'2' + crate::rng::below(r.next_u64(), 8) as u8, 0, 0];
                        x[1] = b'0' + (r.next_u64() % 10) as u8;
                        x[2] = b'0' + (r.next_u64() % 10) as u8;
                        if x[1] == b'1' && x[2] == b'1' {
                            x[2] = b'2';
                        }
                        let mut line = [0u8; 4];
                        for d in &mut line {
                            *d = b'0' + (r.next_u64() % 10) as u8;
                        }
                        if *e164 {
                            s.extend_from_slice(b"+1");
                            s.extend_from_slice(&a);
                            s.extend_from_slice(&x);
                        } else {
                            s.push(b'(');
                            s.extend_from_slice(&a);
                            s.extend_from_slice(b") ");
                            s.extend_from_slice(&x);
                            s.push(b'-');
                        }
                        s.extend_from_slice(&line);
                    })
                    .map_err(e)?
                }
                Out::Make | Out::Model => Self::column(
                    &self.vehicles.as_ref().expect("vehicles").pool,
                    if *what == Out::Make { "make" } else { "model" },
                    vehicle.as_ref().expect("picks"),
                    nulls,
                )
                .map_err(e)?,
                Out::Street => {
                    let s_picks = street.as_ref().expect("picks");
                    let sa = self.streets.as_ref().expect("streets").pool.chunks(0)[0].clone();
                    let sa = sa.as_string::<i32>().clone();
                    let (sep, number_first) = (&self.street_sep, self.number_first);
                    let mut num = itoa::Buffer::new();
                    super::text_column(n, nulls, |i, s| {
                        let number = building_number(extra, ctx.rows.get(i));
                        let name = sa.value(s_picks[i] as usize);
                        if number_first {
                            s.extend_from_slice(num.format(number).as_bytes());
                            s.extend_from_slice(sep.as_bytes());
                            s.extend_from_slice(name.as_bytes());
                        } else {
                            s.extend_from_slice(name.as_bytes());
                            s.extend_from_slice(sep.as_bytes());
                            s.extend_from_slice(num.format(number).as_bytes());
                        }
                    })
                    .map_err(e)?
                }
                Out::City
                | Out::Region
                | Out::Postcode
                | Out::TimeZone
                | Out::AreaCode
                | Out::Latitude(None)
                | Out::Longitude(None) => {
                    let col = match what {
                        Out::City => "city",
                        Out::Region => "region",
                        Out::Postcode => "postcode",
                        Out::TimeZone => "timezone",
                        Out::AreaCode => "area_code",
                        Out::Latitude(_) => "latitude",
                        _ => "longitude",
                    };
                    Self::column(
                        &self.places.as_ref().expect("places").pool,
                        col,
                        place.as_ref().expect("picks"),
                        nulls,
                    )
                    .map_err(e)?
                }
                Out::CountryCode => {
                    super::text_column(n, nulls, |_, s| s.extend_from_slice(self.country.as_bytes())).map_err(e)?
                }
            };
            columns.set(out, array);
        }
        Ok(())
    }
}
