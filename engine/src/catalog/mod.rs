//! The semantic type catalog: `type: CATALOG` fields ask for a *kind* of
//! value (`finance.iban`, `internet.ipv4`, `person.first_name` …) instead of
//! describing how to make it. This module is the registry of kinds (names,
//! aliases, parameters, examples, the locales with data) and the builders
//! of their columns. The algorithmic kinds (check digits, address ranges,
//! identifiers) are code (`algo.rs`); the kinds that need locale data
//! (names, places, phones) come with the catalog data.

mod algo;
mod data;
pub(crate) mod entity;
pub mod infer;
mod picks;
pub use entity::ascii_fold;

use crate::issue::{Issue, Issues};
use crate::mapping::{BatchCtx, ColumnMapper, GenError};
use crate::rng::{RowRng, StreamKey};
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, DictionaryArray, Int32Array, Int64Array, StringArray};
use arrow_buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field};
use serde::Deserialize;
use std::sync::Arc;

/// The locales sdg knows (the catalog data may cover a kind in fewer).
pub const LOCALES: &[&str] = &[
    "en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR", "pl_PL", "sv_SE", "ja_JP", "zh_CN",
    "en_IN", "ar_AE",
];

/// The default locale of a generator without `locale:`.
pub const DEFAULT_LOCALE: &str = "en_US";

/// The country of a locale (`de_DE` → `DE`).
pub fn locale_country(locale: &str) -> Option<&str> {
    locale.split_once('_').map(|(_, c)| c).filter(|c| c.len() == 2)
}

/// A parameter of a kind.
#[derive(Debug, Clone, Copy)]
pub struct ParamDoc {
    /// Its key in `params`.
    pub name: &'static str,
    /// What it does, with its values and default.
    pub doc: &'static str,
}

/// One kind of the catalog.
#[derive(Debug, Clone, Copy)]
pub struct KindDoc {
    /// The dotted name (`finance.iban`).
    pub name: &'static str,
    /// Short names that mean the same.
    pub aliases: &'static [&'static str],
    /// What the values are.
    pub doc: &'static str,
    /// Its parameters (besides `kind`, `entity`, `locale`, `fallback`).
    pub params: &'static [ParamDoc],
    /// The Arrow type of the column.
    pub arrow: &'static str,
    /// Drawn from locale data (else made by code, the same in every locale).
    pub data: bool,
}

impl KindDoc {
    /// The locales with data for this kind (every locale for kinds made by code).
    pub fn locales(&self) -> Vec<&'static str> {
        if self.data { entity::locales_for(self.name) } else { LOCALES.to_vec() }
    }
}

const BRAND: ParamDoc = ParamDoc { name: "brand", doc: "visa, mastercard, amex, discover or any (default any)" };
const RANGE: ParamDoc = ParamDoc { name: "range", doc: "public (default), private or any" };
const FORMAT: ParamDoc = ParamDoc {
    name: "format",
    doc: "national (default, as dialled in the country) or e164 (+country code, digits only)",
};
const SAFE: ParamDoc = ParamDoc {
    name: "safe",
    doc: "true: only the reserved example.com, example.org and example.net (RFC 2606), never a real domain (default false)",
};
const NEAR: &[ParamDoc] = &[
    ParamDoc {
        name: "near",
        doc: "[latitude, longitude]: a point; values are uniform within radius_km of it (great-circle distance) instead of at the place (give it to both latitude and longitude)",
    },
    ParamDoc { name: "radius_km", doc: "with near: the radius in km, up to 20000 (default 10)" },
];
const MIN: ParamDoc = ParamDoc { name: "min", doc: "the smallest value (default 1)" };
const MAX: ParamDoc = ParamDoc { name: "max", doc: "the largest value (default 1000)" };
const COUNTRY: ParamDoc =
    ParamDoc { name: "country", doc: "ISO country code (default: the locale's country), e.g. DE" };

