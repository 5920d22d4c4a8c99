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
    // Glued lowercase compounds (`lastmodifieddate`, `admittime`, `issuetype`):
    // split off a known tail word when at least three letters come before it.
    let mut split = Vec::with_capacity(out.len());
    for tok in out {
        match GLUED_TAILS.iter().find(|t| tok.len() >= t.len() + 3 && tok.ends_with(*t) && tok.is_ascii()) {
            Some(tail) if !NOT_GLUED.contains(&tok.as_str()) => {
                split.push(tok[..tok.len() - tail.len()].to_string());
                split.push(tail.to_string());
            }
            _ => split.push(tok),
        }
    }
    split
}

/// Words found glued to the end of a lowercase name.
const GLUED_TAILS: &[&str] =
    &["date", "time", "type", "stage", "handle", "version", "timezone", "status", "code", "name", "number"];

/// Words that end in a tail word but are one word.
const NOT_GLUED: &[&str] = &[
    "runtime",
    "uptime",
    "downtime",
    "lifetime",
    "overtime",
    "anytime",
    "mealtime",
    "nickname",
    "surname",
    "username",
    "filename",
    "hostname",
    "pathname",
    "codename",
    "firstname",
    "lastname",
    "fullname",
    "zipcode",
    "postcode",
    "barcode",
    "geocode",
    "unicode",
    "opcode",
    "countrycode",
    "areacode",
    "prototype",
    "archetype",
    "genotype",
    "phenotype",
    "backstage",
    "update",
    "mandate",
    "candidate",
    "validate",
    "sedate",
    "accommodate",
];

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
    ("address.country", &["country", "country_name", "countryname", "nation", "country_region"]),
    ("address.country_code", &["country_code", "countrycode", "country_iso", "iso_country", "country_iso_code"]),
    ("address.building_number", &["building_number", "house_number", "street_number", "housenumber", "house_no"]),
    ("address.area_code", &["area_code", "areacode", "dialing_code"]),
    ("internet.url", &["url", "website", "homepage", "web_site", "link", "uri", "website_url", "landing_page"]),
    ("internet.domain", &["domain", "domain_name", "hostname", "host", "host_name", "fqdn", "email_domain"]),
    ("internet.user_agent", &["user_agent", "useragent", "ua", "http_user_agent", "browser_user_agent"]),
    ("commerce.product", &["product", "product_name", "productname", "item_name", "product_title", "item"]),
    ("commerce.category", &["product_category", "department", "product_type", "category_name"]),
    ("commerce.colour", &["color", "colour", "product_color"]),
    ("commerce.sku", &["sku", "product_code", "stock_code", "item_code", "article_number", "stockcode"]),
    ("commerce.price", &["price", "unit_price", "unitprice", "list_price", "listprice", "sale_price", "msrp"]),
    ("finance.amount", &["amount", "total_amount", "transaction_amount", "order_total", "grand_total", "balance"]),
    ("finance.currency_code", &["currency", "currency_code", "currencycode", "iso_currency_code", "currency_iso"]),
    ("finance.account_number", &["account_number", "account_no", "bank_account", "acct_number", "accountnumber"]),
    ("finance.transaction_type", &["transaction_type", "txn_type", "trans_type", "transactiontype"]),
    ("finance.merchant", &["merchant", "merchant_name", "payee", "payee_name"]),
    ("finance.merchant_category", &["mcc", "merchant_category", "merchant_category_code"]),
    ("company.industry", &["industry", "sector", "industry_name", "vertical"]),
    ("company.catch_phrase", &["catch_phrase", "slogan", "tagline", "motto"]),
    ("vehicle.make", &["make", "car_make", "vehicle_make", "manufacturer", "brand_name"]),
    ("vehicle.model", &["car_model", "vehicle_model", "model_name"]),
    ("telemetry.os", &["os", "operating_system", "platform", "os_name", "device_os"]),
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
    ("country_code", "address.country_code"),
    ("country", "address.country"),
    ("user_agent", "internet.user_agent"),
    ("useragent", "internet.user_agent"),
    ("currency", "finance.currency_code"),
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

