//! The domain templates of seed 000 (`configs/domains/*.yaml`, embedded):
//! each a universe of related tables with catalog fields, and the keywords
//! `/context/analyze` scores a description with. Offline and
//! deterministic; a language model could stand behind the same interface
//! ([`analyze`]) later and propose templates of its own.

use serde::Serialize;
use serde_json::{Value, json};
use std::sync::OnceLock;

/// One template: its universe and what it is for.
#[derive(Debug, Clone)]
pub struct Domain {
    pub name: &'static str,
    pub description: String,
    /// Words that point to it (singular, lowercase).
    pub keywords: &'static [&'static str],
    /// The universe file as JSON.
    pub universe: Value,
}

const TEMPLATES: &[(&str, &str, &[&str])] = &[
    (
        "healthcare",
        include_str!("../../../configs/domains/healthcare.yaml"),
        &[
            "patient",
            "clinic",
            "hospital",
            "doctor",
            "physician",
            "nurse",
            "appointment",
            "prescription",
            "medical",
            "health",
            "healthcare",
            "diagnosis",
            "pharmacy",
            "medication",
            "ehr",
            "emr",
            "provider",
        ],
    ),
    (
        "finance",
        include_str!("../../../configs/domains/finance.yaml"),
        &[
            "bank",
            "banking",
            "account",
            "transaction",
            "loan",
            "credit",
            "finance",
            "financial",
            "payment",
            "deposit",
            "fintech",
            "card",
            "balance",
            "fraud",
            "iban",
            "mortgage",
        ],
    ),
    (
        "retail",
        include_str!("../../../configs/domains/retail.yaml"),
        &[
            "shop",
            "store",
            "retail",
            "ecommerce",
            "commerce",
            "product",
            "order",
            "cart",
            "inventory",
            "sku",
            "purchase",
            "checkout",
            "loyalty",
            "shopper",
            "catalog",
        ],
    ),
    (
        "legal",
        include_str!("../../../configs/domains/legal.yaml"),
        &[
            "law",
            "legal",
            "firm",
            "attorney",
            "lawyer",
            "case",
            "court",
            "contract",
            "litigation",
            "document",
            "billing",
            "matter",
            "client",
            "paralegal",
        ],
    ),
    (
        "logistics",
        include_str!("../../../configs/domains/logistics.yaml"),
        &[
            "shipment",
            "shipping",
            "logistic",
            "logistics",
            "warehouse",
            "delivery",
            "fleet",
            "vehicle",
            "truck",
            "freight",
            "parcel",
            "tracking",
            "carrier",
            "supply",
            "route",
            "depot",
        ],
    ),
    (
        "telecom",
        include_str!("../../../configs/domains/telecom.yaml"),
        &[
            "telecom",
            "telco",
            "mobile",
            "subscriber",
            "call",
            "cdr",
            "sms",
            "network",
            "operator",
            "tariff",
            "roaming",
            "msisdn",
            "data",
        ],
    ),
    (
        "hr",
        include_str!("../../../configs/domains/hr.yaml"),
        &[
            "employee",
            "hr",
            "human",
            "resource",
            "payroll",
            "department",
            "salary",
            "leave",
            "hiring",
            "staff",
            "workforce",
            "recruitment",
            "payslip",
        ],
    ),
    (
        "education",
        include_str!("../../../configs/domains/education.yaml"),
        &[
            "student",
            "school",
            "university",
            "course",
            "teacher",
            "enrollment",
            "enrolment",
            "grade",
            "class",
            "education",
            "campus",
            "college",
            "learning",
        ],
    ),
    (
        "saas",
        include_str!("../../../configs/domains/saas.yaml"),
        &[
            "saas",
            "subscription",
            "tenant",
            "user",
            "invoice",
            "plan",
            "mrr",
            "churn",
            "analytics",
            "event",
            "software",
            "seat",
            "trial",
        ],
    ),
    (
        "iot",
        include_str!("../../../configs/domains/iot.yaml"),
        &[
            "iot",
            "sensor",
            "device",
            "telemetry",
            "reading",
            "gateway",
            "alert",
            "temperature",
            "machine",
            "plant",
            "smart",
            "firmware",
            "site",
        ],
    ),
];

/// Every template, parsed once.
pub fn all() -> &'static [Domain] {
    static ALL: OnceLock<Vec<Domain>> = OnceLock::new();
    ALL.get_or_init(|| {
        TEMPLATES
            .iter()
            .map(|(name, yaml, keywords)| {
                // Checked by a test and by `sdg validate` of configs/domains.
                let universe: Value = serde_norway::from_str(yaml).unwrap_or(Value::Null);
                let description = universe["description"].as_str().unwrap_or_default().to_string();
                Domain { name, description, keywords, universe }
            })
            .collect()
    })
}