/// Every kind, in `sdg catalog` order.
pub const KINDS: &[KindDoc] = &[
    KindDoc {
        name: "phone.number",
        aliases: &["phone", "phone_number", "telephone", "mobile", "msisdn"],
        doc: "a phone number of the locale's country, valid under libphonenumber's rules (its patterns are checked when the data is built)",
        params: &[FORMAT],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "company.name",
        aliases: &["company", "company_name", "employer"],
        doc: "a company name of the locale",
        params: &[],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "person.job_title",
        aliases: &["job_title", "job", "occupation"],
        doc: "a job title of the locale",
        params: &[],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "text.word",
        aliases: &["word"],
        doc: "a word of the locale's language",
        params: &[],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "text.sentence",
        aliases: &["sentence"],
        doc: "a sentence of 6–12 words of the locale's language",
        params: &[],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "person.first_name",
        aliases: &["first_name", "firstname", "given_name"],
        doc: "a first name of the locale, by frequency (person)",
        params: &[],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "person.last_name",
        aliases: &["last_name", "lastname", "surname", "family_name"],
        doc: "a last name of the locale, by frequency (person)",
        params: &[],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "person.full_name",
        aliases: &["full_name", "name"],
        doc: "first and last name of the record's person",
        params: &[],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "person.gender",
        aliases: &["gender", "sex"],
        doc: "F or M, the gender of the person's first name",
        params: &[],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "person.username",
        aliases: &["username", "user_name", "login"],
        doc: "a username made from the person's names (ASCII)",
        params: &[],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "person.birth_date",
        aliases: &["birth_date", "dob", "birthday"],
        doc: "a birth date, ages min_age–max_age on 2026-01-01 (person)",
        params: &[
            ParamDoc { name: "min_age", doc: "the youngest age, 0–120 (default 18)" },
            ParamDoc { name: "max_age", doc: "the oldest age, 0–120 (default 90)" },
        ],
        arrow: "Date32",
        data: true,
    },
    KindDoc {
        name: "internet.email",
        aliases: &["email", "email_address"],
        doc: "an email made from the person's names at one of the locale's free-mail domains, a company domain, or an example domain",
        params: &[ParamDoc {
            name: "domains",
            doc: "free (default: the locale's free-mail providers), company (a domain of the locale's companies) or safe (example.com/.org/.net, RFC 2606)",
        }],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "address.street",
        aliases: &["street", "street_address", "address"],
        doc: "a street name of the locale with a building number, written the locale's way (address)",
        params: &[],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "address.city",
        aliases: &["city", "town"],
        doc: "the city of the record's place (address)",
        params: &[],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "address.region",
        aliases: &["region", "state", "province"],
        doc: "the region (state, province) of the record's place",
        params: &[],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "address.postcode",
        aliases: &["postcode", "zip", "zip_code", "postal_code"],
        doc: "the postcode of the record's place",
        params: &[],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "address.latitude",
        aliases: &["latitude", "lat"],
        doc: "the latitude of the record's place",
        params: NEAR,
        arrow: "Float64",
        data: true,
    },
    KindDoc {
        name: "address.longitude",
        aliases: &["longitude", "lon", "lng"],
        doc: "the longitude of the record's place",
        params: NEAR,
        arrow: "Float64",
        data: true,
    },
    KindDoc {
        name: "address.time_zone",
        aliases: &["time_zone", "timezone", "tz"],
        doc: "the IANA time zone of the record's place",
        params: &[],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "address.country_code",
        aliases: &["country_code"],
        doc: "the ISO 3166 code of the locale's country",
        params: &[],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "id.uuid",
        aliases: &["uuid"],
        doc: "a random (v4) UUID as text",
        params: &[],
        arrow: "Utf8",
        data: false,
    },
    KindDoc {
        name: "id.ulid",
        aliases: &["ulid"],
        doc: "a ULID (26 characters, Crockford base32); its time part grows 1 ms a row from 2026-01-01, so ULIDs sort by row",
        params: &[],
        arrow: "Utf8",
        data: false,
    },
    KindDoc {
        name: "id.hex_token",
        aliases: &["token", "hex_token"],
        doc: "random lowercase hexadecimal",
        params: &[ParamDoc { name: "length", doc: "characters, 1–256 (default 32)" }],
        arrow: "Utf8",
        data: false,
    },
    KindDoc {
        name: "internet.ipv4",
        aliases: &["ipv4", "ip"],
        doc: "an IPv4 address: public unicast (no private, loopback, link-local, documentation, multicast or reserved block), private (10/8, 172.16/12, 192.168/16) or any",
        params: &[RANGE],
        arrow: "Utf8",
        data: false,
    },
    KindDoc {
        name: "internet.ipv6",
        aliases: &["ipv6"],
        doc: "an IPv6 address: public (global unicast 2000::/3, not 2001:db8::/32), private (unique local fd00::/8) or any",
        params: &[RANGE],
        arrow: "Utf8",
        data: false,
    },
    KindDoc {
        name: "internet.mac",
        aliases: &["mac"],
        doc: "a unicast MAC address",
        params: &[],
        arrow: "Utf8",
        data: false,
    },
    KindDoc {
        name: "internet.port",
        aliases: &["port"],
        doc: "a TCP/UDP port",
        params: &[ParamDoc {
            name: "range",
            doc: "registered (1024–49151, default), dynamic (49152–65535), well_known (1–1023) or any (1–65535)",
        }],
        arrow: "Int64",
        data: false,
    },
    KindDoc {
        name: "internet.http_method",
        aliases: &["http_method"],
        doc: "an HTTP method, weighted like real traffic (GET most)",
        params: &[],
        arrow: "Dictionary(Int32, Utf8)",
        data: false,
    },
    KindDoc {
        name: "internet.http_status",
        aliases: &["http_status", "status_code"],
        doc: "an HTTP status code, weighted like real traffic (200 most)",
        params: &[],
        arrow: "Int64",
        data: false,
    },
    KindDoc {
        name: "finance.credit_card",
        aliases: &["credit_card", "card_number"],
        doc: "a card number with the brand's prefix and length and a valid Luhn check digit",
        params: &[BRAND],
        arrow: "Utf8",
        data: false,
    },
    KindDoc {
        name: "finance.credit_card_expiry",
        aliases: &["card_expiry", "expiry"],
        doc: "an expiry date MM/YY, 2027–2031",
        params: &[],
        arrow: "Utf8",
        data: false,
    },
    KindDoc {
        name: "finance.cvv",
        aliases: &["cvv", "cvc"],
        doc: "a card security code (4 digits for amex, else 3)",
        params: &[BRAND],
        arrow: "Utf8",
        data: false,
    },
    KindDoc {
        name: "finance.iban",
        aliases: &["iban"],
        doc: "an IBAN of the country's registry length and layout with valid mod-97 check digits",
        params: &[COUNTRY],
        arrow: "Utf8",
        data: false,
    },
    KindDoc {
        name: "finance.bic",
        aliases: &["bic", "swift"],
        doc: "a BIC (SWIFT code) of the country: 8 or 11 characters",
        params: &[COUNTRY],
        arrow: "Utf8",
        data: false,
    },
    KindDoc {
        name: "codes.isbn13",
        aliases: &["isbn", "isbn13"],
        doc: "an ISBN-13 (978/979) with a valid check digit",
        params: &[],
        arrow: "Utf8",
        data: false,
    },
    KindDoc {
        name: "codes.ean13",
        aliases: &["ean", "ean13", "gtin"],
        doc: "an EAN-13 with a valid check digit",
        params: &[],
        arrow: "Utf8",
        data: false,
    },
    KindDoc {
        name: "vehicle.vin",
        aliases: &["vin"],
        doc: "a 17-character VIN (no I, O, Q) with a valid check digit in position 9",
        params: &[],
        arrow: "Utf8",
        data: false,
    },
    KindDoc {
        name: "telemetry.semver",
        aliases: &["semver", "version"],
        doc: "a semantic version MAJOR.MINOR.PATCH",
        params: &[],
        arrow: "Utf8",
        data: false,
    },
    KindDoc {
        name: "telemetry.log_level",
        aliases: &["log_level"],
        doc: "a log level, weighted (INFO most)",
        params: &[],
        arrow: "Dictionary(Int32, Utf8)",
        data: false,
    },
    KindDoc {
        name: "telemetry.device_id",
        aliases: &["device_id"],
        doc: "a device identifier: 16 hexadecimal characters",
        params: &[],
        arrow: "Utf8",
        data: false,
    },
    KindDoc {
        name: "address.country",
        aliases: &["country", "country_name"],
        doc: "the name of the locale's country in its language (address)",
        params: &[],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "address.building_number",
        aliases: &["building_number", "house_number", "street_number"],
        doc: "the building number of the record's street address (the same number as in address.street)",
        params: &[],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "address.area_code",
        aliases: &["area_code"],
        doc: "the telephone area code of the record's place",
        params: &[],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "address.phone",
        aliases: &["home_phone", "landline"],
        doc: "a phone number with the area code of the record's place, valid under libphonenumber's rules",
        params: &[FORMAT],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "internet.domain",
        aliases: &["domain", "domain_name", "hostname"],
        doc: "a domain made from a company name of the locale and the country's top-level domain",
        params: &[SAFE],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "internet.url",
        aliases: &["url", "website", "homepage"],
        doc: "an https URL on a domain of the locale's companies, with a path",
        params: &[SAFE],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "internet.user_agent",
        aliases: &["user_agent", "ua"],
        doc: "a browser User-Agent header by browser share: Chrome (Windows, macOS, Android), Safari (iPhone, macOS), Edge, Firefox",
        params: &[],
        arrow: "Utf8",
        data: false,
    },
    KindDoc {
        name: "company.industry",
        aliases: &["industry", "sector"],
        doc: "an industry: one of the 20 NAICS 2022 sectors (English)",
        params: &[],
        arrow: "Dictionary(Int32, Utf8)",
        data: false,
    },
    KindDoc {
        name: "company.catch_phrase",
        aliases: &["catch_phrase", "slogan", "tagline"],
        doc: "a company catch phrase of the locale's language",
        params: &[],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "commerce.product",
        aliases: &["product", "product_name"],
        doc: "a product name of the locale's language (adjective, material, product)",
        params: &[],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "commerce.category",
        aliases: &["category", "product_category", "department"],
        doc: "a shop department of the locale's language",
        params: &[],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "commerce.colour",
        aliases: &["colour", "color"],
        doc: "a colour name of the locale's language",
        params: &[],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "commerce.sku",
        aliases: &["sku"],
        doc: "a stock-keeping unit: three capital letters, a dash, six digits",
        params: &[],
        arrow: "Utf8",
        data: false,
    },
    KindDoc {
        name: "commerce.price",
        aliases: &["price", "unit_price"],
        doc: "a shop price: log-uniform in [min, max], mostly ending in .99, .95, .49 or .00",
        params: &[MIN, MAX],
        arrow: "Float64",
        data: false,
    },
    KindDoc {
        name: "finance.amount",
        aliases: &["amount", "total", "balance"],
        doc: "a money amount: log-uniform in [min, max], in cents",
        params: &[MIN, MAX],
        arrow: "Float64",
        data: false,
    },
    KindDoc {
        name: "finance.currency_code",
        aliases: &["currency", "currency_code"],
        doc: "an ISO 4217 currency code: the locale country's, or any of 15 major ones by FX turnover (BIS 2022)",
        params: &[ParamDoc { name: "scope", doc: "locale (default: the country's currency) or any" }],
        arrow: "Dictionary(Int32, Utf8)",
        data: false,
    },
    KindDoc {
        name: "finance.account_number",
        aliases: &["account_number", "bank_account"],
        doc: "a bank account number of digits",
        params: &[ParamDoc { name: "length", doc: "digits, 4–34 (default 10)" }],
        arrow: "Utf8",
        data: false,
    },
    KindDoc {
        name: "finance.transaction_type",
        aliases: &["transaction_type", "txn_type"],
        doc: "a transaction type: purchase, payment, transfer, withdrawal, deposit, refund or fee (purchases most)",
        params: &[],
        arrow: "Dictionary(Int32, Utf8)",
        data: false,
    },
    KindDoc {
        name: "finance.merchant",
        aliases: &["merchant", "merchant_name"],
        doc: "a merchant: a company name of the locale",
        params: &[],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "finance.merchant_category",
        aliases: &["mcc", "merchant_category"],
        doc: "an ISO 18245 merchant category code (MCC), 4 digits, of 20 common ones (grocery 5411 most)",
        params: &[],
        arrow: "Dictionary(Int32, Utf8)",
        data: false,
    },
    KindDoc {
        name: "text.paragraph",
        aliases: &["paragraph", "description", "comment"],
        doc: "a paragraph of 3–6 sentences of the locale's language",
        params: &[],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "text.lorem",
        aliases: &["lorem", "lorem_ipsum"],
        doc: "a lorem ipsum sentence of 6–12 Latin words",
        params: &[],
        arrow: "Utf8",
        data: false,
    },
    KindDoc {
        name: "vehicle.make",
        aliases: &["make", "manufacturer", "car_make"],
        doc: "a vehicle make of the US market, model years 1992–2020 (vehicle)",
        params: &[],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "vehicle.model",
        aliases: &["model", "car_model"],
        doc: "a model of the record's vehicle make, weighted by its model years (vehicle)",
        params: &[],
        arrow: "Utf8",
        data: true,
    },
    KindDoc {
        name: "telemetry.os",
        aliases: &["os", "operating_system", "platform"],
        doc: "an operating system and version, weighted by device share",
        params: &[],
        arrow: "Dictionary(Int32, Utf8)",
        data: false,
    },
];

