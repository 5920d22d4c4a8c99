//! Field-name → type inference (seed 003's AI mode, offline and
//! deterministic): each column name is normalised and tokenised (snake,
//! camel, kebab, spaces), then matched — exact synonyms first, then suffix
//! and prefix rules (`_id`, `_at`, `is_*`, `_count` …), then long unambiguous
//! keys inside the name — with the domain hint breaking ties. Every proposal
//! says its confidence and why.

use serde::Serialize;
use serde_json::{Value, json};

/// One proposed field.
#[derive(Debug, Clone, Serialize)]
pub struct Proposal {
    /// The column name as given.
    pub name: String,
    /// The mapping type (`CATALOG`, `SEQUENCE`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// Its params.
    pub params: Value,
    /// 0–1: how sure the rule that matched is.
    pub confidence: f64,
    /// Which rule matched, in words.
    pub reason: String,
}

/// Lowercase tokens of a column name: `MailingPostalCode` → mailing, postal, code.
pub fn tokens(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let boundary = c.is_uppercase()
            && !cur.is_empty()
            && (chars[i - 1].is_lowercase()
                || chars[i - 1].is_ascii_digit()
                || chars.get(i + 1).is_some_and(|n| n.is_lowercase()));
        if boundary {
            out.push(std::mem::take(&mut cur));
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Exact names (tokens joined by `_`) → catalog kind.
const SYNONYMS: &[(&str, &[&str])] = &[
    (
        "internet.email",
        &["email", "email_address", "e_mail", "mail", "emailaddress", "contact_email", "user_email", "customer_email"],
    ),
    (
        "person.first_name",
        &["first_name", "firstname", "given_name", "fname", "forename", "first", "middle_name", "middlename"],
    ),
    ("person.last_name", &["last_name", "lastname", "surname", "family_name", "lname", "last"]),
    (
        "person.full_name",
        &[
            "name",
            "full_name",
            "fullname",
            "contact_name",
            "customer_name",
            "display_name",
            "person_name",
            "account_name",
            "holder_name",
            "cardholder_name",
        ],
    ),
    (
        "phone.number",
        &[
            "phone",
            "phone_number",
            "phonenumber",
            "telephone",
            "tel",
            "mobile",
            "msisdn",
            "cell",
            "cell_phone",
            "mobile_phone",
            "fax",
            "home_phone",
            "work_phone",
            "contact_phone",
        ],
    ),
    ("person.birth_date", &["dob", "birth_date", "birthdate", "date_of_birth", "birthday", "born_on"]),
    (
        "address.postcode",
        &["zip", "zip_code", "zipcode", "postal_code", "postalcode", "postcode", "post_code", "postal"],
    ),
    ("address.city", &["city", "town", "locality", "municipality", "location"]),
    (
        "address.region",
        &["state", "province", "region", "state_province", "county", "district", "state_code", "province_code"],
    ),
    ("address.country_code", &["country", "country_code", "countrycode", "country_iso", "nation"]),
    (
        "address.street",
        &[
            "street",
            "address",
            "address1",
            "address_1",
            "address_line1",
            "address_line_1",
            "addressline1",
            "street_address",
            "line1",
            "street_line",
            "address2",
            "address_2",
            "address_line2",
            "address_line_2",
            "line2",
        ],
    ),
    ("address.latitude", &["lat", "latitude"]),
    ("address.longitude", &["lon", "lng", "long", "longitude"]),
    ("address.time_zone", &["timezone", "time_zone", "tz", "tz_name"]),
    (
        "internet.ipv4",
        &[
            "ip",
            "ip_address",
            "ipaddress",
            "remote_addr",
            "client_ip",
            "source_ip",
            "src_ip",
            "dst_ip",
            "ipv4",
            "remote_ip",
            "host_ip",
        ],
    ),
    ("internet.ipv6", &["ipv6", "ip6"]),
    ("internet.mac", &["mac", "mac_address", "macaddress"]),
    ("internet.port", &["port", "src_port", "dst_port", "source_port", "destination_port"]),
    ("internet.http_method", &["http_method", "method", "request_method", "verb"]),
    ("internet.http_status", &["status_code", "http_status", "response_code", "http_code", "response_status"]),
    ("finance.iban", &["iban", "iban_number"]),
    ("finance.bic", &["bic", "swift", "swift_code", "bic_code"]),
    (
        "finance.credit_card",
        &["card_number", "credit_card", "credit_card_number", "cc_number", "pan", "card_no", "cardnumber"],
    ),
    ("finance.cvv", &["cvv", "cvc", "cvv2", "security_code"]),
    ("finance.credit_card_expiry", &["expiry", "card_expiry", "exp_date", "expiration_date", "expiry_date"]),
    ("codes.isbn13", &["isbn", "isbn13", "isbn_13"]),
    ("codes.ean13", &["ean", "ean13", "gtin", "barcode", "upc"]),
    ("vehicle.vin", &["vin", "vin_number", "chassis_number"]),
    ("person.username", &["username", "user_name", "login", "handle", "screen_name", "nickname", "user_login"]),
    (
        "company.name",
        &[
            "company",
            "company_name",
            "companyname",
            "employer",
            "organization",
            "organisation",
            "org_name",
            "business_name",
            "vendor_name",
            "supplier_name",
        ],
    ),
    (
        "person.job_title",
        &["job_title", "jobtitle", "occupation", "position", "job", "role_title", "contact_title", "designation"],
    ),
    ("person.gender", &["gender", "sex"]),
    (
        "text.sentence",
        &[
            "description",
            "comment",
            "comments",
            "notes",
            "note",
            "bio",
            "message",
            "summary",
            "remarks",
            "review",
            "feedback",
            "body",
        ],
    ),
    ("text.word", &["word", "keyword", "tag", "tags", "label"]),
    ("id.uuid", &["uuid", "guid", "rowguid"]),
    ("id.hex_token", &["token", "api_key", "secret", "session_token", "access_token", "hash", "checksum"]),
    ("telemetry.semver", &["version", "app_version", "sdk_version", "semver", "os_version"]),
    ("telemetry.log_level", &["log_level", "level", "severity", "loglevel"]),
    ("telemetry.device_id", &["device_id", "deviceid", "device"]),
];

/// Keys long and unambiguous enough to count inside a longer name (`billing_email`).
const INSIDE: &[(&str, &str)] = &[
    ("email", "internet.email"),
    ("phone", "phone.number"),
    ("mobile", "phone.number"),
    ("postal_code", "address.postcode"),
    ("postcode", "address.postcode"),
    ("zip_code", "address.postcode"),
    ("zip", "address.postcode"),
    ("city", "address.city"),
    ("street", "address.street"),
    ("address", "address.street"),
    ("country", "address.country_code"),
    ("first_name", "person.first_name"),
    ("last_name", "person.last_name"),
    ("birth", "person.birth_date"),
    ("iban", "finance.iban"),
    ("latitude", "address.latitude"),
    ("longitude", "address.longitude"),
    ("ip_address", "internet.ipv4"),
    ("company", "company.name"),
    ("state", "address.region"),
    ("province", "address.region"),
    ("description", "text.sentence"),
];

fn catalog(name: &str, kind: &str, confidence: f64, reason: String) -> Proposal {
    Proposal { name: name.to_string(), kind: "CATALOG".into(), params: json!({ "kind": kind }), confidence, reason }
}

fn typed(name: &str, kind: &str, params: Value, confidence: f64, reason: impl Into<String>) -> Proposal {
    Proposal { name: name.to_string(), kind: kind.into(), params, confidence, reason: reason.into() }
}

const TIME_WORDS: &[&str] = &["at", "on", "date", "time", "timestamp", "ts", "datetime"];
const TIME_NAMES: &[&str] = &[
    "created",
    "updated",
    "modified",
    "deleted",
    "timestamp",
    "last_update",
    "last_login",
    "last_seen",
    "date",
    "time",
    "datetime",
];
const MONEY: &[&str] = &[
    "amount",
    "price",
    "total",
    "cost",
    "balance",
    "revenue",
    "fee",
    "salary",
    "subtotal",
    "tax",
    "discount",
    "spend",
    "value",
    "unit_price",
    "payment",
    "charges",
    "charge",
    "freight",
    "spent",
];
const COUNTS: &[&str] = &[
    "count",
    "quantity",
    "qty",
    "num",
    "number",
    "items",
    "age",
    "score",
    "rank",
    "points",
    "visits",
    "clicks",
    "views",
    "tenure",
    "followers",
    "following",
    "repos",
    "milliseconds",
    "ms",
    "seconds",
    "bytes",
    "hours",
    "days",
    "month",
    "year",
    "employees",
    "duration",
    "size",
    "length",
    "width",
    "height",
    "weight",
];
const FLAG_FIRST: &[&str] = &["is", "has", "can", "should", "was", "accepts", "allow", "allows"];
const FLAG_LAST: &[&str] =
    &["flag", "enabled", "active", "verified", "deleted", "exempt", "admin", "paid", "delinquent", "livemode", "opted"];
const CATEGORIES: &[&str] = &[
    "type", "kind", "category", "channel", "source", "method", "mode", "priority", "industry", "platform", "brand",
    "contract", "check", "result", "outcome", "role", "group", "class",
];

/// Proposes a field for one column name (`domain`: a free-text hint like "retail loyalty").
pub fn infer_one(name: &str, domain: &str) -> Proposal {
    let t = tokens(name);
    let joined = t.join("_");
    let compact: String = t.concat();
    let domain = domain.to_lowercase();
    // Ties broken by the domain: a bare `name` or `title`.
    if joined == "name" && ["company", "b2b", "crm", "vendor", "supplier", "account"].iter().any(|d| domain.contains(d))
    {
        return catalog(name, "company.name", 0.7, format!("`name` in a {domain} domain is a company's"));
    }
    if joined == "title" {
        return if ["book", "media", "blog", "news", "article", "movie", "music", "publishing"]
            .iter()
            .any(|d| domain.contains(d))
        {
            catalog(name, "text.sentence", 0.6, format!("`title` in a {domain} domain is a text"))
        } else {
            catalog(
                name,
                "person.job_title",
                0.6,
                "`title` of a person: a job title (give --domain to decide otherwise)".into(),
            )
        };
    }
    for (kind, names) in SYNONYMS {
        if names.contains(&joined.as_str()) || names.contains(&compact.as_str()) {
            return catalog(name, kind, 0.95, format!("`{joined}` is a name of {kind}"));
        }
    }
    let last = t.last().map(String::as_str).unwrap_or("");
    let first = t.first().map(String::as_str).unwrap_or("");
    // Identifiers.
    if last == "id" || last == "key" && t.len() > 1 || joined == "pk" {
        if t.len() > 1 && ["uuid", "guid"].contains(&t[t.len() - 2].as_str()) {
            return catalog(name, "id.uuid", 0.9, "an `_uuid_id`".into());
        }
        return typed(
            name,
            "SEQUENCE",
            json!({ "start": 1 }),
            0.85,
            format!("`{joined}` ends in `{last}`: a sequence of ids"),
        );
    }
    if last == "uuid" || last == "guid" {
        return catalog(name, "id.uuid", 0.9, format!("`{joined}` ends in `{last}`"));
    }
    // Times.
    let has = |words: &[&str]| t.iter().any(|x| words.contains(&x.as_str()));
    if t.len() > 1 && TIME_WORDS.contains(&last)
        || TIME_NAMES.contains(&joined.as_str())
        || has(&["date", "time", "timestamp", "datetime"]) && !has(COUNTS)
    {
        return typed(
            name,
            "TIMESTAMP_GENERATED",
            json!({ "step": "1s", "jitter": "500ms" }),
            0.85,
            format!("`{joined}`: a time (`_{last}`)"),
        );
    }
    // Flags.
    if FLAG_FIRST.contains(&first) && t.len() > 1 || FLAG_LAST.contains(&last) {
        return typed(
            name,
            "ENUM_RANDOM",
            json!({ "values": [true, false], "weights": [3, 1] }),
            0.85,
            format!("`{joined}`: a yes/no flag"),
        );
    }
    // Enumerations.
    if last == "tier" || last == "plan" || last == "segment" {
        return typed(
            name,
            "ENUM_RANDOM",
            json!({ "values": ["bronze", "silver", "gold", "platinum"], "weights": [50, 30, 15, 5] }),
            0.75,
            format!("`{joined}`: a tier"),
        );
    }
    if last == "status" {
        return typed(
            name,
            "ENUM_RANDOM",
            json!({ "values": ["active", "pending", "inactive"], "weights": [70, 20, 10] }),
            0.75,
            format!("`{joined}`: a status"),
        );
    }
    if CATEGORIES.contains(&last) {
        return typed(
            name,
            "ENUM_RANDOM",
            json!({ "values": ["a", "b", "c"] }),
            0.6,
            format!("`{joined}`: a category (replace the values)"),
        );
    }
    if last == "currency" || joined == "currency_code" {
        return typed(
            name,
            "ENUM_RANDOM",
            json!({ "values": ["EUR", "USD", "GBP"], "weights": [5, 4, 1] }),
            0.75,
            "a currency code",
        );
    }
    // Numbers.
    if has(MONEY) || MONEY.contains(&joined.as_str()) {
        return typed(
            name,
            "NUMERIC_RANGE",
            json!({ "min": 1, "max": 1000, "distribution": "lognormal", "decimals": 2 }),
            0.8,
            format!("`{joined}`: an amount of money"),
        );
    }
    if has(COUNTS) || first == "total" && t.len() > 1 {
        return typed(name, "NUMERIC_RANGE", json!({ "min": 0, "max": 100 }), 0.75, format!("`{joined}`: a count"));
    }
    if ["rate", "ratio", "percent", "pct", "percentage", "probability"].contains(&last) {
        return typed(
            name,
            "NUMERIC_RANGE",
            json!({ "min": 0, "max": 1, "decimals": 3 }),
            0.7,
            format!("`{joined}`: a ratio"),
        );
    }
    // Long unambiguous keys inside the name.
    for (key, kind) in INSIDE {
        if joined.contains(key) || compact.contains(&key.replace('_', "")) {
            return catalog(name, kind, 0.7, format!("`{joined}` contains `{key}`"));
        }
    }
    if has(&["port"]) {
        return catalog(name, "internet.port", 0.7, format!("`{joined}` has the word `port`"));
    }
    if last == "name" && t.len() > 1 {
        return catalog(
            name,
            "person.full_name",
            0.6,
            format!("`{joined}`: a name (of a person; say so in --domain otherwise)"),
        );
    }
    if ["url", "link", "website", "homepage", "uri", "avatar", "image"].iter().any(|k| t.iter().any(|x| x == k)) {
        return catalog(name, "id.hex_token", 0.3, "a URL (no url kind yet: a token stands in)".into());
    }
    catalog(name, "text.word", 0.2, format!("no rule knows `{joined}`: a word stands in"))
}

/// The proposal as a generator definition (JSON), ready for `sdg run`.
pub fn definition(fields: &[Proposal], locale: &str) -> Value {
    json!({
        "name": "inferred",
        "locale": locale,
        "end_condition": { "type": "RECORD_COUNT", "value": 1000 },
        "destination": { "type": "FILE", "config": { "path": "out/inferred.csv" } },
        "fields": fields.iter().map(|p| json!({ "name": p.name, "type": p.kind, "params": p.params })).collect::<Vec<_>>(),
    })
}

/// The proposal as a YAML generator file, each field's confidence and reason beside it.
pub fn yaml(fields: &[Proposal], locale: &str, hash: &str) -> String {
    let q = |v: &Value| serde_json::to_string(v).unwrap_or_default();
    let mut out = format!(
        "# Proposed by `sdg infer` (offline rules: synonyms, suffixes, long keys); contract_hash: {hash}\n\
         name: inferred\nlocale: {locale}\nend_condition: {{ type: RECORD_COUNT, value: 1000 }}\n\
         destination: {{ type: FILE, config: {{ path: out/inferred.csv }} }}\nfields:\n"
    );
    for p in fields {
        out.push_str(&format!(
            "  - {{ name: {}, type: {}, params: {} }}   # {:.2}: {}\n",
            q(&Value::from(p.name.clone())),
            p.kind,
            q(&p.params),
            p.confidence,
            p.reason.replace('\n', " ")
        ));
    }
    out
}

/// Proposes fields for every name, with the stable hash of the proposed schema.
pub fn infer(names: &[String], domain: &str) -> (Vec<Proposal>, String) {
    let fields: Vec<Proposal> = names.iter().map(|n| infer_one(n, domain)).collect();
    let canonical: Vec<Value> = fields.iter().map(|p| json!([p.name, p.kind, p.params])).collect();
    let hash = xxhash_rust::xxh3::xxh3_128(serde_json::to_string(&canonical).unwrap_or_default().as_bytes());
    (fields, format!("xxh3:{hash:032x}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_tokenised_in_every_style() {
        assert_eq!(tokens("MailingPostalCode"), ["mailing", "postal", "code"]);
        assert_eq!(tokens("customer_id"), ["customer", "id"]);
        assert_eq!(tokens("CustomerID"), ["customer", "id"]);
        assert_eq!(tokens("last-login at"), ["last", "login", "at"]);
        assert_eq!(tokens("address_line1"), ["address", "line1"]);
    }
}
