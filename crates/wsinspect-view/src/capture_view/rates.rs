//! A connection's message rates over time, for the plot: messages per second and bytes per
//! second, per direction, in bins of a round width (1, 2 or 5 times a power of ten seconds)
//! over the connection's time, computed over every message (the size plot's points may be
//! thinned; the rates never are). Each bin keeps its first message's row per side, so a bar
//! selects a frame as a point does.

use serde::{Deserialize, Serialize};

use super::{Conn, Side};

/// About this many bins over a connection's time.
pub const BINS: usize = 40;

/// One bin of the rates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RateBin {
    /// Messages per second, per side (client, server).
    pub messages: [f64; 2],
    /// Payload bytes per second (inflated when compressed), per side.
    pub bytes: [f64; 2],
    /// The first row of the bin's first message, per side.
    pub row: [Option<u32>; 2],
}

/// A connection's rates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Rates {
    /// The bins' width in seconds; bin `i` covers `[i * bin, (i + 1) * bin)` after the
    /// connection's first packet.
    pub bin: f64,
    /// The bins, from the connection's start to its last message.
    pub bins: Vec<RateBin>,
}

impl Rates {
    /// The largest messages and bytes per second of any bin and side.
    pub fn peaks(&self) -> (f64, f64) {
        self.bins.iter().fold((0.0f64, 0.0f64), |(m, b), x| {
            (
                m.max(x.messages[0]).max(x.messages[1]),
                b.max(x.bytes[0]).max(x.bytes[1]),
            )
        })
    }
}

/// 1, 2 or 5 times a power of ten: the smallest such width at least `raw`.
pub fn round_width(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1e-3;
    }
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|w| *w >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * p)
}

/// The rates of `c`'s messages (each at its last frame's time, as the size plot places it).
pub(super) fn rates(c: &Conn) -> Rates {
    // (time, side, length, first row) per message with a time.
    let msgs: Vec<(f64, Side, u64, u32)> = c
        .msgs
        .iter()
        .filter_map(|m| {
            let row = *m.rows.first()?;
            let first = &c.rows[row as usize];
            let last = &c.rows[*m.rows.last()? as usize];
            let time = last.time.or(first.time)?;
            Some((time, first.side, super::message_len(c, m), row))
        })
        .collect();
    let span = msgs.iter().map(|m| m.0).fold(0.0f64, f64::max);
    // A connection over in a microsecond still gets one bin of a millisecond at least.
    let bin = round_width(span / BINS as f64).max(1e-3);
    let n = ((span / bin).floor() as usize + 1).min(4 * BINS);
    let mut bins = vec![RateBin::default(); if msgs.is_empty() { 0 } else { n }];
    for (time, side, len, row) in msgs {
        let i = ((time / bin).floor().max(0.0) as usize).min(n - 1);
        let b = &mut bins[i];
        let s = side.i();
        b.messages[s] += 1.0 / bin;
        b.bytes[s] += len as f64 / bin;
        b.row[s] = b.row[s].or(Some(row));
    }
    Rates { bin, bins }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_are_round() {
        assert_eq!(round_width(0.3), 0.5);
        assert_eq!(round_width(1.0), 1.0);
        assert_eq!(round_width(1.2), 2.0);
        assert_eq!(round_width(37.0), 50.0);
        assert_eq!(round_width(0.00012), 0.0002);
        assert_eq!(round_width(0.0), 1e-3);
        assert_eq!(round_width(f64::NAN), 1e-3);
    }
}