/// The locale examples are made in: de_DE, or the first with data for the kind.
pub fn example_locale(kind: &KindDoc) -> &'static str {
    let have = kind.locales();
    if have.contains(&"de_DE") { "de_DE" } else { have.first().copied().unwrap_or(DEFAULT_LOCALE) }
}

/// An example value of `kind`: row 0 of a one-field generator (seed 1, in
/// [`example_locale`]), so examples are real output, never hand-written.
pub fn example(kind: &KindDoc) -> String {
    use arrow_array::Array as _;
    use arrow_array::cast::AsArray;
    let yaml = format!(
        "name: example\nseed: 1\nlocale: {}\ndestination: {{ type: BLACKHOLE }}\nfields: [{{ name: v, type: CATALOG, params: {{ kind: {} }} }}]\n",
        example_locale(kind),
        kind.name
    );
    let Ok((_, plan)) = crate::compile_yaml(&yaml) else { return String::new() };
    let Ok(batch) = plan.generate(0, 1) else { return String::new() };
    let c = batch.column(0);
    match c.data_type() {
        DataType::Utf8 => c.as_string::<i32>().value(0).to_string(),
        DataType::Int64 => c.as_primitive::<arrow_array::types::Int64Type>().value(0).to_string(),
        DataType::Float64 => c.as_primitive::<arrow_array::types::Float64Type>().value(0).to_string(),
        DataType::Date32 => {
            let days = c.as_primitive::<arrow_array::types::Date32Type>().value(0);
            chrono::DateTime::from_timestamp(days as i64 * 86_400, 0)
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        }
        DataType::Dictionary(_, _) => {
            let d = c.as_dictionary::<Int32Type>();
            d.values().as_string::<i32>().value(d.keys().value(0) as usize).to_string()
        }
        _ => String::new(),
    }
}

/// Every kind as JSON: `sdg catalog --json` and `GET /api/v1/catalog`.
pub fn as_json() -> serde_json::Value {
    serde_json::Value::Array(
        KINDS
            .iter()
            .map(|k| {
                serde_json::json!({
                    "kind": k.name,
                    "aliases": k.aliases,
                    "description": k.doc,
                    "params": k.params.iter().map(|p| serde_json::json!({ "name": p.name, "description": p.doc })).collect::<Vec<_>>(),
                    "arrow_type": k.arrow,
                    "example": example(k),
                    "locales": k.locales(),
                    "by_code": !k.data,
                })
            })
            .collect(),
    )
}

