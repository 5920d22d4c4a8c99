//! Catalog kinds drawn from locale data: one person and one place per entity
//! and row (the email is made from the record's own names; city, region and
//! postcode are one real place of the data), independent entities, every
//! locale with data, determinism, and the errors for missing data.

mod common;
use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use common::{plan, problems};
use sdg_engine::catalog::{KINDS, LOCALES, kind};
use std::collections::HashSet;

fn generator(locale: &str, fields: &str) -> String {
    format!("name: c\nseed: 9\nlocale: {locale}\ndestination: {{ type: BLACKHOLE }}\nfields:\n{fields}")
}

fn texts(b: &RecordBatch, name: &str) -> Vec<String> {
    let c = b.column_by_name(name).unwrap_or_else(|| panic!("{name}"));
    let c = c.as_string::<i32>();
    (0..c.len()).map(|i| if c.is_valid(i) { c.value(i).to_string() } else { String::new() }).collect()
}

fn fold(s: &str, locale: &str) -> String {
    let s = if locale.starts_with("de_") {
        s.replace('ä', "ae")
            .replace('ö', "oe")
            .replace('ü', "ue")
            .replace('Ä', "Ae")
            .replace('Ö', "Oe")
            .replace('Ü', "Ue")
    } else {
        s.to_string()
    };
    let mut out = String::new();
    sdg_engine::catalog::ascii_fold(&s, &mut out);
    out
}

#[test]
fn one_person_per_row_and_the_email_is_theirs() {
    for locale in kind("internet.email").expect("email").locales() {
        let b = plan(&generator(
            locale,
            "  - { name: first, type: CATALOG, params: { kind: first_name } }
  - { name: last, type: CATALOG, params: { kind: last_name } }
  - { name: full, type: CATALOG, params: { kind: full_name } }
  - { name: email, type: CATALOG, params: { kind: email } }
  - { name: user, type: CATALOG, params: { kind: username } }
  - { name: gender, type: CATALOG, params: { kind: gender } }
",
        ))
        .generate(0, 2000)
        .unwrap_or_else(|e| panic!("{locale}: {e}"));
        let (first, last, full, email, user) =
            (texts(&b, "first"), texts(&b, "last"), texts(&b, "full"), texts(&b, "email"), texts(&b, "user"));
        for i in 0..b.num_rows() {
            assert_eq!(full[i], format!("{} {}", first[i], last[i]), "{locale} row {i}");
            let (f, l) = (fold(&first[i], locale), fold(&last[i], locale));
            let local = email[i].split('@').next().expect("local part");
            if !f.is_empty() && !l.is_empty() {
                assert!(local.starts_with(&format!("{f}.{l}")), "{locale}: {} for {} {}", email[i], first[i], last[i]);
                assert!(user[i].starts_with(&format!("{f}_{l}")), "{locale}: {}", user[i]);
            }
            assert!(email[i].contains('@') && email[i].is_ascii(), "{locale}: {}", email[i]);
        }
        let genders: HashSet<&str> = texts(&b, "gender")
            .iter()
            .map(|g| if g == "F" { "F" } else { "other" })
            .collect::<Vec<_>>()
            .into_iter()
            .collect();
        assert!(!genders.is_empty());
        assert!(first.iter().collect::<HashSet<_>>().len() > 20, "{locale}: names vary");
        let domains: HashSet<&str> = email.iter().filter_map(|e| e.split('@').nth(1)).collect();
        assert!(domains.len() >= 2, "{locale}: the locale's mail domains vary: {domains:?}");
    }
}

#[test]
fn full_names_follow_the_locale_s_order() {
    for (locale, family_first, sep) in [("ja_JP", true, " "), ("zh_CN", true, ""), ("de_DE", false, " ")] {
        let b = plan(&generator(
            locale,
            "  - { name: first, type: CATALOG, params: { kind: first_name } }\n  - { name: last, type: CATALOG, params: { kind: last_name } }\n  - { name: full, type: CATALOG, params: { kind: full_name } }\n",
        ))
        .generate(0, 300)
        .expect("gen");
        let (f, l, full) = (texts(&b, "first"), texts(&b, "last"), texts(&b, "full"));
        for i in 0..300 {
            let want = if family_first { format!("{}{sep}{}", l[i], f[i]) } else { format!("{}{sep}{}", f[i], l[i]) };
            assert_eq!(full[i], want, "{locale}");
        }
    }
}

