//! sdg-destinations: the one place that knows every destination crate.
//! Validation and opening dispatch on the destination type, for `sdg run`,
//! `sdg bench` and `sdg serve` alike, so neither the CLI nor the control API
//! repeats the wiring, and the CLI's commands need nothing of the server.

use arrow_schema::SchemaRef;
use sdg_engine::spec::{Destination, DestinationType};
use sdg_engine::{Issues, Sink, SinkError};

/// Every problem of a destination's settings (and of fields it cannot take).
pub fn validate(dest: &Destination, schema: Option<&SchemaRef>) -> Issues {
    match dest.kind {
        DestinationType::Postgres => sdg_sink_postgres::validate(dest, schema),
        DestinationType::Dragonfly => sdg_sink_dragonfly::validate(dest, schema),
        DestinationType::Kafka => sdg_sink_kafka::validate(dest, schema),
        _ => sdg_sinks::validate_destination(dest),
    }
}

/// Opens the sink of `dest` for rows of `schema`.
pub fn open(dest: &Destination, schema: &SchemaRef) -> Result<Box<dyn Sink>, SinkError> {
    match dest.kind {
        DestinationType::Postgres => {
            let mut issues = Issues::default();
            let config =
                sdg_sink_postgres::config(dest, &mut issues).ok_or_else(|| SinkError::fatal(issues.to_string()))?;
            Ok(Box::new(sdg_sink_postgres::PostgresSink::open(config, schema.clone())?))
        }
        DestinationType::Dragonfly => {
            let mut issues = Issues::default();
            let config =
                sdg_sink_dragonfly::config(dest, &mut issues).ok_or_else(|| SinkError::fatal(issues.to_string()))?;
            Ok(Box::new(sdg_sink_dragonfly::DragonflySink::open(config, schema.clone())?))
        }
        DestinationType::Kafka => {
            let mut issues = Issues::default();
            let config =
                sdg_sink_kafka::config(dest, &mut issues).ok_or_else(|| SinkError::fatal(issues.to_string()))?;
            Ok(Box::new(sdg_sink_kafka::KafkaSink::open(config, schema.clone())?))
        }
        _ => sdg_sinks::open_sink(dest, schema),
    }
}

/// Points a FILE destination at shard `i` of `n`'s own part
/// (`orders.part-0003-of-0016.csv`). CSV parts after the first have no
/// header, so the parts in order concatenate to the one-process file. Other
/// destinations are shared by every shard (one topic, one table), and stdout
/// stays stdout.
pub fn for_shard(dest: &mut Destination, (i, n): (u64, u64)) {
    if dest.kind != DestinationType::File {
        return;
    }
    let Some(path) = dest.config.get("path").and_then(|p| p.as_str()).map(str::to_string) else { return };
    if path == "-" {
        return;
    }
    let c = &mut dest.config;
    let csv = match c.get("format").and_then(|f| f.as_str()) {
        Some(f) => f == "csv",
        None => matches!(
            sdg_sinks::file::config::FileFormat::from_extension(&path),
            None | Some(sdg_sinks::file::config::FileFormat::Csv)
        ),
    };
    c.insert("path".into(), sdg_engine::pipeline::shard::part_path(&path, (i, n)).into());
    if csv && i > 0 {
        c.insert("header".into(), false.into());
    }
}

/// Every problem of a definition: structure, mappings, pools, destination;
/// pools are resolved (and loaded once) through `resources`.
pub fn check(spec: &sdg_engine::GeneratorSpec, resources: &sdg_engine::Resources) -> Result<sdg_engine::Plan, Issues> {
    let mut issues = Issues::default();
    let plan = sdg_engine::Plan::compile_with(spec, resources).map_err(|i| issues.extend(i.0)).ok();
    issues.extend(validate(&spec.destination, plan.as_ref().map(sdg_engine::Plan::schema)).0);
    match plan {
        Some(plan) if issues.is_empty() => Ok(plan),
        _ => Err(issues),
    }
}

/// The JSON Schema of every destination type's `config`, each derived from
/// the struct its sink reads the config into.
pub fn config_schemas() -> Vec<(DestinationType, serde_json::Value)> {
    use sdg_engine::spec::schema::of;
    vec![
        (DestinationType::Kafka, of::<sdg_sink_kafka::KafkaConfig>()),
        (DestinationType::Postgres, of::<sdg_sink_postgres::PostgresConfig>()),
        (DestinationType::Dragonfly, of::<sdg_sink_dragonfly::DragonflyConfig>()),
        (DestinationType::File, of::<sdg_sinks::file::FileConfig>()),
        (DestinationType::Blackhole, of::<sdg_sinks::blackhole::BlackholeConfig>()),
    ]
}

/// The JSON Schema of a whole generator definition (every mapping type's
/// params, every destination's config).
pub fn definition_schema() -> serde_json::Value {
    sdg_engine::spec::schema::definition(&config_schemas())
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_config_schema_lists_exactly_the_keys_its_sink_reads() {
        use sdg_engine::spec::DestinationType as D;
        for (kind, schema) in super::config_schemas() {
            let known: &[&str] = match kind {
                D::Kafka => sdg_sink_kafka::KEYS,
                D::Postgres => sdg_sink_postgres::KEYS,
                D::Dragonfly => sdg_sink_dragonfly::KEYS,
                D::File => sdg_sinks::file::config::FILE_KEYS,
                D::Blackhole => sdg_sinks::blackhole::BLACKHOLE_KEYS,
            };
            let mut listed: Vec<&str> =
                schema["properties"].as_object().expect("properties").keys().map(String::as_str).collect();
            let mut known = known.to_vec();
            listed.sort_unstable();
            known.sort_unstable();
            assert_eq!(listed, known, "{}", kind.as_str());
            assert_eq!(schema["additionalProperties"], false, "{}", kind.as_str());
        }
    }
}
