//! CATALOG fields: every kind builds its column; the values pass real,
//! independent validators (python-stdnum for IBAN, BIC, Luhn, ISBN, EAN;
//! vininfo for VINs; Python's ipaddress for address ranges — installed by
//! scripts/test.sh); determinism; and the validation errors.

mod common;
use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use common::{plan, problems};
use sdg_engine::catalog::{KINDS, LOCALES};

fn generator(locale: &str, fields: &str) -> String {
    format!("name: c\nseed: 3\nlocale: {locale}\ndestination: {{ type: BLACKHOLE }}\nfields:\n{fields}")
}

fn texts(b: &RecordBatch, name: &str) -> Vec<String> {
    let c = b.column_by_name(name).unwrap_or_else(|| panic!("{name}"));
    let c = c.as_string::<i32>();
    (0..c.len()).filter(|&i| c.is_valid(i)).map(|i| c.value(i).to_string()).collect()
}

#[test]
fn every_kind_compiles_with_its_documented_type_and_example_shape() {
    for k in KINDS {
        let locale = sdg_engine::catalog::example_locale(k);
        let b = plan(
            &generator(locale, &format!("  - {{ name: v, type: CATALOG, params: {{ kind: {} }} }}\n", k.name))
                .replace("seed: 3", "seed: 1"),
        )
        .generate(0, 500)
        .unwrap_or_else(|e| panic!("{}: {e}", k.name));
        assert_eq!(b.schema().field(0).data_type().to_string(), k.arrow, "{}", k.name);
        assert_eq!(b.column(0).null_count(), 0, "{}", k.name);
        // Every alias means the same kind: the same values.
        for a in k.aliases {
            let alias = plan(
                &generator(locale, &format!("  - {{ name: v, type: CATALOG, params: {{ kind: {a} }} }}\n"))
                    .replace("seed: 3", "seed: 1"),
            )
            .generate(0, 500)
            .expect("alias");
            assert_eq!(alias, b, "{a} = {}", k.name);
        }
        if k.arrow == "Utf8" {
            let v = texts(&b, "v");
            let shape = |s: &str| {
                s.chars()
                    .map(|c| {
                        if c.is_ascii_digit() {
                            '9'
                        } else if c.is_ascii_alphabetic() {
                            'a'
                        } else {
                            c
                        }
                    })
                    .collect::<String>()
            };
            let lens: std::collections::BTreeSet<usize> = v.iter().map(String::len).collect();
            // Code kinds have a fixed layout (lorem ipsum and User-Agent headers are free text).
            if !k.data && !["text.lorem", "internet.user_agent"].contains(&k.name) {
                assert!(lens.len() <= 8, "{}: lengths {lens:?}", k.name);
            }
            let example = sdg_engine::catalog::example(k);
            assert_eq!(example, v[0], "{}: the example is row 0 of seed 1", k.name);
            assert!(v.iter().all(|x| !shape(x).is_empty()), "{}", k.name);
        }
    }
}

