//! Prometheus text exposition (`GET /metrics`): per-generator series
//! labelled with the generator's id and name.

use sdg_engine::{MetricsSnapshot, Status};
use std::fmt::Write;

/// Escapes a label value (backslash, quote, newline).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

const STATUSES: [Status; 6] =
    [Status::Created, Status::Running, Status::Paused, Status::Completed, Status::Stopped, Status::Failed];

/// The exposition of every generator.
pub fn render(all: &[(String, String, Status, Option<MetricsSnapshot>)]) -> String {
    let mut out = String::with_capacity(1024 + all.len() * 2048);
    let zero = MetricsSnapshot::idle(Status::Created);
    type Get = fn(&MetricsSnapshot) -> f64;
    let series: [(&str, &str, &str, Get); 12] = [
        ("sdg_rows_generated_total", "counter", "Rows built by the workers.", |m| m.rows_generated as f64),
        ("sdg_rows_delivered_total", "counter", "Rows the destination acknowledged.", |m| m.rows_delivered as f64),
        ("sdg_rows_failed_total", "counter", "Rows that could not be delivered.", |m| m.rows_failed as f64),
        ("sdg_rows_late_total", "counter", "Rows emitted after later rows (disorder).", |m| m.rows_late as f64),
        ("sdg_rows_duplicated_total", "counter", "Second copies of rows emitted (duplicate_ratio).", |m| {
            m.rows_duplicated as f64
        }),
        ("sdg_bytes_delivered_total", "counter", "Encoded bytes delivered.", |m| m.bytes as f64),
        ("sdg_errors_total", "counter", "Destination errors seen, retried ones included.", |m| m.errors as f64),
        ("sdg_rows_per_second", "gauge", "Delivered rows per second over the last second.", |m| m.rows_per_sec),
        ("sdg_target_rows_per_second", "gauge", "The rate the run is paced at now (0 when unpaced).", |m| {
            m.target_rows_per_sec.unwrap_or(0.0)
        }),
        ("sdg_queue_depth", "gauge", "Batches generated and not yet delivered.", |m| m.queue_depth as f64),
        ("sdg_elapsed_seconds", "gauge", "Time since the run started, pauses included.", |m| {
            m.elapsed_ms as f64 / 1000.0
        }),
        ("sdg_avg_rows_per_second", "gauge", "Delivered rows per second of running time.", |m| m.avg_rows_per_sec),
    ];
    for (name, kind, help, get) in series {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (id, gname, _, m) in all {
            let m = m.as_ref().unwrap_or(&zero);
            let _ = writeln!(out, "{name}{{generator=\"{}\",name=\"{}\"}} {}", label(id), label(gname), get(m));
        }
    }
    // Which shard each sharded run makes (an info series: value 1).
    let _ =
        writeln!(out, "# HELP sdg_shard_info The shard (I/N) a generator's run makes.\n# TYPE sdg_shard_info gauge");
    for (id, gname, _, m) in all {
        if let Some(shard) = m.as_ref().and_then(|m| m.shard.as_deref()) {
            let (i, n) = shard.split_once('/').unwrap_or((shard, ""));
            let _ = writeln!(
                out,
                "sdg_shard_info{{generator=\"{}\",name=\"{}\",shard=\"{}\",index=\"{}\",count=\"{}\"}} 1",
                label(id),
                label(gname),
                label(shard),
                label(i),
                label(n)
            );
        }
    }
    for (metric, help, pick) in [
        ("sdg_sink_latency_microseconds", "Time for the sink to take one batch.", 0),
        ("sdg_gen_latency_microseconds", "Time to build one batch.", 1),
    ] {
        let _ = writeln!(out, "# HELP {metric} {help}\n# TYPE {metric} summary");
        for (id, gname, _, m) in all {
            let m = m.as_ref().unwrap_or(&zero);
            let l = if pick == 0 { m.sink_latency_us } else { m.gen_latency_us };
            for (q, v) in [("0.5", l.p50), ("0.9", l.p90), ("0.99", l.p99), ("1", l.max)] {
                let _ = writeln!(
                    out,
                    "{metric}{{generator=\"{}\",name=\"{}\",quantile=\"{q}\"}} {v}",
                    label(id),
                    label(gname)
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "# HELP sdg_generator_status 1 for the generator's current status.\n# TYPE sdg_generator_status gauge"
    );
    for (id, gname, status, _) in all {
        for s in STATUSES {
            let _ = writeln!(
                out,
                "sdg_generator_status{{generator=\"{}\",name=\"{}\",status=\"{}\"}} {}",
                label(id),
                label(gname),
                s.as_str(),
                u8::from(s == *status)
            );
        }
    }
    out
}

/// The series of every pool: rows, heap and mapped bytes, version, readiness.
pub fn render_pools(out: &mut String, pools: &[sdg_engine::pool::PoolReport]) {
    type Get = fn(&sdg_engine::pool::PoolReport) -> f64;
    let series: [(&str, &str, Get); 5] = [
        ("sdg_pool_rows", "Rows of the pool's current version.", |p| p.rows as f64),
        ("sdg_pool_memory_bytes", "Heap bytes of the pool (in-memory columns and indexes).", |p| p.memory_bytes as f64),
        ("sdg_pool_mapped_bytes", "Bytes memory-mapped from the pool's cache file (INDEXED).", |p| {
            p.mapped_bytes as f64
        }),
        ("sdg_pool_version", "Versions loaded (1 after the first load, +1 per refresh).", |p| p.version as f64),
        ("sdg_pool_ready", "1 when the pool serves picks (READY).", |p| {
            f64::from(u8::from(p.status == sdg_engine::pool::PoolStatus::Ready))
        }),
    ];
    for (name, help, get) in series {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
        for p in pools {
            let _ =
                writeln!(out, "{name}{{pool=\"{}\",strategy=\"{}\"}} {}", label(&p.name), p.strategy.as_str(), get(p));
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn labels_are_escaped_and_every_series_is_typed() {
        let text = super::render(&[("g1".into(), "a \"b\"\n".into(), sdg_engine::Status::Running, None)]);
        assert!(text.contains("sdg_rows_delivered_total{generator=\"g1\",name=\"a \\\"b\\\"\\n\"} 0"), "{text}");
        assert!(text.contains("status=\"RUNNING\"} 1"));
        assert!(text.contains("# TYPE sdg_sink_latency_microseconds summary"));
    }
}
