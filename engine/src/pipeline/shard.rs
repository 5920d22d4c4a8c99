//! Shards: one run split over N processes or machines that never talk to
//! each other. Generation is a pure function of (seed, row), so each shard
//! makes its own positions and the union of the shards is the one-process
//! run. How the positions are divided depends on the run:
//!
//! - An unpaced RECORD_COUNT run of T rows: shard I makes the contiguous
//!   positions [⌊I·P/N⌋, ⌊(I+1)·P/N⌋), P = T plus a disorder's last window
//!   (the parts, in order, are the one-process output).
//! - A paced run (REALTIME, or any `rate:`) and a run without a row count
//!   (DURATION, MANUAL): the rows are cut into blocks of `batch_size`, and
//!   shard I takes every N-th block from block I. It paces its rows at
//!   their times in the one-process schedule (anchored at the start of a
//!   round of N blocks), so it runs at rate/N and the union of the shards
//!   is the one stream.
//! - A generator with a STATE_MACHINE field: sessions are assigned to shards
//!   whole. Row r is an event of session slot r mod C, so shard I takes the
//!   slots [⌊I·C/N⌋, ⌊(I+1)·C/N⌋) of every round of C rows.
//!
//! A shard's own positions are counted from 0 (or its start) with no gaps:
//! claims, the checkpoint and the sink stage's order use them;
//! [`Interleave::global`] turns one into the run's row (the position the
//! mappers, the pacer and disorder see).

use crate::mapping::state_machine;
use crate::plan::Plan;
use crate::spec::MappingType;
use serde::Serialize;

/// Blocks of width `width` at `offset` in every `period` positions of the
/// run: a shard's positions when they are not one range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Interleave {
    /// Positions of the run per round.
    pub period: u64,
    /// The shard's first position in each round.
    pub offset: u64,
    /// The shard's positions per round (at least 1).
    pub width: u64,
}

impl Interleave {
    /// The run's position of the shard's position `local`.
    #[inline]
    pub fn global(&self, local: u64) -> u64 {
        (local / self.width) * self.period + self.offset + local % self.width
    }

    /// The shard's positions from `local` to the end of its block: a claim
    /// stays inside one block, so its rows are contiguous in the run.
    #[inline]
    pub fn room(&self, local: u64) -> u64 {
        self.width - local % self.width
    }

    /// How many of the shard's positions lie below the run's position `global`.
    pub fn below(&self, global: u64) -> u64 {
        (global / self.period) * self.width + (global % self.period).saturating_sub(self.offset).min(self.width)
    }
}

/// How a shard's positions lie in the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Layout {
    /// Positions [start, end) of the run.
    Range {
        /// The first position.
        start: u64,
        /// The first position after the shard's.
        end: u64,
    },
    /// Every round's block (see [`Interleave`]).
    Interleave(Interleave),
}

/// Why the positions are divided as they are (for `plan?shards=N` and logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// An unpaced RECORD_COUNT run: contiguous ranges.
    Rows,
    /// A paced or open-ended run: every N-th block of the schedule.
    Schedule,
    /// STATE_MACHINE sessions, whole.
    Sessions,
}

/// Shard `index` of `count` of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Shard {
    /// From 0.
    pub index: u64,
    /// How many shards the run has.
    pub count: u64,
    /// Its positions.
    pub layout: Layout,
    /// Why they are laid out so.
    pub basis: Basis,
    /// Rows (positions, under disorder) the shard makes, when the run has a row count.
    pub rows: Option<u64>,
}