const TIME_WORDS: &[&str] = &[
    "at",
    "on",
    "date",
    "time",
    "timestamp",
    "ts",
    "datetime",
    "modified",
    "changed",
    "registered",
    "expires",
    "expired",
    "viewed",
    "created",
    "updated",
];
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
    "amt",
    "gross",
    "fare",
    "surcharge",
    "income",
    "expenses",
    "ytd",
    "wage",
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
    "distance",
    "attempts",
    "speed",
    "estimate",
    "pop",
    "population",
    "years",
    "months",
    "weeks",
    "minutes",
    "mileage",
    "horsepower",
    "cylinders",
    "rating",
    "orders",
];
const FLAG_FIRST: &[&str] = &["is", "has", "can", "should", "was", "accepts", "allow", "allows"];
const FLAG_LAST: &[&str] =
    &["flag", "enabled", "active", "verified", "deleted", "exempt", "admin", "paid", "delinquent", "livemode", "opted"];
const CATEGORIES: &[&str] = &[
    "type",
    "kind",
    "category",
    "channel",
    "source",
    "method",
    "mode",
    "priority",
    "brand",
    "contract",
    "check",
    "result",
    "outcome",
    "role",
    "group",
    "class",
    "direction",
    "medium",
    "continent",
    "ethnicity",
    "insurance",
    "religion",
    "language",
    "protocol",
    "stage",
];

