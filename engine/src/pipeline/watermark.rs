//! The resume checkpoint: the first row that is not yet settled, where every
//! row below it is acknowledged by the destination or was given up under
//! `on_error: CONTINUE`.
//!
//! The sink stage hands batches to the sink in row order. A sink reports
//! `Delivered::settled` in the order it accepted them, which the ledger
//! matches against the batches it was handed, front first; batches the
//! pipeline gave up settle in their place. Counting acknowledgements instead
//! would not do: Kafka acknowledges per partition, out of row order, so a
//! count can run ahead of a row that is still in flight, and a resume from
//! it would skip that row.

use std::collections::VecDeque;

/// One batch handed to the sink, not yet settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Span {
    /// Accepted by the sink: settles when the sink's settled count covers
    /// its `rows`, then moves the checkpoint by `span` positions (the same
    /// number, but for a batch under disorder, whose rows are not a range).
    Written { rows: u64, span: u64 },
    /// Given up (`on_error: CONTINUE`): its positions settle as soon as it is at the front.
    GivenUp(u64),
}

/// Matches settled counts to batches; owned by the sink stage.
#[derive(Debug)]
pub(crate) struct Watermark {
    /// Batches not yet settled, in row order.
    spans: VecDeque<Span>,
    /// Settled rows reported by the sink, not yet matched to a span.
    credit: u64,
    /// The checkpoint: every row below it is settled.
    next_row: u64,
}

impl Watermark {
    /// A ledger for a run starting at `start_row`.
    pub(crate) fn new(start_row: u64) -> Self {
        Self { spans: VecDeque::new(), credit: 0, next_row: start_row }
    }

    /// The sink accepted a batch of `rows` rows covering `span` positions.
    pub(crate) fn written(&mut self, rows: u64, span: u64) {
        if rows > 0 || span > 0 {
            self.spans.push_back(Span::Written { rows, span });
            self.advance();
        }
    }

    /// A batch of `span` positions was given up: its rows count as failed
    /// and a resume goes on after them, as the run did.
    pub(crate) fn given_up(&mut self, span: u64) {
        if span > 0 {
            self.spans.push_back(Span::GivenUp(span));
            self.advance();
        }
    }

    /// The sink reports `rows` more rows settled.
    pub(crate) fn settled(&mut self, rows: u64) {
        if rows > 0 {
            self.credit += rows;
            self.advance();
        }
    }

    /// The first row not yet settled.
    pub(crate) fn next_row(&self) -> u64 {
        self.next_row
    }

    fn advance(&mut self) {
        while let Some(&span) = self.spans.front() {
            match span {
                Span::GivenUp(span) => self.next_row += span,
                Span::Written { rows, span } if self.credit >= rows => {
                    self.credit -= rows;
                    self.next_row += span;
                }
                Span::Written { rows, span } => {
                    // Part of the front batch: a sink may settle rows of a
                    // batch one by one (Kafka settles whole batches). A batch
                    // whose rows are its positions moves the checkpoint as
                    // they settle; a disordered one once it has settled whole.
                    if self.credit > 0 && rows == span {
                        self.spans[0] = Span::Written { rows: rows - self.credit, span: span - self.credit };
                        self.next_row += self.credit;
                        self.credit = 0;
                    }
                    return;
                }
            }
            self.spans.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Watermark;

    #[test]
    fn settles_in_order_of_writing() {
        let mut w = Watermark::new(100);
        w.written(10, 10);
        w.written(10, 10);
        assert_eq!(w.next_row(), 100);
        w.settled(10);
        assert_eq!(w.next_row(), 110);
        w.settled(4);
        assert_eq!(w.next_row(), 114);
        w.settled(6);
        assert_eq!(w.next_row(), 120);
    }

    #[test]
    fn a_given_up_batch_waits_for_the_batches_before_it() {
        let mut w = Watermark::new(0);
        w.written(10, 10);
        w.given_up(5);
        assert_eq!(w.next_row(), 0, "the first batch is still in flight");
        w.written(10, 10);
        w.settled(10);
        assert_eq!(w.next_row(), 15);
        w.settled(10);
        assert_eq!(w.next_row(), 25);
    }

    #[test]
    fn credit_never_passes_a_batch_that_is_not_written() {
        let mut w = Watermark::new(0);
        w.written(8, 8);
        w.settled(8);
        // A batch the run stopped on (never accepted) is not in the ledger:
        // the checkpoint stays before it whatever else settles.
        assert_eq!(w.next_row(), 8);
    }
}