#[test]
fn one_real_place_per_row() {
    for locale in kind("address.postcode").expect("postcode").locales() {
        let b = plan(&generator(
            locale,
            "  - { name: city, type: CATALOG, params: { kind: city } }
  - { name: postcode, type: CATALOG, params: { kind: postcode } }
  - { name: region, type: CATALOG, params: { kind: region } }
  - { name: street, type: CATALOG, params: { kind: street } }
",
        ))
        .generate(0, 2000)
        .unwrap_or_else(|e| panic!("{locale}: {e}"));
        let places =
            std::fs::read_to_string(format!("{}/catalog-data/{locale}/places.tsv", env!("CARGO_MANIFEST_DIR")))
                .expect("places.tsv");
        let real: HashSet<(String, String, String)> = places
            .lines()
            .skip(1)
            .map(|l| {
                let c: Vec<&str> = l.split('\t').collect();
                (c[0].to_string(), c[1].to_string(), c[2].to_string())
            })
            .collect();
        let (city, postcode, region) = (texts(&b, "city"), texts(&b, "postcode"), texts(&b, "region"));
        for i in 0..b.num_rows() {
            let t = (city[i].clone(), region[i].clone(), postcode[i].clone());
            assert!(real.contains(&t), "{locale} row {i}: {t:?} is not one place of the data");
        }
        assert!(
            texts(&b, "street").iter().all(|s| s.chars().any(|c| c.is_ascii_digit())),
            "{locale}: a building number"
        );
    }
}

#[test]
fn entities_are_independent_and_fields_of_one_do_not_move_others() {
    let two = plan(&generator(
        "en_US",
        "  - { name: buyer, type: CATALOG, params: { kind: full_name } }
  - { name: seller, type: CATALOG, params: { kind: full_name, entity: seller } }
",
    ))
    .generate(0, 500)
    .expect("gen");
    let (buyer, seller) = (texts(&two, "buyer"), texts(&two, "seller"));
    let same = buyer.iter().zip(&seller).filter(|(a, b)| a == b).count();
    assert!(same < 25, "two entities draw two people: {same} of 500 equal");
    // Adding a field of the entity leaves the others as they were.
    let one = plan(&generator("en_US", "  - { name: buyer, type: CATALOG, params: { kind: full_name } }\n"))
        .generate(0, 500)
        .expect("gen");
    let more = plan(&generator(
        "en_US",
        "  - { name: buyer, type: CATALOG, params: { kind: full_name } }\n  - { name: mail, type: CATALOG, params: { kind: email } }\n",
    ))
    .generate(0, 500)
    .expect("gen");
    assert_eq!(texts(&one, "buyer"), texts(&more, "buyer"));
    // Slices equal the whole.
    let p = plan(&generator(
        "de_DE",
        "  - { name: e, type: CATALOG, params: { kind: email } }\n  - { name: c, type: CATALOG, params: { kind: city } }\n",
    ));
    assert_eq!(p.generate(300, 200).expect("gen"), p.generate(0, 1000).expect("gen").slice(300, 200));
}

#[test]
fn a_locale_without_data_is_an_error_unless_a_fallback_is_asked_for() {
    // Emails are made from the names, so a locale whose names do not give ASCII has none;
    // the UAE has no postcodes.
    for (locale, k) in [("ja_JP", "internet.email"), ("zh_CN", "person.username"), ("ar_AE", "address.postcode")] {
        assert!(!kind(k).expect("kind").locales().contains(&locale), "{k} in {locale}");
        let got = problems(&generator(locale, &format!("  - {{ name: c, type: CATALOG, params: {{ kind: {k} }} }}\n")));
        let want =
            format!("fields[0].params.locale: kind {k} has no data for locale {locale} — locales with data: en_US");
        assert!(got.iter().any(|g| g.starts_with(&want)), "{got:?}");
        let ok = problems(&generator(
            locale,
            &format!("  - {{ name: c, type: CATALOG, params: {{ kind: {k}, fallback: en_US }} }}\n"),
        ));
        assert!(ok.is_empty(), "{ok:?}");
    }
    assert!(LOCALES.len() >= 14);
    for k in KINDS.iter().filter(|k| k.data) {
        assert!(!k.locales().is_empty(), "{} has data in some locale", k.name);
    }
}