/// The kind named `name` (dotted name or alias).
pub fn kind(name: &str) -> Option<&'static KindDoc> {
    KINDS.iter().find(|k| k.name == name || k.aliases.contains(&name))
}

/// CATALOG params: the kind and the parameters its kind reads.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CatalogParams {
    /// The kind of value: a dotted name (`finance.iban`) or an alias (`iban`); `sdg catalog` lists them.
    pub kind: String,
    /// Which entity of the record the field belongs to (fields of one entity share one draw); default: one per kind family.
    pub entity: Option<String>,
    /// The locale of this field (default: the generator's `locale`, else en_US).
    pub locale: Option<String>,
    /// A locale to use where the requested one has no data for the kind (never silent otherwise).
    pub fallback: Option<String>,
    /// finance.credit_card, finance.cvv: the brand.
    pub brand: Option<String>,
    /// internet.ipv4/ipv6/port: the range.
    pub range: Option<String>,
    /// finance.iban, finance.bic: the ISO country code.
    pub country: Option<String>,
    /// phone.number: national (default) or e164.
    pub format: Option<String>,
    /// id.hex_token: the number of characters (1–256); finance.account_number: digits (4–34).
    #[schemars(range(min = 1, max = 256))]
    pub length: Option<u32>,
    /// internet.email: free (default), company or safe.
    pub domains: Option<String>,
    /// internet.domain, internet.url: only reserved example domains.
    pub safe: Option<bool>,
    /// person.birth_date: the youngest age.
    #[schemars(range(min = 0, max = 120))]
    pub min_age: Option<u32>,
    /// person.birth_date: the oldest age.
    #[schemars(range(min = 0, max = 120))]
    pub max_age: Option<u32>,
    /// address.latitude/longitude: [latitude, longitude] of a point to scatter around.
    #[schemars(length(min = 2, max = 2))]
    pub near: Option<Vec<f64>>,
    /// address.latitude/longitude with `near`: the radius in km.
    pub radius_km: Option<f64>,
    /// commerce.price, finance.amount: the smallest value.
    pub min: Option<f64>,
    /// commerce.price, finance.amount: the largest value.
    pub max: Option<f64>,
    /// finance.currency_code: locale (default) or any.
    pub scope: Option<String>,
}

pub(crate) const KEYS: &[&str] = &[
    "kind",
    "entity",
    "locale",
    "fallback",
    "brand",
    "range",
    "country",
    "length",
    "format",
    "domains",
    "safe",
    "min_age",
    "max_age",
    "near",
    "radius_km",
    "min",
    "max",
    "scope",
];

