//! `sdg infer NAME…`: proposes a generator from column names alone (offline,
//! deterministic rules), printed as a generator file that `sdg run` accepts,
//! each field's confidence and reason beside it, with a contract hash.

use anyhow::Result;
use clap::Args;
use sdg_engine::catalog::infer;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct InferArgs {
    /// Column names (snake_case, camelCase, kebab-case or with spaces).
    #[arg(required = true)]
    pub names: Vec<String>,
    /// The locale of the proposed CATALOG fields.
    #[arg(long, default_value = "en_US")]
    pub locale: String,
    /// A hint that breaks ties (`name` in a "b2b crm" domain is a company's).
    #[arg(long, default_value = "")]
    pub domain: String,
    /// Print JSON (definition, fields with confidence and reason, contract_hash) instead of YAML.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: InferArgs) -> Result<ExitCode> {
    if !sdg_engine::catalog::LOCALES.contains(&args.locale.as_str()) {
        anyhow::bail!("unknown locale `{}`; use one of {}", args.locale, sdg_engine::catalog::LOCALES.join(", "));
    }
    let (fields, hash) = infer::infer(&args.names, &args.domain);
    if args.json {
        let out = serde_json::json!({
            "definition": infer::definition(&fields, &args.locale),
            "fields": fields,
            "contract_hash": hash,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", infer::yaml(&fields, &args.locale, &hash));
    }
    Ok(ExitCode::SUCCESS)
}