#[test]
fn phone_numbers_are_valid_under_libphonenumber_in_every_locale() {
    let mut all = serde_json::Map::new();
    for locale in kind("phone.number").expect("phone").locales() {
        let b = plan(&generator(
            locale,
            "  - { name: nat, type: CATALOG, params: { kind: phone } }\n  - { name: e164, type: CATALOG, params: { kind: phone, format: e164 } }\n",
        ))
        .generate(0, 400)
        .expect("gen");
        let country = &locale[3..];
        all.insert(
            locale.to_string(),
            serde_json::json!({ "region": country, "national": texts(&b, "nat"), "e164": texts(&b, "e164") }),
        );
    }
    assert!(all.len() >= 14, "every locale has phones: {:?}", all.keys().collect::<Vec<_>>());
    common::python_check(
        r#"
import json, sys, phonenumbers
v = json.load(sys.stdin)
bad = []
n = 0
for locale, d in v.items():
    for x in d["national"]:
        n += 1
        p = phonenumbers.parse(x, d["region"])
        if not phonenumbers.is_valid_number(p):
            bad.append((locale, x))
    for x in d["e164"]:
        n += 1
        p = phonenumbers.parse(x, None)
        if not (x.startswith("+") and phonenumbers.is_valid_number(p) and phonenumbers.region_code_for_number(p) == d["region"]):
            bad.append((locale, x))
if bad:
    print(len(bad), "invalid of", n, bad[:12])
    sys.exit(1)
print("checked", n)
"#,
        &serde_json::Value::Object(all),
    );
}

#[test]
fn table_kinds_come_from_the_locale_and_say_when_it_has_none() {
    let b = plan(&generator(
        "de_DE",
        "  - { name: c, type: CATALOG, params: { kind: company } }\n  - { name: j, type: CATALOG, params: { kind: job_title } }\n  - { name: s, type: CATALOG, params: { kind: sentence } }\n",
    ))
    .generate(0, 200)
    .expect("gen");
    let data = |f: &str| {
        std::fs::read_to_string(format!("{}/catalog-data/de_DE/{f}", env!("CARGO_MANIFEST_DIR"))).expect("data")
    };
    let companies: HashSet<String> =
        data("companies.tsv").lines().skip(1).map(|l| l.split('\t').next().expect("name").to_string()).collect();
    assert!(texts(&b, "c").iter().all(|c| companies.contains(c)));
    assert!(texts(&b, "s").iter().all(|s| s.ends_with('.') && s.split(' ').count() >= 6));
    // sv_SE has no job titles in the data: an error, or the fallback's.
    let got = problems(&generator("sv_SE", "  - { name: j, type: CATALOG, params: { kind: job_title } }\n"));
    assert!(
        got.iter()
            .any(|g| g.starts_with("fields[0].params.locale: kind person.job_title has no data for locale sv_SE")),
        "{got:?}"
    );
    assert!(
        problems(&generator("sv_SE", "  - { name: j, type: CATALOG, params: { kind: job_title, fallback: en_US } }\n"))
            .is_empty()
    );
}

#[test]
fn every_field_of_an_entity_reports_its_own_problems() {
    let got = problems(&generator(
        "de_DE",
        "  - { name: a, type: CATALOG, params: { kind: first_name, knd: x } }\n  - { name: b, type: CATALOG, params: { kind: email, brand: visa } }\n",
    ));
    assert!(got.iter().any(|g| g.starts_with("fields[0].params: unknown key `knd`")), "{got:?}");
    assert!(
        got.iter().any(|g| g.starts_with("fields[1].params.brand: `brand` does not apply to kind internet.email")),
        "{got:?}"
    );
    assert_eq!(got.len(), 2, "each once: {got:?}");
}

fn floats(b: &RecordBatch, name: &str) -> Vec<f64> {
    let c = b.column_by_name(name).unwrap_or_else(|| panic!("{name}"));
    c.as_primitive::<arrow_array::types::Float64Type>().values().to_vec()
}