impl Shard {
    /// Shard `index` of `count` of `plan`; Err says why the run cannot be
    /// split so (too many shards for its sessions, several session counts).
    pub fn of(plan: &Plan, index: u64, count: u64) -> Result<Self, String> {
        if count == 0 || index >= count {
            return Err(format!("shard {index}/{count}: write I/N with 0 ≤ I < N, e.g. 3/16"));
        }
        let spec = plan.spec();
        let window =
            crate::spec::disorder::window_rows(spec.disorder.as_ref(), spec.rate.as_ref().map(|r| r.nominal()));
        let positions = plan.row_limit().map(|t| t.saturating_add(window));
        let cut = |k: u64, of: u64| (u128::from(k) * u128::from(of) / u128::from(count)) as u64;
        let (layout, basis) = if let Some(sessions) = session_count(plan)? {
            let (lo, hi) = (cut(index, sessions), cut(index + 1, sessions));
            if hi == lo {
                return Err(format!(
                    "shard {index}/{count}: the generator runs {sessions} sessions at once (STATE_MACHINE entity.count) and sessions go to shards whole, so at most {sessions} shards"
                ));
            }
            (Layout::Interleave(Interleave { period: sessions, offset: lo, width: hi - lo }), Basis::Sessions)
        } else if let (Some(p), None) = (positions, plan.rate()) {
            (Layout::Range { start: cut(index, p), end: cut(index + 1, p) }, Basis::Rows)
        } else {
            // A block is a batch: claims stay whole, however the rate is retuned.
            let block = plan.batch_size().max(1) as u64;
            let iv = Interleave { period: block.saturating_mul(count), offset: block * index, width: block };
            (Layout::Interleave(iv), Basis::Schedule)
        };
        let rows = positions.map(|p| match layout {
            Layout::Range { start, end } => end.min(p) - start.min(p),
            Layout::Interleave(iv) => iv.below(p),
        });
        Ok(Self { index, count, layout, basis, rows })
    }

    /// Every shard of `count`.
    pub fn all(plan: &Plan, count: u64) -> Result<Vec<Self>, String> {
        (0..count).map(|i| Self::of(plan, i, count)).collect()
    }

    /// `3/16`.
    pub fn label(&self) -> String {
        format!("{}/{}", self.index, self.count)
    }
}

impl std::fmt::Display for Shard {
    /// What the shard makes, for a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "shard {}: ", self.label())?;
        match (self.layout, self.basis) {
            (Layout::Range { start, end }, _) => write!(f, "positions {start}..{end}")?,
            (Layout::Interleave(iv), Basis::Sessions) => write!(
                f,
                "session slots {}..{} of {} (every round of {} rows)",
                iv.offset,
                iv.offset + iv.width,
                iv.period,
                iv.period
            )?,
            (Layout::Interleave(iv), _) => write!(
                f,
                "blocks of {} rows at {} of every {} (one block in {} of the schedule)",
                iv.width, iv.offset, iv.period, self.count
            )?,
        }
        if let Some(rows) = self.rows {
            write!(f, ", {rows} rows")?;
        }
        Ok(())
    }
}

/// The session count of the generator's STATE_MACHINE fields (one count
/// for all of them, or Err), None without one.
fn session_count(plan: &Plan) -> Result<Option<u64>, String> {
    let mut found: Option<(u64, &str)> = None;
    for f in &plan.spec().fields {
        if f.kind != MappingType::StateMachine {
            continue;
        }
        let Some(c) = state_machine::session_count(&f.params) else { continue };
        match found {
            Some((other, name)) if other != c => {
                return Err(format!(
                    "fields `{name}` and `{}` run {other} and {c} sessions: a sharded generator's STATE_MACHINE fields need one entity.count",
                    f.name
                ));
            }
            _ => found = Some((c, &f.name)),
        }
    }
    Ok(found.map(|(c, _)| c))
}

/// `3/16` → (3, 16).
pub fn parse(text: &str) -> Result<(u64, u64), String> {
    let bad = || format!("shard `{text}`: write I/N with 0 ≤ I < N, e.g. 3/16");
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let (i, n): (u64, u64) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if n == 0 || i >= n {
        return Err(bad());
    }
    Ok((i, n))
}