pub fn get(name: &str) -> Option<&'static Domain> {
    let n = name.trim().to_ascii_lowercase();
    all().iter().find(|d| d.name == n)
}

/// The template names.
pub fn names() -> Vec<&'static str> {
    all().iter().map(|d| d.name).collect()
}

/// A word as the keywords are written: lowercase, without a plural `s`.
pub fn singular(word: &str) -> String {
    let w = word.to_lowercase();
    for (suffix, keep) in [("ies", "y"), ("ses", "s"), ("xes", "x"), ("s", "")] {
        if let Some(stem) = w.strip_suffix(suffix)
            && stem.len() >= 3
            && !w.ends_with("ss")
        {
            return format!("{stem}{keep}");
        }
    }
    w
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// One table a description needs.
#[derive(Debug, Clone, Serialize)]
pub struct Requirement {
    pub name: String,
    pub description: String,
    pub data_type: &'static str,
    /// Rows, as text (seed 000's shape): a number the description gave, or the template's proportion.
    pub estimated_volume: String,
    /// The tables it references (foreign keys).
    pub references: Vec<String>,
}

/// What `/context/analyze` answers.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub domain: String,
    /// What the domain's template holds.
    pub description: String,
    /// 0–1: how clearly the description points to this domain.
    pub confidence: f64,
    pub requirements: Vec<Requirement>,
    /// The description's words that pointed to the domain.
    pub keywords: Vec<String>,
    /// The tables of the domain, in dependency order (parents first).
    pub suggested_schemas: Vec<String>,
    /// Every domain with its score, best first.
    pub scores: Vec<Value>,
    pub method: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Members of a universe file: (name, description, rows, referenced generators).
pub fn tables(universe: &Value) -> Vec<(String, String, u64, Vec<String>)> {
    universe["generators"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|g| {
            let mut refs: Vec<String> = Vec::new();
            for f in g["fields"].as_array().into_iter().flatten() {
                if f["type"] == "UNIVERSE_KEY_REFERENCE"
                    && let Some(p) = f["params"]["generator"].as_str()
                    && !refs.iter().any(|r| r == p)
                {
                    refs.push(p.to_string());
                }
            }
            (
                g["name"].as_str().unwrap_or_default().to_string(),
                g["description"].as_str().unwrap_or_default().to_string(),
                g["end_condition"]["value"].as_u64().unwrap_or(0),
                refs,
            )
        })
        .collect()
}

/// Numbers the description gives for a table: "200 patients" → (patient, 200).
fn volumes(text: &str) -> Vec<(String, u64)> {
    let w: Vec<String> =
        text.split_whitespace().map(|s| s.trim_matches(|c: char| !c.is_alphanumeric()).to_string()).collect();
    let mut out = Vec::new();
    for pair in w.windows(2) {
        let word = pair[0].to_ascii_lowercase();
        let (number, scale) = match word.strip_suffix('k').or_else(|| word.strip_suffix('m')) {
            Some(n) => (n.to_string(), if word.ends_with('k') { 1e3 } else { 1e6 }),
            None => (word.clone(), 1.0),
        };
        // "1,200", "1.5k", "10k".
        let number: String = number.chars().filter(|c| *c != ',' && *c != '_').collect();
        if let Ok(n) = number.parse::<f64>()
            && n.is_finite()
            && n >= 1.0
            && number.chars().next().is_some_and(|c| c.is_ascii_digit())
        {
            out.push((singular(&pair[1]), (n * scale).round().min(u64::MAX as f64) as u64));
        }
    }
    out
}

/// Scores every template against `context` (and `domain_hint`): keyword
/// and table-name hits, the hint counting three times. Offline, the same
/// answer for the same text.
pub fn analyze(context: &str, domain_hint: Option<&str>) -> Analysis {
    let ctx: Vec<String> = words(context).iter().map(|w| singular(w)).collect();
    let hint: Vec<String> = domain_hint.map(|h| words(h).iter().map(|w| singular(w)).collect()).unwrap_or_default();
    let mut scored: Vec<(f64, &Domain, Vec<String>)> = all()
        .iter()
        .map(|d| {
            let table_words: Vec<String> = tables(&d.universe).iter().map(|t| singular(&t.0)).collect();
            let mut score = 0.0;
            let mut hits: Vec<String> = Vec::new();
            for (words, weight) in [(&ctx, 1.0), (&hint, 3.0)] {
                for w in words.iter() {
                    let keyword = d.keywords.contains(&w.as_str());
                    let table = table_words.iter().any(|t| t == w || t.replace('_', "") == *w);
                    if keyword || table {
                        score += weight * if table { 1.5 } else { 1.0 };
                        if !hits.contains(w) {
                            hits.push(w.clone());
                        }
                    }
                }
                if words.iter().any(|w| w == d.name) {
                    score += weight * 3.0;
                }
            }
            (score, d, hits)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.name.cmp(b.1.name)));
    let (best, domain, keywords) = scored[0].clone();
    let second = scored.get(1).map_or(0.0, |s| s.0);
    let mut warnings = Vec::new();
    let confidence = if best <= 0.0 {
        warnings.push(format!(
            "no word of the description points to a domain; {} is a guess: send domain_hint (one of {})",
            domain.name,
            names().join(", ")
        ));
        0.05
    } else {
        // Clear margins and many hits are confident; a tie is a coin toss.
        let margin = (best - second) / best;
        let strength = 1.0 - (-best / 3.0f64).exp();
        ((0.35 + 0.45 * margin + 0.2 * strength) * 100.0).round() / 100.0
    };
    let found = volumes(context);
    let list = tables(&domain.universe);
    // One number scales the others by the template's proportions.
    let anchor = list.iter().find_map(|(name, _, rows, _)| {
        found.iter().find(|(w, _)| *w == singular(name)).map(|(_, n)| (*n as f64) / (*rows).max(1) as f64)
    });
    let requirements = list
        .iter()
        .map(|(name, description, rows, refs)| {
            let given = found.iter().find(|(w, _)| *w == singular(name)).map(|(_, n)| *n);
            let n = given.unwrap_or_else(|| anchor.map_or(*rows, |a| ((*rows as f64) * a).round().max(1.0) as u64));
            Requirement {
                name: name.clone(),
                description: description.clone(),
                data_type: "tabular",
                estimated_volume: n.to_string(),
                references: refs.clone(),
            }
        })
        .collect();
    Analysis {
        domain: domain.name.to_string(),
        description: domain.description.clone(),
        confidence,
        requirements,
        keywords,
        suggested_schemas: list.iter().map(|t| t.0.clone()).collect(),
        scores: scored.iter().map(|(s, d, _)| json!({ "domain": d.name, "score": s })).collect(),
        method: "keyword scoring over domain templates (offline)",
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_is_a_universe() {
        assert_eq!(all().len(), 10);
        for d in all() {
            assert!(d.universe["generators"].as_array().is_some_and(|g| g.len() >= 3), "{}", d.name);
            assert!(!d.description.is_empty(), "{}", d.name);
        }
    }

    #[test]
    fn descriptions_find_their_domain_and_volumes() {
        let a = analyze("Healthcare clinic with 200 patients needs patient records and appointment scheduling", None);
        assert_eq!(a.domain, "healthcare");
        assert!(a.confidence > 0.8, "{}", a.confidence);
        assert_eq!(a.requirements[0].name, "patients");
        assert_eq!(a.requirements[0].estimated_volume, "200");
        assert_eq!(
            a.requirements.iter().find(|r| r.name == "appointments").map(|r| r.estimated_volume.as_str()),
            Some("1000")
        );
        for (text, domain) in [
            ("Legal firm case management with clients, cases, and documents", "legal"),
            ("Financial services with customer accounts and transactions", "finance"),
            ("an online shop: products, orders, carts", "retail"),
            ("fleet of trucks delivering parcels from warehouses", "logistics"),
            ("mobile operator call detail records for 10k subscribers", "telecom"),
            ("employees, departments and monthly payroll", "hr"),
            ("university students enrolled in courses", "education"),
            ("B2B SaaS tenants, seats, invoices and churn", "saas"),
            ("temperature sensors on factory sites sending telemetry", "iot"),
        ] {
            assert_eq!(analyze(text, None).domain, domain, "{text}");
        }
        assert_eq!(analyze("records", Some("telecom")).domain, "telecom");
        let a = analyze("a mobile operator with 1.5k subscribers", None);
        assert_eq!(
            a.requirements.iter().find(|r| r.name == "subscribers").map(|r| r.estimated_volume.as_str()),
            Some("1500")
        );
        let none = analyze("zzz qqq", None);
        assert!(none.confidence < 0.1 && !none.warnings.is_empty());
    }
}