#[test]
fn values_pass_independent_validators() {
    let mut fields = String::new();
    for brand in ["visa", "mastercard", "amex", "discover", "any"] {
        fields.push_str(&format!(
            "  - {{ name: card_{brand}, type: CATALOG, params: {{ kind: finance.credit_card, brand: {brand} }} }}\n"
        ));
    }
    let countries: Vec<&str> = [
        "AD", "AE", "AT", "BE", "BR", "CH", "CZ", "DE", "DK", "ES", "FI", "FR", "GB", "IE", "IT", "LU", "NL", "NO",
        "PL", "PT", "SA", "SE",
    ]
    .to_vec();
    for c in &countries {
        fields.push_str(&format!("  - {{ name: iban_{c}, type: CATALOG, params: {{ kind: iban, country: {c} }} }}\n"));
        fields.push_str(&format!("  - {{ name: bic_{c}, type: CATALOG, params: {{ kind: bic, country: {c} }} }}\n"));
    }
    fields.push_str(
        "  - { name: isbn, type: CATALOG, params: { kind: codes.isbn13 } }
  - { name: ean, type: CATALOG, params: { kind: codes.ean13 } }
  - { name: vin, type: CATALOG, params: { kind: vehicle.vin } }
  - { name: ip4_public, type: CATALOG, params: { kind: internet.ipv4 } }
  - { name: ip4_private, type: CATALOG, params: { kind: internet.ipv4, range: private } }
  - { name: ip6_public, type: CATALOG, params: { kind: internet.ipv6, range: public } }
  - { name: ip6_private, type: CATALOG, params: { kind: internet.ipv6, range: private } }
  - { name: mac, type: CATALOG, params: { kind: mac } }
  - { name: uuid, type: CATALOG, params: { kind: uuid } }
  - { name: ulid, type: CATALOG, params: { kind: ulid } }
  - { name: expiry, type: CATALOG, params: { kind: finance.credit_card_expiry } }
",
    );
    let b = plan(&generator("de_DE", &fields)).generate(0, 3000).expect("gen");
    let mut all = serde_json::Map::new();
    for f in b.schema().fields() {
        all.insert(f.name().clone(), texts(&b, f.name()).into());
    }
    common::python_check(
        r#"
import json, sys, ipaddress, re, uuid
from stdnum import iban, bic, luhn, isbn, ean
import vininfo
v = json.load(sys.stdin)
bad = []
prefix = {"visa": (("4",), (16,)), "mastercard": (tuple(str(p) for p in range(51, 56)) + tuple(str(p) for p in range(2221, 2721)), (16,)),
          "amex": (("34", "37"), (15,)), "discover": (("6011", "65"), (16,))}
n = 0
for key, values in v.items():
    for x in values:
        n += 1
        ok = True
        if key.startswith("card_"):
            brand = key[5:]
            ok = luhn.is_valid(x)
            if brand in prefix:
                ok = ok and x.startswith(prefix[brand][0]) and len(x) in prefix[brand][1]
        elif key.startswith("iban_"):
            ok = iban.is_valid(x, check_country=False) and x[:2] == key[5:]
        elif key.startswith("bic_"):
            ok = bic.is_valid(x) and x[4:6] == key[4:]
        elif key == "isbn": ok = isbn.is_valid(x) and len(x) == 13
        elif key == "ean": ok = ean.is_valid(x) and len(x) == 13
        elif key == "vin": ok = vininfo.Vin(x).verify_checksum()
        elif key == "ip4_public": a = ipaddress.IPv4Address(x); ok = a.is_global and not a.is_multicast
        elif key == "ip4_private": ok = ipaddress.IPv4Address(x).is_private
        elif key == "ip6_public": a = ipaddress.IPv6Address(x); ok = a.is_global
        elif key == "ip6_private": ok = ipaddress.IPv6Address(x) in ipaddress.IPv6Network("fc00::/7")
        elif key == "mac": ok = re.fullmatch(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}", x) is not None and int(x[:2], 16) % 2 == 0
        elif key == "uuid": ok = uuid.UUID(x).version == 4
        elif key == "ulid": ok = re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", x) is not None
        elif key == "expiry": ok = re.fullmatch(r"(0[1-9]|1[0-2])/(2[7-9]|3[01])", x) is not None
        if not ok:
            bad.append((key, x))
if bad:
    print(len(bad), "invalid, e.g.", bad[:10])
    sys.exit(1)
print("checked", n)
"#,
        &serde_json::Value::Object(all),
    );
    // ULIDs sort by row.
    let ulids = texts(&b, "ulid");
    assert!(ulids.windows(2).all(|w| w[0][..10] <= w[1][..10]), "time part in row order");
}

#[test]
fn catalog_values_do_not_depend_on_workers_or_ranges() {
    let p = plan(&generator(
        "fr_FR",
        "  - { name: iban, type: CATALOG, params: { kind: iban } }\n  - { name: ip, type: CATALOG, params: { kind: ipv4 }, null_ratio: 0.2 }\n  - { name: m, type: CATALOG, params: { kind: http_method } }\n",
    ));
    let whole = p.generate(0, 5000).expect("gen");
    assert_eq!(p.generate(1234, 1000).expect("gen"), whole.slice(1234, 1000));
    assert_eq!(
        p.generate_rows(&[4999, 7, 7]).expect("gen").column(0).as_string::<i32>().value(0),
        texts(&whole, "iban")[4999]
    );
    assert!(texts(&whole, "iban").iter().all(|i| i.starts_with("FR")), "the locale's country");
}