/// The rules of words that mean a kind wherever they stand in a name.
fn word_rules(
    name: &str,
    t: &[String],
    joined: &str,
    has: &dyn Fn(&[&str]) -> bool,
    pair: &dyn Fn(&str, &str) -> bool,
) -> Option<Proposal> {
    let last = t.last().map(String::as_str).unwrap_or("");
    let first = t.first().map(String::as_str).unwrap_or("");
    let word = |kind: &str, w: &str| Some(catalog(name, kind, 0.75, format!("`{joined}` has the word `{w}`")));
    // The last word names what an address part is (`ip_city` is a city).
    match last {
        "city" | "town" => return word("address.city", last),
        "state" | "region" | "province" if t.len() > 1 => return word("address.region", last),
        "country" if t.len() > 1 => return word("address.country", last),
        "thoroughfare" => return word("address.street", last),
        _ => {}
    }
    if t.len() > 2
        && t[..t.len() - 1].iter().any(|w| ["is", "has", "include", "includes", "allow"].contains(&w.as_str()))
    {
        return Some(typed(
            name,
            "ENUM_RANDOM",
            json!({ "values": [true, false], "weights": [3, 1] }),
            0.7,
            format!("`{joined}`: a yes/no flag"),
        ));
    }
    if has(&["color", "colour"]) {
        return word("commerce.colour", "colour");
    }
    if has(&["make"]) && !has(&["is", "has"]) && !FLAG_LAST.contains(&last) {
        return word("vehicle.make", "make");
    }
    if has(&["msrp"]) {
        return word("commerce.price", "msrp");
    }
    if has(&["industry", "sic", "naics"]) {
        return word("company.industry", "industry");
    }
    if ["publisher", "bank", "issuer", "manufacturer", "carrier", "employer"].contains(&last) {
        return word("company.name", last);
    }
    if ["author", "authors"].contains(&last) {
        return word("person.full_name", last);
    }
    if has(&["vehicle"]) && pair("identification", "number") {
        return word("vehicle.vin", "vehicle identification number");
    }
    if has(&["product", "item"]) && ["number", "code", "sku"].contains(&last) {
        return word("commerce.sku", "product number");
    }
    if has(&["product", "item"]) && ["name", "title"].contains(&last) {
        return word("commerce.product", "product name");
    }
    if has(&["product", "item"]) && ["category", "department"].contains(&last) {
        return word("commerce.category", "product category");
    }
    if has(&["timezone", "tz"]) || pair("time", "zone") {
        return word("address.time_zone", "time zone");
    }
    if has(&["ipv6"]) {
        return word("internet.ipv6", "ipv6");
    }
    if has(&["ip", "ipv4"]) {
        return word("internet.ipv4", "ip");
    }
    if has(&["useragent"]) || pair("user", "agent") || last == "agent" && has(&["http", "browser", "client", "request"])
    {
        return word("internet.user_agent", "agent");
    }
    if has(&["os"]) || pair("operating", "system") {
        return word("telemetry.os", "os");
    }
    if has(&["mac"]) {
        return word("internet.mac", "mac");
    }
    if pair("status", "code") || has(&["http", "response"]) && last == "status" {
        return word("internet.http_status", "status code");
    }
    if last == "verb" || has(&["http", "request"]) && last == "method" {
        return word("internet.http_method", last);
    }
    if has(&["hostname", "domain", "fqdn"]) || pair("dns", "name") || pair("host", "name") {
        return word("internet.domain", "domain");
    }
    if has(&["referrer", "referer"]) {
        return word("internet.url", "referrer");
    }
    if has(&["severity"]) || last == "level" && t.len() > 1 && has(&["log"]) {
        return word("telemetry.log_level", "severity");
    }
    if last == "version" && t.len() > 1 && !has(&["http"]) {
        return word("telemetry.semver", "version");
    }
    if ["lat", "latitude"].contains(&last) {
        return word("address.latitude", last);
    }
    if ["long", "lng", "lon", "longitude"].contains(&last) && t.len() > 1 {
        return word("address.longitude", last);
    }
    if has(&["country"]) && ["code", "iso", "id"].contains(&last) {
        return word("address.country_code", "country code");
    }
    if has(&["card", "cc"]) && ["num", "number", "no"].contains(&last) || pair("credit", "card") && last == "card" {
        return word("finance.credit_card", "card number");
    }
    if pair("account", "number") || pair("account", "no") {
        return word("finance.account_number", "account number");
    }
    if has(&["phone", "mobile", "msisdn"]) {
        return word("phone.number", "phone");
    }
    if has(&["occupation"]) || pair("job", "title") {
        return word("person.job_title", "occupation");
    }
    if ["handle", "username", "login"].contains(&last) && first != "is" {
        return word("person.username", last);
    }
    if ["hash", "sid", "token", "nonce"].contains(&last) {
        return word("id.hex_token", last);
    }
    if ["content", "body"].contains(&last) {
        return word("text.paragraph", last);
    }
    if t.len() > 1 && ["title", "subject"].contains(&last) && !has(&["job"]) {
        return word("text.sentence", last);
    }
    if t.len() > 1 && ["note", "notes", "comment", "comments", "message", "description", "remarks"].contains(&last) {
        return word("text.sentence", last);
    }
    None
}

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
    if (last == "id" || last == "key" && t.len() > 1 || joined == "pk") && !t.iter().any(|w| w == "country") {
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
    let has = |words: &[&str]| t.iter().any(|x| words.contains(&x.as_str()));
    let pair = |a: &str, b: &str| t.windows(2).any(|w| w[0] == a && w[1] == b);
    // Words that decide wherever they stand (`hs_timezone`, `sourceIPAddress`, `host.os.name`).
    if let Some(p) = word_rules(name, &t, &joined, &has, &pair) {
        return p;
    }
    // Times.
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
    // Numbers.
    if (has(MONEY) || MONEY.contains(&joined.as_str())) && !has(COUNTS) {
        return catalog(name, "finance.amount", 0.8, format!("`{joined}`: an amount of money"));
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
    // Unambiguous keys inside the name: long ones anywhere, short ones as whole words.
    for (key, kind) in INSIDE {
        let long = key.len() >= 7;
        let words = format!("_{joined}_").contains(&format!("_{key}_"));
        if words || long && (joined.contains(key) || compact.contains(&key.replace('_', ""))) {
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
    if let Some(w) = t.iter().find(|x| ["url", "link", "website", "homepage", "uri", "href"].contains(&x.as_str())) {
        return catalog(name, "internet.url", 0.7, format!("`{joined}` has the word `{w}`: a URL"));
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