/// What a compiled catalog column makes.
#[derive(Debug)]
enum Make {
    Uuid,
    Ulid,
    Hex(usize),
    Ipv4(algo::IpRange),
    Ipv6(algo::IpRange),
    Mac,
    Port(u64, u64),
    Card(algo::Brand),
    Expiry,
    Cvv(algo::Brand),
    Iban([u8; 2], &'static [(usize, u8)]),
    Bic([u8; 2]),
    Isbn,
    Ean,
    Vin,
    Semver,
    DeviceId,
    /// One of `values`, by an alias table over weights (a dictionary column).
    Weighted(ArrayRef, crate::mapping::alias::AliasTable),
    /// One of `values` as integers, by weights.
    WeightedInt(Vec<i64>, crate::mapping::alias::AliasTable),
    Phone(picks::Phones),
    Pick(picks::TablePick),
    Sentence(picks::TablePick, bool),
    Paragraph(picks::TablePick, bool),
    UserAgent,
    Sku,
    Account(usize),
    Domain(Arc<Vec<String>>),
    Url(Arc<Vec<String>>),
    /// A price or an amount in [min, max] (Float64).
    Price(f64, f64),
    Amount(f64, f64),
}

/// The reserved example domains (RFC 2606).
pub(crate) const SAFE_DOMAINS: &[&str] = &["example.com", "example.org", "example.net"];

/// Paths of `internet.url`.
const URL_PATHS: &[&str] = &[
    "", "about", "account", "blog", "cart", "category", "contact", "help", "login", "news", "products", "search",
    "shop", "support",
];

/// The NAICS 2022 sectors.
const INDUSTRIES: &[&str] = &[
    "Agriculture, Forestry, Fishing and Hunting",
    "Mining, Quarrying, and Oil and Gas Extraction",
    "Utilities",
    "Construction",
    "Manufacturing",
    "Wholesale Trade",
    "Retail Trade",
    "Transportation and Warehousing",
    "Information",
    "Finance and Insurance",
    "Real Estate and Rental and Leasing",
    "Professional, Scientific, and Technical Services",
    "Management of Companies and Enterprises",
    "Administrative and Support and Waste Management and Remediation Services",
    "Educational Services",
    "Health Care and Social Assistance",
    "Arts, Entertainment, and Recreation",
    "Accommodation and Food Services",
    "Other Services (except Public Administration)",
    "Public Administration",
];

/// 15 major currencies and their shares of FX turnover (BIS Triennial Survey 2022, % of 200).
const CURRENCIES: &[(&str, f64)] = &[
    ("USD", 88.5),
    ("EUR", 30.5),
    ("JPY", 16.7),
    ("GBP", 12.9),
    ("CNY", 7.0),
    ("AUD", 6.4),
    ("CAD", 6.2),
    ("CHF", 5.2),
    ("HKD", 2.6),
    ("SGD", 2.4),
    ("SEK", 2.2),
    ("INR", 1.6),
    ("BRL", 0.9),
    ("PLN", 0.7),
    ("AED", 0.4),
];

/// Common merchant category codes (ISO 18245), roughly by card transaction count.
const MCCS: &[(&str, f64)] = &[
    ("5411", 20.0), // grocery stores, supermarkets
    ("5812", 10.0), // eating places, restaurants
    ("5814", 9.0),  // fast food restaurants
    ("5541", 7.0),  // service stations
    ("5912", 5.0),  // drug stores, pharmacies
    ("5311", 4.0),  // department stores
    ("5999", 5.0),  // miscellaneous and specialty retail
    ("4121", 3.0),  // taxicabs, limousines
    ("4111", 3.0),  // commuter transport
    ("5732", 2.0),  // electronics stores
    ("5651", 2.0),  // family clothing stores
    ("7011", 2.0),  // hotels, motels, resorts
    ("4511", 1.5),  // airlines
    ("5942", 1.0),  // book stores
    ("4814", 2.0),  // telecommunication services
    ("4900", 2.0),  // utilities
    ("5200", 1.5),  // home supply warehouse stores
    ("7832", 1.0),  // motion picture theatres
    ("5691", 1.5),  // men's and women's clothing stores
    ("8011", 1.0),  // doctors
];

/// Operating systems with versions, by rough device share.
const OSES: &[(&str, f64)] = &[
    ("Android 15", 14.0),
    ("Android 14", 12.0),
    ("Android 13", 7.0),
    ("iOS 18", 14.0),
    ("iOS 17", 5.0),
    ("Windows 11", 14.0),
    ("Windows 10", 16.0),
    ("macOS 15", 5.0),
    ("macOS 14", 3.0),
    ("Ubuntu 24.04", 1.5),
    ("Ubuntu 22.04", 1.0),
    ("ChromeOS", 1.5),
    ("Debian 12", 0.5),
];

fn weighted_pairs(pairs: &[(&str, f64)]) -> Make {
    let (values, weights): (Vec<&str>, Vec<f64>) = pairs.iter().copied().unzip();
    weighted_text(&values, &weights)
}

/// A compiled CATALOG field.
#[derive(Debug)]
pub(crate) struct CatalogMapper {
    key: StreamKey,
    make: Make,
}

fn weighted_text(values: &[&str], weights: &[f64]) -> Make {
    Make::Weighted(Arc::new(StringArray::from(values.to_vec())), crate::mapping::alias::AliasTable::new(weights))
}

/// Compiles a CATALOG field (`locale`: the generator's).
pub(crate) fn compile(
    p: &crate::mapping::params::Params<'_>,
    locale: &str,
    issues: &mut Issues,
) -> Option<(Field, CatalogMapper)> {
    let params: CatalogParams = p.parse(KEYS, issues)?;
    let Some(k) = kind(&params.kind) else {
        let mut names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
        names.extend(KINDS.iter().flat_map(|k| k.aliases.iter().copied()));
        let issue = Issue::new(p.at("kind"), format!("unknown kind `{}`", params.kind));
        issues.push(match crate::issue::closest(&params.kind, &names) {
            Some(c) => issue.hint(format!("did you mean `{c}`? (`sdg catalog` lists every kind)")),
            None => issue.hint("`sdg catalog` lists every kind, e.g. internet.email, finance.iban, address.city"),
        });
        return None;
    };
    let before = issues.len();
    let locale = params.locale.as_deref().unwrap_or(locale);
    if !LOCALES.contains(&locale) {
        let issue = Issue::new(p.at("locale"), format!("unknown locale `{locale}`"));
        issues.push(match crate::issue::closest(locale, LOCALES) {
            Some(c) => issue.hint(format!("did you mean `{c}`?")),
            None => issue.hint(format!("known locales: {}", LOCALES.join(", "))),
        });
    }
    if let Some(f) = &params.fallback
        && !LOCALES.contains(&f.as_str())
    {
        p.problem(issues, "fallback", format!("unknown locale `{f}`"), Some("e.g. fallback: en_US"));
    }
    if let Some(e) = &params.entity
        && !k.data
    {
        p.problem(
            issues,
            "entity",
            format!("kind {} is made by code, not drawn with an entity (`{e}`)", k.name),
            Some("`entity` groups the fields of one person or address; remove it here"),
        );
    }
    // Parameters that this kind does not read.
    let reads: Vec<&str> = k.params.iter().map(|d| d.name).collect();
    for (key, set) in [
        ("brand", params.brand.is_some()),
        ("range", params.range.is_some()),
        ("country", params.country.is_some()),
        ("length", params.length.is_some()),
        ("format", params.format.is_some()),
        ("domains", params.domains.is_some()),
        ("safe", params.safe.is_some()),
        ("min_age", params.min_age.is_some()),
        ("max_age", params.max_age.is_some()),
        ("near", params.near.is_some()),
        ("radius_km", params.radius_km.is_some()),
        ("min", params.min.is_some()),
        ("max", params.max.is_some()),
        ("scope", params.scope.is_some()),
    ] {
        if set && !reads.contains(&key) {
            p.problem(
                issues,
                key,
                format!("`{key}` does not apply to kind {}", k.name),
                Some(&if reads.is_empty() {
                    format!("{} takes no parameters", k.name)
                } else {
                    format!("{} takes: {}", k.name, reads.join(", "))
                }),
            );
        }
    }
    check_entity_params(p, k.name, &params, issues);
    // Kinds of an entity are compiled with it (see `entity_key`).
    if k.data && entity::family(k.name).is_some() {
        return None;
    }
    // Table kinds: this locale's data, or the fallback's (never silently).
    let safe = params.safe == Some(true);
    let locale = if k.data && !safe && !entity::has_data(locale, k.name) {
        match params.fallback.as_deref().filter(|f| entity::has_data(f, k.name)) {
            Some(f) => f,
            None => {
                issues.push(entity::no_data(p.at("locale"), k.name, locale));
                return None;
            }
        }
    } else {
        locale
    };
    let loaded = |r: Option<Result<Make, String>>, issues: &mut Issues| match r {
        Some(Ok(m)) => Some(m),
        Some(Err(e)) => {
            p.problem(issues, "kind", e, None);
            None
        }
        None => {
            issues.push(entity::no_data(p.at("locale"), k.name, locale));
            None
        }
    };
    let brand = match params.brand.as_deref() {
        None => algo::Brand::Any,
        Some(b) => algo::Brand::parse(b).unwrap_or_else(|| {
            p.problem(
                issues,
                "brand",
                format!("unknown brand `{b}`"),
                Some(&format!("use one of {}", algo::Brand::NAMES.join(", "))),
            );
            algo::Brand::Any
        }),
    };
    let ip_range = || match params.range.as_deref() {
        None => Some(algo::IpRange::Public),
        Some(r) => algo::IpRange::parse(r),
    };
    let country = params.country.clone().or_else(|| locale_country(locale).map(str::to_string)).unwrap_or_default();
    let country2 = |issues: &mut Issues| -> Option<[u8; 2]> {
        let b = country.as_bytes();
        if b.len() == 2 && b.iter().all(u8::is_ascii_uppercase) {
            Some([b[0], b[1]])
        } else {
            p.problem(
                issues,
                "country",
                format!("`{country}` is not an ISO country code"),
                Some("two capital letters, e.g. DE"),
            );
            None
        }
    };
    let make = match k.name {
        "id.uuid" => Make::Uuid,
        "id.ulid" => Make::Ulid,
        "id.hex_token" => match params.length.unwrap_or(32) {
            n @ 1..=256 => Make::Hex(n as usize),
            n => {
                p.problem(issues, "length", format!("length {n} is outside 1–256"), None);
                Make::Hex(32)
            }
        },
        "internet.ipv4" | "internet.ipv6" => match ip_range() {
            Some(r) if k.name == "internet.ipv4" => Make::Ipv4(r),
            Some(r) => Make::Ipv6(r),
            None => {
                let hint = format!("use one of {}", algo::IpRange::NAMES.join(", "));
                p.problem(
                    issues,
                    "range",
                    format!("unknown range `{}`", params.range.as_deref().unwrap_or_default()),
                    Some(&hint),
                );
                Make::Ipv4(algo::IpRange::Any)
            }
        },
        "internet.mac" => Make::Mac,
        "internet.port" => match params.range.as_deref().unwrap_or("registered") {
            "registered" => Make::Port(1024, 49151),
            "dynamic" => Make::Port(49152, 65535),
            "well_known" => Make::Port(1, 1023),
            "any" => Make::Port(1, 65535),
            other => {
                p.problem(
                    issues,
                    "range",
                    format!("unknown port range `{other}`"),
                    Some("use registered, dynamic, well_known or any"),
                );
                Make::Port(1, 65535)
            }
        },
        "internet.http_method" => weighted_text(
            &["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"],
            &[62.0, 20.0, 6.0, 4.0, 4.0, 3.0, 1.0],
        ),
        "internet.http_status" => Make::WeightedInt(
            vec![200, 201, 204, 301, 302, 304, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503],
            crate::mapping::alias::AliasTable::new(&[
                70.0, 4.0, 3.0, 1.0, 2.0, 4.0, 3.0, 2.0, 1.0, 5.0, 0.5, 1.0, 0.5, 1.5, 0.5, 1.0,
            ]),
        ),
        "finance.credit_card" => Make::Card(brand),
        "finance.credit_card_expiry" => Make::Expiry,
        "finance.cvv" => Make::Cvv(brand),
        "finance.iban" => match country2(issues) {
            Some(c) => match algo::iban_layout(&country) {
                Some(layout) => Make::Iban(c, layout),
                None => {
                    let with: Vec<&str> = algo::IBAN_COUNTRIES.iter().map(|(c, _, _)| *c).collect();
                    p.problem(
                        issues,
                        if params.country.is_some() { "country" } else { "kind" },
                        format!("{country} has no IBANs in sdg's registry (locale {locale})"),
                        Some(&format!("give params.country, one of {}", with.join(", "))),
                    );
                    Make::Uuid
                }
            },
            None => Make::Uuid,
        },
        "finance.bic" => match country2(issues) {
            Some(c) => Make::Bic(c),
            None => Make::Uuid,
        },
        "codes.isbn13" => Make::Isbn,
        "codes.ean13" => Make::Ean,
        "vehicle.vin" => Make::Vin,
        "telemetry.semver" => Make::Semver,
        "telemetry.log_level" => {
            weighted_text(&["DEBUG", "INFO", "WARN", "ERROR", "FATAL"], &[20.0, 60.0, 12.0, 7.0, 1.0])
        }
        "telemetry.device_id" => Make::DeviceId,
        "phone.number" => {
            let e164 = match params.format.as_deref() {
                None | Some("national") => false,
                Some("e164") => true,
                Some(other) => {
                    p.problem(
                        issues,
                        "format",
                        format!("unknown phone format `{other}`"),
                        Some("use national or e164"),
                    );
                    false
                }
            };
            loaded(picks::Phones::load(locale, e164).map(|r| r.map(Make::Phone)), issues)?
        }
        "company.name" => {
            loaded(picks::TablePick::load(locale, "companies.tsv", "name").map(|r| r.map(Make::Pick)), issues)?
        }
        "person.job_title" => {
            loaded(picks::TablePick::load(locale, "jobs.tsv", "title").map(|r| r.map(Make::Pick)), issues)?
        }
        "text.word" => loaded(picks::TablePick::load(locale, "words.tsv", "word").map(|r| r.map(Make::Pick)), issues)?,
        "text.sentence" => {
            let cjk = locale.starts_with("ja_") || locale.starts_with("zh_");
            loaded(
                picks::TablePick::load(locale, "words.tsv", "word").map(|r| r.map(|t| Make::Sentence(t, cjk))),
                issues,
            )?
        }
        "text.paragraph" => {
            let cjk = locale.starts_with("ja_") || locale.starts_with("zh_");
            loaded(
                picks::TablePick::load(locale, "words.tsv", "word").map(|r| r.map(|t| Make::Paragraph(t, cjk))),
                issues,
            )?
        }
        "text.lorem" => loaded(
            picks::TablePick::load("all", "lorem.tsv", "word").map(|r| r.map(|t| Make::Sentence(t, false))),
            issues,
        )?,
        "company.catch_phrase" => {
            loaded(picks::TablePick::load(locale, "catch_phrases.tsv", "phrase").map(|r| r.map(Make::Pick)), issues)?
        }
        "commerce.product" => {
            loaded(picks::TablePick::load(locale, "products.tsv", "name").map(|r| r.map(Make::Pick)), issues)?
        }
        "commerce.category" => {
            loaded(picks::TablePick::load(locale, "product_categories.tsv", "name").map(|r| r.map(Make::Pick)), issues)?
        }
        "commerce.colour" => {
            loaded(picks::TablePick::load(locale, "colours.tsv", "name").map(|r| r.map(Make::Pick)), issues)?
        }
        "finance.merchant" => {
            loaded(picks::TablePick::load(locale, "companies.tsv", "name").map(|r| r.map(Make::Pick)), issues)?
        }
        "internet.domain" | "internet.url" => {
            let domains = if safe {
                Arc::new(SAFE_DOMAINS.iter().map(|d| d.to_string()).collect())
            } else {
                match picks::company_domains(locale).filter(|d| !d.is_empty()) {
                    Some(d) => d,
                    None => {
                        issues.push(entity::no_data(p.at("locale"), k.name, locale));
                        return None;
                    }
                }
            };
            if k.name == "internet.domain" { Make::Domain(domains) } else { Make::Url(domains) }
        }
        "internet.user_agent" => Make::UserAgent,
        "company.industry" => weighted_text(INDUSTRIES, &vec![1.0; INDUSTRIES.len()]),
        "commerce.sku" => Make::Sku,
        "commerce.price" | "finance.amount" => {
            let (min, max) = (params.min.unwrap_or(1.0), params.max.unwrap_or(1000.0));
            if !(min.is_finite() && max.is_finite() && (0.0..=1e12).contains(&min) && (0.0..=1e12).contains(&max)) {
                p.problem(
                    issues,
                    if (0.0..=1e12).contains(&min) { "max" } else { "min" },
                    format!("min {min} and max {max} must be within 0–1e12"),
                    None,
                );
            } else if min > max {
                p.problem(issues, "max", format!("max {max} is below min {min}"), Some("swap them"));
            } else if (min * 100.0).ceil() > (max * 100.0).floor() {
                p.problem(
                    issues,
                    "max",
                    format!("no amount in cents lies between min {min} and max {max}"),
                    Some("widen the range to hold at least one cent"),
                );
            }
            if k.name == "commerce.price" { Make::Price(min, max) } else { Make::Amount(min, max) }
        }
        "finance.currency_code" => match params.scope.as_deref().unwrap_or("locale") {
            "any" => weighted_pairs(CURRENCIES),
            "locale" => match entity::meta(locale, "currency") {
                Some(c) => weighted_text(&[c.as_str()], &[1.0]),
                None => {
                    issues.push(entity::no_data(p.at("locale"), k.name, locale));
                    return None;
                }
            },
            other => {
                p.problem(issues, "scope", format!("unknown scope `{other}`"), Some("use locale or any"));
                return None;
            }
        },
        "finance.account_number" => match params.length.unwrap_or(10) {
            n @ 4..=34 => Make::Account(n as usize),
            n => {
                p.problem(issues, "length", format!("length {n} is outside 4–34"), None);
                return None;
            }
        },
        "finance.transaction_type" => weighted_pairs(&[
            ("purchase", 55.0),
            ("payment", 12.0),
            ("transfer", 10.0),
            ("withdrawal", 8.0),
            ("deposit", 7.0),
            ("refund", 5.0),
            ("fee", 3.0),
        ]),
        "finance.merchant_category" => weighted_pairs(MCCS),
        "telemetry.os" => weighted_pairs(OSES),
        other => {
            p.problem(issues, "kind", format!("kind {other} has no builder (an sdg bug)"), None);
            return None;
        }
    };
    if issues.len() > before {
        return None;
    }
    let data_type = match &make {
        Make::Port(..) | Make::WeightedInt(..) => DataType::Int64,
        Make::Price(..) | Make::Amount(..) => DataType::Float64,
        Make::Weighted(..) => DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
        _ => DataType::Utf8,
    };
    Some((Field::new(&p.spec.name, data_type, true), CatalogMapper { key: p.key, make }))
}

/// The checks of the parameters entity kinds read (their values are used
/// when the entity is built).
fn check_entity_params(p: &crate::mapping::params::Params<'_>, k: &str, params: &CatalogParams, issues: &mut Issues) {
    for (key, age) in [("min_age", params.min_age), ("max_age", params.max_age)] {
        if let Some(a) = age
            && a > 120
        {
            p.problem(issues, key, format!("{key} {a} is outside 0–120"), None);
        }
    }
    let (lo, hi) = (params.min_age.unwrap_or(18), params.max_age.unwrap_or(90));
    if (params.min_age.is_some() || params.max_age.is_some()) && lo > hi && lo <= 120 && hi <= 120 {
        let key = if params.max_age.is_some() { "max_age" } else { "min_age" };
        p.problem(
            issues,
            key,
            format!("max_age {hi} is below min_age {lo}"),
            Some("give both; the defaults are 18 and 90"),
        );
    }
    if k == "address.phone"
        && let Some(f) = params.format.as_deref()
        && !matches!(f, "national" | "e164")
    {
        p.problem(issues, "format", format!("unknown phone format `{f}`"), Some("use national or e164"));
    }
    if let Some(d) = params.domains.as_deref()
        && !matches!(d, "free" | "company" | "safe")
    {
        p.problem(issues, "domains", format!("unknown domains `{d}`"), Some("use free, company or safe"));
    }
    if let Some(near) = &params.near {
        let fine = near.len() == 2 && (-90.0..=90.0).contains(&near[0]) && (-180.0..=180.0).contains(&near[1]);
        if !fine {
            p.problem(
                issues,
                "near",
                format!("near must be [latitude, longitude] within ±90, ±180, got {near:?}"),
                Some("e.g. near: [52.52, 13.405]"),
            );
        }
    }
    if let Some(r) = params.radius_km {
        if params.near.is_none() {
            p.problem(issues, "radius_km", "radius_km needs near", Some("add near: [latitude, longitude]"));
        } else if !(r.is_finite() && r > 0.0 && r <= 20_000.0) {
            p.problem(issues, "radius_km", format!("radius_km {r} is outside (0, 20000]"), None);
        }
    }
}

/// person.birth_date: the ages (checked: both within 0–120, min ≤ max).
pub(crate) fn age_range(p: &CatalogParams) -> (u32, u32) {
    let (lo, hi) = (p.min_age.unwrap_or(18).min(120), p.max_age.unwrap_or(90).min(120));
    (lo.min(hi), lo.max(hi))
}

/// The entity a CATALOG field drawn from data belongs to: (kind, entity
/// name, locale, fallback). Fields with the same entity and locale are one
/// group: one person or one place per row.
pub(crate) fn entity_key(
    f: &crate::spec::FieldSpec,
    default_locale: &str,
) -> Option<(&'static str, String, String, Option<String>)> {
    let text = |k: &str| f.params.get(k).and_then(serde_json::Value::as_str).map(str::to_string);
    let k = kind(&text("kind")?)?;
    let fam = entity::family(k.name)?;
    let entity = text("entity").unwrap_or_else(|| match fam {
        entity::Family::Person => "person".into(),
        entity::Family::Address => "address".into(),
        entity::Family::Vehicle => "vehicle".into(),
    });
    // Vehicles are one table for every locale: one entity whatever the fields' locales.
    let locale = match fam {
        entity::Family::Vehicle => entity::SHARED.to_string(),
        _ => text("locale").unwrap_or_else(|| default_locale.to_string()),
    };
    Some((k.name, format!("{fam:?}:{entity}"), locale, text("fallback")))
}

/// Checks a data kind's params (every problem reported); true when fine.
pub(crate) fn check_member(p: &crate::mapping::params::Params<'_>, locale: &str, issues: &mut Issues) -> bool {
    let before = issues.len();
    let _ = compile(p, locale, issues);
    issues.len() == before
}

/// Compiles one entity: checks every member's params (each problem reported
/// once), resolves the locale (with a member's fallback), builds the group.
pub(crate) fn compile_entity(
    members: &[(usize, &'static str, Option<String>)],
    (entity, locale): &(String, String),
    ctx: &crate::mapping::CompileCtx,
    issues: &mut Issues,
) -> Option<crate::mapping::CompiledGroup> {
    let mut fine = true;
    for &(m, _, _) in members {
        let path = format!("fields[{m}]");
        let key = StreamKey::for_field(ctx.seed, &ctx.fields[m].name);
        let mp = crate::mapping::params::Params { spec: &ctx.fields[m], path: &path, key, ctx };
        fine &= check_member(&mp, ctx.locale, issues);
    }
    if !fine {
        return None;
    }
    let kinds: Vec<&str> = members.iter().map(|(_, k, _)| *k).collect();
    let fallback = members.iter().find_map(|(_, _, f)| f.clone());
    let locale = entity_locale(&kinds, locale, fallback.as_deref());
    let list: Vec<entity::Member> = members
        .iter()
        .map(|(m, k, _)| entity::Member {
            index: *m,
            name: ctx.fields[*m].name.clone(),
            kind: k,
            path: format!("fields[{m}]"),
            params: serde_json::from_value(serde_json::Value::Object(ctx.fields[*m].params.clone()))
                .unwrap_or_default(),
        })
        .collect();
    entity::compile(&list, &locale, ctx.seed, entity, issues)
        .map(|(fields, group)| crate::mapping::CompiledGroup { fields, group: Box::new(group) })
}

/// The locale an entity's data comes from: its own, or its fallback where
/// its own lacks a file a member needs (never silently).
pub(crate) fn entity_locale(kinds: &[&str], locale: &str, fallback: Option<&str>) -> String {
    let has_all = |l: &str| kinds.iter().all(|k| entity::locales_for(k).contains(&l));
    match fallback {
        Some(f) if !has_all(locale) && has_all(f) => f.to_string(),
        _ => locale.to_string(),
    }
}

/// 2026-01-01T00:00:00Z in ms, the time of row 0's ULID.
const ULID_START_MS: u64 = 1_767_225_600_000;

impl CatalogMapper {
    /// Writes row `row`'s text into `out`.
    #[inline]
    fn text(&self, row: u64, out: &mut Vec<u8>) {
        let mut r = RowRng::from_bits(self.key.at(row));
        match &self.make {
            Make::Uuid => algo::uuid(&mut r, out),
            Make::Ulid => algo::ulid(&mut r, ULID_START_MS + row, out),
            Make::Hex(n) => algo::hex_token(&mut r, *n, out),
            Make::Ipv4(range) => algo::ipv4(&mut r, *range, out),
            Make::Ipv6(range) => algo::ipv6(&mut r, *range, out),
            Make::Mac => algo::mac(&mut r, out),
            Make::Card(b) => algo::credit_card(&mut r, *b, out),
            Make::Expiry => algo::expiry(&mut r, out),
            Make::Cvv(b) => algo::cvv(&mut r, *b, out),
            Make::Iban(c, layout) => algo::iban(&mut r, c, layout, out),
            Make::Bic(c) => algo::bic(&mut r, c, out),
            Make::Isbn => algo::ean13(&mut r, true, out),
            Make::Ean => algo::ean13(&mut r, false, out),
            Make::Vin => algo::vin(&mut r, out),
            Make::Semver => algo::semver(&mut r, out),
            Make::DeviceId => algo::hex_token(&mut r, 16, out),
            Make::Phone(p) => p.write(&mut r, out),
            Make::Pick(t) => t.write(&mut r, out),
            Make::Sentence(t, cjk) => t.sentence(&mut r, *cjk, out),
            Make::Paragraph(t, cjk) => t.paragraph(&mut r, *cjk, out),
            Make::UserAgent => algo::user_agent(&mut r, out),
            Make::Sku => algo::sku(&mut r, out),
            Make::Account(n) => algo::account_number(&mut r, *n, out),
            Make::Domain(d) => out.extend_from_slice(picks::one_of(&mut r, d).as_bytes()),
            Make::Url(d) => {
                out.extend_from_slice(b"https://www.");
                out.extend_from_slice(picks::one_of(&mut r, d).as_bytes());
                out.push(b'/');
                let path = URL_PATHS[crate::rng::below(r.next_u64(), URL_PATHS.len() as u64) as usize];
                out.extend_from_slice(path.as_bytes());
                if !path.is_empty() && r.next_u64().is_multiple_of(3) {
                    out.push(b'/');
                    out.extend_from_slice(itoa::Buffer::new().format(1 + r.next_u64() % 9999).as_bytes());
                }
            }
            Make::Port(..) | Make::Weighted(..) | Make::WeightedInt(..) | Make::Price(..) | Make::Amount(..) => {}
        }
    }
}

impl ColumnMapper for CatalogMapper {
    fn fill(&self, ctx: &BatchCtx, nulls: Option<&NullBuffer>) -> Result<ArrayRef, GenError> {
        let rows = ctx.rows;
        match &self.make {
            Make::Port(lo, hi) => {
                let values: ScalarBuffer<i64> =
                    rows.collect(|r| (*lo + crate::rng::below(self.key.at(r), hi - lo + 1)) as i64);
                return Ok(Arc::new(Int64Array::new(values, nulls.cloned())));
            }
            Make::Price(lo, hi) | Make::Amount(lo, hi) => {
                let price = matches!(self.make, Make::Price(..));
                let v: ScalarBuffer<f64> = rows.collect(|r| {
                    let bits = self.key.at(r);
                    if price { algo::price(bits, *lo, *hi) } else { algo::amount(bits, *lo, *hi) }
                });
                return Ok(Arc::new(arrow_array::Float64Array::new(v, nulls.cloned())));
            }
            Make::WeightedInt(values, table) => {
                let v: ScalarBuffer<i64> = rows.collect(|r| values[table.sample(self.key.at(r))]);
                return Ok(Arc::new(Int64Array::new(v, nulls.cloned())));
            }
            Make::Weighted(values, table) => {
                let keys: ScalarBuffer<i32> = rows.collect(|r| table.sample(self.key.at(r)) as i32);
                let keys = Int32Array::new(keys, nulls.cloned());
                return Ok(Arc::new(DictionaryArray::<Int32Type>::try_new(keys, Arc::clone(values))?));
            }
            _ => {}
        }
        Ok(text_column(rows.len(), nulls, |i, out| self.text(rows.get(i), out))?)
    }
}

/// A text column written row by row into one buffer (`f(i, buffer)` appends
/// row i's text; rows null in `nulls` are skipped): no allocation per row.
pub(crate) fn text_column(
    n: usize,
    nulls: Option<&NullBuffer>,
    mut f: impl FnMut(usize, &mut Vec<u8>),
) -> Result<ArrayRef, arrow_schema::ArrowError> {
    let mut bytes = Vec::with_capacity(n * 24);
    let mut offsets = Vec::with_capacity(n + 1);
    offsets.push(0i32);
    for i in 0..n {
        if !nulls.is_some_and(|m| m.is_null(i)) {
            f(i, &mut bytes);
        }
        offsets.push(bytes.len() as i32);
    }
    Ok(Arc::new(StringArray::try_new(OffsetBuffer::new(ScalarBuffer::from(offsets)), bytes.into(), nulls.cloned())?))
}