#[test]
fn catalog_problems_name_the_fix() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "en_US",
            "{ kind: finance.ibna }",
            "fields[0].params.kind: unknown kind `finance.ibna` — did you mean `finance.iban`?",
        ),
        (
            "en_US",
            "{ kind: iban }",
            "fields[0].params.kind: US has no IBANs in sdg's registry (locale en_US) — give params.country",
        ),
        ("en_US", "{ kind: iban, country: de }", "fields[0].params.country: `de` is not an ISO country code"),
        (
            "en_US",
            "{ kind: ipv4, brand: visa }",
            "fields[0].params.brand: `brand` does not apply to kind internet.ipv4 — internet.ipv4 takes: range",
        ),
        (
            "en_US",
            "{ kind: ipv4, range: lan }",
            "fields[0].params.range: unknown range `lan` — use one of public, private, any",
        ),
        ("en_US", "{ kind: credit_card, brand: diners }", "fields[0].params.brand: unknown brand `diners`"),
        (
            "en_US",
            "{ kind: uuid, locale: de_AT }",
            "fields[0].params.locale: unknown locale `de_AT` — did you mean `de_DE`?",
        ),
        ("en_US", "{ kind: uuid, entity: buyer }", "fields[0].params.entity: kind id.uuid is made by code"),
        ("en_US", "{ kind: hex_token, length: 0 }", "fields[0].params.length: length 0 is outside 1–256"),
        ("en_US", "{ kind: uuid, knd: x }", "fields[0].params: unknown key `knd` for CATALOG — did you mean `kind`?"),
        ("en_US", "{ kind: amount, min: 1.234, max: 1.236 }", "fields[0].params.max: no amount in cents lies between"),
        ("en_US", "{ kind: price, min: 50, max: 5 }", "fields[0].params.max: max 5 is below min 50"),
        ("en_US", "{ kind: price, min: -1 }", "fields[0].params.min: min -1 and max 1000 must be within 0–1e12"),
        ("en_US", "{ kind: currency, scope: world }", "fields[0].params.scope: unknown scope `world`"),
        ("en_US", "{ kind: account_number, length: 40 }", "fields[0].params.length: length 40 is outside 4–34"),
        ("en_US", "{ kind: latitude, near: [1, 2, 3] }", "fields[0].params.near: near must be [latitude, longitude]"),
        ("en_US", "{ kind: latitude, near: [95, 2] }", "fields[0].params.near: near must be [latitude, longitude]"),
        ("en_US", "{ kind: latitude, radius_km: 5 }", "fields[0].params.radius_km: radius_km needs near"),
        ("en_US", "{ kind: email, domains: work }", "fields[0].params.domains: unknown domains `work`"),
        ("en_US", "{ kind: birth_date, min_age: 95 }", "fields[0].params.min_age: max_age 90 is below min_age 95"),
        ("en_US", "{ kind: address.phone, format: intl }", "fields[0].params.format: unknown phone format `intl`"),
        ("en_US", "{ kind: sku, safe: true }", "fields[0].params.safe: `safe` does not apply to kind commerce.sku"),
        ("zh_CN", "{ kind: domain }", "fields[0].params.locale: kind internet.domain has no data for locale zh_CN"),
    ];
    for (locale, params, want) in cases {
        let got = problems(&generator(locale, &format!("  - {{ name: v, type: CATALOG, params: {params} }}\n")));
        assert!(got.iter().any(|g| g.starts_with(want)), "want {want}\ngot {got:#?}");
    }
    let got = problems(
        "name: c\nlocale: xx_XX\ndestination: { type: BLACKHOLE }\nfields: [{ name: v, type: CATALOG, params: { kind: uuid } }]\n",
    );
    assert!(got.iter().any(|g| g.contains("unknown locale `xx_XX`")), "{got:?}");
    assert!(LOCALES.len() >= 14);
}

fn floats(b: &RecordBatch, name: &str) -> Vec<f64> {
    let c = b.column_by_name(name).unwrap_or_else(|| panic!("{name}"));
    c.as_primitive::<arrow_array::types::Float64Type>().values().to_vec()
}

fn dictionary(b: &RecordBatch, name: &str) -> Vec<String> {
    let c = b.column_by_name(name).unwrap_or_else(|| panic!("{name}"));
    let d = c.as_dictionary::<arrow_array::types::Int32Type>();
    let values = d.values().as_string::<i32>();
    d.keys().values().iter().map(|&k| values.value(k as usize).to_string()).collect()
}