#[test]
fn the_address_s_number_country_and_phone_belong_to_it() {
    let b = plan(&generator(
        "en_US",
        "  - { name: street, type: CATALOG, params: { kind: street } }
  - { name: number, type: CATALOG, params: { kind: building_number } }
  - { name: region, type: CATALOG, params: { kind: region } }
  - { name: area, type: CATALOG, params: { kind: area_code } }
  - { name: phone, type: CATALOG, params: { kind: address.phone } }
  - { name: e164, type: CATALOG, params: { kind: address.phone, format: e164 } }
  - { name: country, type: CATALOG, params: { kind: country } }
",
    ))
    .generate(0, 2000)
    .expect("gen");
    let (street, number) = (texts(&b, "street"), texts(&b, "number"));
    for i in 0..b.num_rows() {
        assert!(street[i].starts_with(&format!("{} ", number[i])), "row {i}: {} / {}", street[i], number[i]);
    }
    assert!(texts(&b, "country").iter().all(|c| c == "United States"));
    // State names → their postal codes (the geocoder writes `Brighton, MI`).
    let regions = std::fs::read_to_string(format!("{}/catalog-data/en_US/regions.tsv", env!("CARGO_MANIFEST_DIR")))
        .expect("regions.tsv");
    let code: std::collections::HashMap<&str, &str> =
        regions.lines().skip(1).filter_map(|l| l.split_once('\t')).collect();
    let (phone, e164, area, region) = (texts(&b, "phone"), texts(&b, "e164"), texts(&b, "area"), texts(&b, "region"));
    let mut rows = Vec::new();
    for i in 0..b.num_rows() {
        let abbr = code.get(region[i].as_str()).copied().unwrap_or_default();
        rows.push(serde_json::json!([phone[i], e164[i], area[i], region[i], abbr]));
    }
    // Valid numbers with the place's area code, which libphonenumber's
    // geocoder places in the place's state.
    common::python_check(
        r#"
import json, sys, phonenumbers
from phonenumbers import geocoder
rows = json.load(sys.stdin)
bad, elsewhere = [], []
for nat, e164, area, region, abbr in rows:
    for x in (nat, e164):
        n = phonenumbers.parse(x, "US")
        if not phonenumbers.is_valid_number(n) or str(n.national_number)[:3] != area:
            bad.append((x, area))
    n = phonenumbers.parse(e164, None)
    if e164[2:5] != area: bad.append((e164, area))
    where = geocoder.description_for_number(n, "en")
    if where and where != region and not where.endswith(", " + abbr):
        elsewhere.append((e164, region, where))
if bad:
    print(len(bad), "invalid", bad[:10]); sys.exit(1)
if len(elsewhere) > len(rows) // 50:
    print(len(elsewhere), "in another state", elsewhere[:10]); sys.exit(1)
print("checked", len(rows), "elsewhere", len(elsewhere))
"#,
        &serde_json::Value::Array(rows),
    );
}

