//! The option lists of the page's `<select>`s: the input formats, the senders, the inflate
//! limits and the composer's opcodes, with their labels.

use wsinspect_core::stream::DEFAULT_MAX_INFLATED;
use wsinspect_core::wire::codes::OpCode;

/// The format choices of the page: (value, label).
pub const FORMATS: &[(&str, &str)] = &[
    ("auto", "Auto-detect"),
    ("hex", "Hex"),
    ("base64", "Base64"),
    ("raw", "Raw text"),
];

/// The direction choices of the page: (value, label).
pub const DIRECTIONS: &[(&str, &str)] = &[
    ("unknown", "Unknown sender"),
    ("client", "Client → server"),
    ("server", "Server → client"),
];

/// The inflate limits the page offers, in bytes (RFC 7692 §8.1: a limit keeps a decompression
/// bomb from exhausting memory). [`DEFAULT_MAX_INFLATED`] is one of them.
pub const INFLATE_LIMITS: &[usize] = &[64 << 10, 1 << 20, 16 << 20, 64 << 20, 256 << 20];

/// A size for a reader: `64 KiB`, `1 MiB`, or `1000 bytes` when not a whole KiB.
pub fn size_label(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes % (1 << 20) == 0 {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes % (1 << 10) == 0 {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} byte{}", if bytes == 1 { "" } else { "s" })
    }
}

/// One choice of the inflate-limit select.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitChoice {
    /// The `<option value>`: the limit in bytes.
    pub value: String,
    /// `64 MiB (default)`.
    pub label: String,
    /// Whether it is the current limit.
    pub selected: bool,
}

/// The inflate-limit choices with `current` selected; a current limit that is not one of
/// [`INFLATE_LIMITS`] (from a share link) is offered too, in order.
pub fn inflate_limit_choices(current: usize) -> Vec<LimitChoice> {
    let mut sizes = INFLATE_LIMITS.to_vec();
    if !sizes.contains(&current) {
        sizes.push(current);
        sizes.sort_unstable();
    }
    sizes
        .into_iter()
        .map(|b| LimitChoice {
            value: b.to_string(),
            label: if b == DEFAULT_MAX_INFLATED {
                format!("{} (default)", size_label(b))
            } else {
                size_label(b)
            },
            selected: b == current,
        })
        .collect()
}

/// The composer's opcode choices: (value, label) for all 16 values, reserved ones included.
pub fn opcode_choices() -> Vec<(OpCode, String)> {
    (0..16u8)
        .map(|v| (OpCode(v), format!("0x{v:X} {}", OpCode(v).label())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflate_limit_choices_hold_the_default_and_any_linked_value() {
        let c = inflate_limit_choices(DEFAULT_MAX_INFLATED);
        let labels: Vec<_> = c.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(
            labels,
            ["64 KiB", "1 MiB", "16 MiB", "64 MiB (default)", "256 MiB"]
        );
        assert_eq!(c.iter().filter(|c| c.selected).count(), 1);
        assert!(c[3].selected && c[3].value == "67108864");
        let odd = inflate_limit_choices(1000);
        assert_eq!(
            (odd[0].label.as_str(), odd[0].selected),
            ("1000 bytes", true)
        );
        assert_eq!(odd.len(), 6);
        assert_eq!(size_label(3 << 10), "3 KiB");
        assert_eq!(size_label(1), "1 byte");
    }

    #[test]
    fn every_opcode_is_a_choice() {
        let c = opcode_choices();
        assert_eq!(c.len(), 16);
        assert_eq!(c[1], (OpCode::TEXT, "0x1 text".to_string()));
        assert_eq!(c[10], (OpCode::PONG, "0xA pong".to_string()));
        assert_eq!(c[0xb].1, "0xB reserved");
    }
}