#[test]
fn web_commerce_and_money_kinds_pass_their_checks() {
    let b = plan(&generator(
        "de_DE",
        "  - { name: ua, type: CATALOG, params: { kind: internet.user_agent } }
  - { name: domain, type: CATALOG, params: { kind: internet.domain } }
  - { name: url, type: CATALOG, params: { kind: internet.url } }
  - { name: safe_url, type: CATALOG, params: { kind: internet.url, safe: true } }
  - { name: sku, type: CATALOG, params: { kind: commerce.sku } }
  - { name: account, type: CATALOG, params: { kind: finance.account_number, length: 12 } }
  - { name: price, type: CATALOG, params: { kind: commerce.price, min: 5, max: 80 } }
  - { name: amount, type: CATALOG, params: { kind: amount, min: 0.5, max: 20000 } }
  - { name: currency, type: CATALOG, params: { kind: currency } }
  - { name: any_currency, type: CATALOG, params: { kind: currency, scope: any } }
  - { name: mcc, type: CATALOG, params: { kind: mcc } }
",
    ))
    .generate(0, 3000)
    .expect("gen");
    let mut all = serde_json::Map::new();
    for name in ["ua", "domain", "url", "safe_url", "sku", "account"] {
        all.insert(name.into(), texts(&b, name).into());
    }
    common::python_check(
        r#"
import json, sys, re, urllib.parse
from ua_parser import parse
v = json.load(sys.stdin)
bad = []
label = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
def domain_ok(d):
    return len(d) <= 253 and all(label.fullmatch(p) for p in d.split(".")) and d.count(".") >= 1
families = {"Chrome", "Chrome Mobile", "Mobile Safari", "Safari", "Edge", "Firefox"}
for x in v["ua"]:
    r = parse(x)
    if r.user_agent is None or r.user_agent.family not in families or r.os is None:
        bad.append(("ua", x))
for x in v["domain"]:
    if not (domain_ok(x) and x.endswith(".de")): bad.append(("domain", x))
for key in ("url", "safe_url"):
    for x in v[key]:
        u = urllib.parse.urlsplit(x)
        ok = u.scheme == "https" and domain_ok(u.hostname or "") and u.path.startswith("/")
        if key == "safe_url": ok = ok and u.hostname in ("www.example.com", "www.example.org", "www.example.net")
        if not ok: bad.append((key, x))
for x in v["sku"]:
    if not re.fullmatch(r"[A-Z]{3}-[0-9]{6}", x): bad.append(("sku", x))
for x in v["account"]:
    if not re.fullmatch(r"[1-9][0-9]{11}", x): bad.append(("account", x))
if bad:
    print(len(bad), "invalid, e.g.", bad[:10]); sys.exit(1)
print("checked", sum(len(x) for x in v.values()))
"#,
        &serde_json::Value::Object(all),
    );
    let cents = |x: f64| ((x * 100.0).round() - x * 100.0).abs() < 1e-6;
    let prices = floats(&b, "price");
    assert!(prices.iter().all(|&p| (5.0..=80.0).contains(&p) && cents(p)), "{prices:?}");
    let endings = prices.iter().filter(|p| [99, 95, 49, 0].contains(&(((*p * 100.0).round() as i64) % 100))).count();
    assert_eq!(endings, prices.len(), "shop prices end in .99, .95, .49 or .00");
    let amounts = floats(&b, "amount");
    assert!(amounts.iter().all(|&a| (0.5..=20000.0).contains(&a) && cents(a)));
    // Log-uniform: as many amounts below 100 as above (the geometric middle).
    let below = amounts.iter().filter(|&&a| a < 100.0).count();
    assert!((1200..1800).contains(&below), "{below} of 3000 below the geometric middle");
    assert!(dictionary(&b, "currency").iter().all(|c| c == "EUR"), "de_DE pays in euros");
    let any = dictionary(&b, "any_currency");
    let usd = any.iter().filter(|c| *c == "USD").count();
    let kinds: std::collections::HashSet<&String> = any.iter().collect();
    assert!(usd > 1000 && kinds.len() == 15, "USD most ({usd}), all 15 present: {kinds:?}");
    assert!(dictionary(&b, "mcc").iter().all(|m| m.len() == 4 && m.bytes().all(|c| c.is_ascii_digit())));
}