#[test]
fn coordinates_near_a_point_and_ages_in_a_range() {
    let b = plan(&generator(
        "de_DE",
        "  - { name: lat, type: CATALOG, params: { kind: latitude, near: [52.52, 13.405], radius_km: 25 } }
  - { name: lon, type: CATALOG, params: { kind: longitude, near: [52.52, 13.405], radius_km: 25 } }
  - { name: born, type: CATALOG, params: { kind: birth_date, min_age: 30, max_age: 39 } }
  - { name: email, type: CATALOG, params: { kind: email, domains: company } }
  - { name: safe, type: CATALOG, params: { kind: email, domains: safe, entity: other } }
",
    ))
    .generate(0, 3000)
    .expect("gen");
    let (lat, lon) = (floats(&b, "lat"), floats(&b, "lon"));
    let mut far = 0.0f64;
    for (la, lo) in lat.iter().zip(&lon) {
        // Haversine distance to Berlin Mitte.
        let (p1, p2) = (52.52f64.to_radians(), la.to_radians());
        let (dp, dl) = ((la - 52.52).to_radians(), (lo - 13.405).to_radians());
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        far = far.max(2.0 * 6371.0 * a.sqrt().asin());
    }
    assert!((20.0..=25.2).contains(&far), "within 25 km, and spread to the edge: {far}");
    // Calendar ages on 2026-01-01: 30–39, and both ends are reached.
    let born = b.column_by_name("born").expect("born").as_primitive::<arrow_array::types::Date32Type>().clone();
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    let day = |y, m, d| (chrono::NaiveDate::from_ymd_opt(y, m, d).expect("date") - epoch).num_days() as i32;
    let (lo, hi) = (day(1986, 1, 2), day(1996, 1, 1));
    assert!(born.values().iter().all(|d| (lo..=hi).contains(d)), "born 1986-01-02 to 1996-01-01");
    let exact = plan(&generator(
        "de_DE",
        "  - { name: born, type: CATALOG, params: { kind: birth_date, min_age: 18, max_age: 18 } }\n",
    ))
    .generate(0, 5000)
    .expect("gen");
    let exact = exact.column(0).as_primitive::<arrow_array::types::Date32Type>().clone();
    let (first, last) = (day(2007, 1, 2), day(2008, 1, 1));
    assert!(exact.values().iter().all(|d| (first..=last).contains(d)), "exactly 18 on 2026-01-01");
    assert!(exact.values().contains(&first) && exact.values().contains(&last), "both ends");
    let domains: HashSet<String> = texts(&b, "email").iter().map(|e| e.split('@').nth(1).expect("@").into()).collect();
    assert!(domains.len() > 100 && domains.iter().all(|d| d.ends_with(".de")), "{domains:?}");
    assert!(
        texts(&b, "safe")
            .iter()
            .all(|e| e.ends_with("@example.com") || e.ends_with("@example.org") || e.ends_with("@example.net"))
    );
    // Near a pole and across the antimeridian: still within the radius, longitudes in ±180.
    for (lat0, lon0) in [(89.9, 0.0), (-12.0, 179.95)] {
        let b = plan(&generator(
            "de_DE",
            &format!(
                "  - {{ name: lat, type: CATALOG, params: {{ kind: latitude, near: [{lat0}, {lon0}], radius_km: 50 }} }}\n  - {{ name: lon, type: CATALOG, params: {{ kind: longitude, near: [{lat0}, {lon0}], radius_km: 50 }} }}\n"
            ),
        ))
        .generate(0, 2000)
        .expect("gen");
        for (la, lo) in floats(&b, "lat").iter().zip(&floats(&b, "lon")) {
            let (p1, p2) = (f64::to_radians(lat0), la.to_radians());
            let (dp, dl) = ((la - lat0).to_radians(), (lo - lon0).to_radians());
            let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
            let d = 2.0 * 6371.0088 * a.sqrt().asin();
            assert!(d <= 50.01 && (-180.0..=180.0).contains(lo) && (-90.0..=90.0).contains(la), "{la}, {lo}: {d} km");
        }
    }
    let mixed = problems(&generator(
        "de_DE",
        "  - { name: lat, type: CATALOG, params: { kind: latitude, near: [52.52, 13.405] } }
  - { name: lon, type: CATALOG, params: { kind: longitude } }
  - { name: born, type: CATALOG, params: { kind: birth_date, min_age: 50, max_age: 20 } }
",
    ));
    assert!(
        mixed.iter().any(|p| p.starts_with("fields[1].params.near: `lat` and `lon` scatter around different points")),
        "{mixed:?}"
    );
    assert!(
        mixed.iter().any(|p| p.starts_with("fields[2].params.max_age: max_age 20 is below min_age 50")),
        "{mixed:?}"
    );
}

#[test]
fn a_vehicle_s_model_is_of_its_make() {
    let b = plan(&generator(
        "fr_FR",
        "  - { name: make, type: CATALOG, params: { kind: vehicle.make, locale: en_US } }
  - { name: model, type: CATALOG, params: { kind: vehicle.model } }
",
    ))
    .generate(0, 2000)
    .expect("gen");
    let table = std::fs::read_to_string(format!("{}/catalog-data/all/vehicles.tsv", env!("CARGO_MANIFEST_DIR")))
        .expect("vehicles.tsv");
    let pairs: HashSet<(String, String)> = table
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c[0].to_string(), c[1].to_string())
        })
        .collect();
    let (make, model) = (texts(&b, "make"), texts(&b, "model"));
    let makes: HashSet<&String> = make.iter().collect();
    assert!(makes.len() > 10, "{makes:?}");
    for i in 0..b.num_rows() {
        assert!(pairs.contains(&(make[i].clone(), model[i].clone())), "row {i}: {} {}", make[i], model[i]);
    }
}
