//! Rows per second of the catalog, one case per kind family (8192-row
//! batches, de_DE unless the family needs another locale): what one CATALOG
//! field, or one entity of several fields, costs. The algorithmic kinds
//! (uuid, ulid, ip, card, IBAN, ISBN, VIN …) are in the mapper bench.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sdg_benches::compile;
use std::hint::black_box;

const ROWS: usize = 8192;

fn catalog(c: &mut Criterion) {
    let identity = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../configs/identities.yaml"))
        .expect("configs/identities.yaml");
    let cases: &[(&str, &str, &str)] = &[
        (
            "person_first_last",
            "de_DE",
            "[{ name: a, type: CATALOG, params: { kind: first_name } }, { name: b, type: CATALOG, params: { kind: last_name } }]",
        ),
        ("person_full_name", "de_DE", "[{ name: a, type: CATALOG, params: { kind: full_name } }]"),
        ("person_email", "de_DE", "[{ name: a, type: CATALOG, params: { kind: email } }]"),
        ("person_birth_date", "de_DE", "[{ name: a, type: CATALOG, params: { kind: birth_date } }]"),
        (
            "address_city_postcode_region",
            "de_DE",
            "[{ name: a, type: CATALOG, params: { kind: city } }, { name: b, type: CATALOG, params: { kind: postcode } }, { name: c, type: CATALOG, params: { kind: region } }]",
        ),
        ("address_street", "de_DE", "[{ name: a, type: CATALOG, params: { kind: street } }]"),
        (
            "address_near_point",
            "de_DE",
            "[{ name: a, type: CATALOG, params: { kind: latitude, near: [52.5, 13.4] } }, { name: b, type: CATALOG, params: { kind: longitude, near: [52.5, 13.4] } }]",
        ),
        ("address_phone_us", "en_US", "[{ name: a, type: CATALOG, params: { kind: address.phone } }]"),
        ("phone_e164", "de_DE", "[{ name: a, type: CATALOG, params: { kind: phone, format: e164 } }]"),
        ("company_name", "de_DE", "[{ name: a, type: CATALOG, params: { kind: company } }]"),
        ("commerce_product", "en_US", "[{ name: a, type: CATALOG, params: { kind: product } }]"),
        ("commerce_price", "de_DE", "[{ name: a, type: CATALOG, params: { kind: price } }]"),
        ("finance_currency", "de_DE", "[{ name: a, type: CATALOG, params: { kind: currency, scope: any } }]"),
        ("internet_url", "de_DE", "[{ name: a, type: CATALOG, params: { kind: url } }]"),
        ("internet_user_agent", "de_DE", "[{ name: a, type: CATALOG, params: { kind: user_agent } }]"),
        ("text_word", "de_DE", "[{ name: a, type: CATALOG, params: { kind: word } }]"),
        ("text_sentence", "de_DE", "[{ name: a, type: CATALOG, params: { kind: sentence } }]"),
        ("text_paragraph", "de_DE", "[{ name: a, type: CATALOG, params: { kind: paragraph } }]"),
        (
            "vehicle_make_model",
            "de_DE",
            "[{ name: a, type: CATALOG, params: { kind: vehicle.make } }, { name: b, type: CATALOG, params: { kind: vehicle.model } }]",
        ),
        ("telemetry_os", "de_DE", "[{ name: a, type: CATALOG, params: { kind: os } }]"),
    ];
    let mut plans: Vec<(&str, sdg_engine::Plan)> = cases
        .iter()
        .map(|(name, locale, fields)| {
            let yaml = format!(
                "name: bench\nseed: 1\nlocale: {locale}\ndestination: {{ type: BLACKHOLE }}\nfields: {fields}\n"
            );
            (*name, compile(&yaml))
        })
        .collect();
    plans.push(("identity_10_columns", compile(&identity)));
    let mut group = c.benchmark_group("catalog");
    group.throughput(Throughput::Elements(ROWS as u64));
    for (name, plan) in &plans {
        let mut row = 0u64;
        group.bench_function(*name, |b| {
            b.iter(|| {
                row += ROWS as u64;
                black_box(plan.generate(row, ROWS).expect("generates"))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, catalog);
criterion_main!(benches);