/// `orders.csv` → `orders.part-0003-of-0016.csv`: the file of shard 3 of 16.
pub fn part_path(path: &str, (i, n): (u64, u64)) -> String {
    let p = std::path::Path::new(path);
    let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("out");
    let name = match p.extension().and_then(|e| e.to_str()) {
        Some(ext) => format!("{stem}.part-{i:04}-of-{n:04}.{ext}"),
        None => format!("{stem}.part-{i:04}-of-{n:04}"),
    };
    p.with_file_name(name).to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(yaml: &str) -> Plan {
        let spec = crate::spec::parse_yaml(yaml).expect("ok");
        Plan::compile(&spec).expect("ok")
    }

    const FIELDS: &str = "destination: { type: BLACKHOLE }\nfields:\n  - { name: id, type: SEQUENCE }\n";

    #[test]
    fn interleaved_positions_cover_the_run_once() {
        for (period, parts) in [(30u64, vec![(0, 10), (10, 10), (20, 10)]), (7, vec![(0, 2), (2, 2), (4, 3)])] {
            let ivs: Vec<Interleave> =
                parts.iter().map(|&(offset, width)| Interleave { period, offset, width }).collect();
            let limit = 5 * period + 3;
            let mut seen = vec![0u8; limit as usize];
            for iv in &ivs {
                let n = iv.below(limit);
                for l in 0..n {
                    let g = iv.global(l);
                    assert!(g < limit, "{iv:?} {l} → {g}");
                    seen[g as usize] += 1;
                }
                assert!(iv.global(n) >= limit);
            }
            assert!(seen.iter().all(|&c| c == 1));
        }
    }

    #[test]
    fn unpaced_record_counts_split_into_ranges() {
        let p = plan(&format!("name: t\nend_condition: {{ type: RECORD_COUNT, value: 10 }}\n{FIELDS}"));
        let shards = Shard::all(&p, 3).expect("ok");
        let ranges: Vec<_> = shards.iter().map(|s| (s.layout, s.rows)).collect();
        assert_eq!(
            ranges,
            vec![
                (Layout::Range { start: 0, end: 3 }, Some(3)),
                (Layout::Range { start: 3, end: 6 }, Some(3)),
                (Layout::Range { start: 6, end: 10 }, Some(4)),
            ]
        );
    }

    #[test]
    fn paced_runs_take_every_nth_block_of_the_schedule() {
        let p = plan(&format!("name: t\nmode: REALTIME\nrate: 1000\nbatch_size: 10\n{FIELDS}"));
        let s = Shard::of(&p, 1, 4).expect("ok");
        assert_eq!(s.basis, Basis::Schedule);
        assert_eq!(s.layout, Layout::Interleave(Interleave { period: 40, offset: 10, width: 10 }));
        assert_eq!(s.rows, None);
    }

    #[test]
    fn sessions_go_to_shards_whole() {
        let sm = "  - name: state\n    type: STATE_MACHINE\n    params: { entity: { count: 10 }, initial: a, states: [a, b], transitions: { a: { b: 1 } }, final: [b] }\n";
        let p = plan(&format!("name: t\nend_condition: {{ type: RECORD_COUNT, value: 95 }}\n{FIELDS}{sm}"));
        let shards = Shard::all(&p, 3).expect("ok");
        assert!(shards.iter().all(|s| s.basis == Basis::Sessions));
        assert_eq!(shards.iter().map(|s| s.rows.expect("ok")).sum::<u64>(), 95);
        let Layout::Interleave(iv) = shards[2].layout else { panic!("{:?}", shards[2]) };
        // Slots 6..10 of every round of 10 rows.
        assert_eq!((iv.global(0), iv.global(3), iv.global(4)), (6, 9, 16));
        let too_many = Shard::of(&p, 0, 11).expect_err("refused");
        assert!(too_many.contains("at most 10 shards"), "{too_many}");
    }

    #[test]
    fn shard_text_is_checked() {
        assert_eq!(parse("3/16"), Ok((3, 16)));
        for bad in ["3", "16/16", "a/2", "0/0", "-1/2"] {
            assert!(parse(bad).expect_err("refused").contains("write I/N"), "{bad}");
        }
        assert_eq!(part_path("out/orders.csv", (3, 16)), "out/orders.part-0003-of-0016.csv");
        assert_eq!(part_path("orders", (0, 2)), "orders.part-0000-of-0002");
    }
}
