//! Shared helpers for sdg's criterion benches: compile a one-field generator.

use sdg_engine::Plan;

/// Compiles a generator with one field given as a YAML flow mapping.
pub fn one_field(field: &str) -> Plan {
    let yaml = format!("name: bench\nseed: 1\ndestination: {{ type: BLACKHOLE }}\nfields:\n  - {field}\n");
    compile(&yaml)
}

/// Compiles a full YAML definition (panics on an invalid one: benches use fixed inputs).
pub fn compile(yaml: &str) -> Plan {
    let spec = sdg_engine::spec::parse_yaml(yaml).unwrap_or_else(|e| panic!("bench definition invalid: {e}"));
    Plan::compile(&spec).unwrap_or_else(|e| panic!("bench definition does not compile: {e}"))
}

/// The ten-column workload of configs/orders.yaml.
pub fn orders() -> Plan {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../configs/orders.yaml");
    compile(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}")))
}
