//! The frame list's virtual scrolling: which rows exist at a scroll position, and where to
//! scroll to bring a row into view. Pixel arithmetic for the DOM, tested natively.

/// The rows `[start, end)` a virtual list shows at scroll position `scroll_top` in a viewport of
/// `viewport` pixels, rows of `row_height`, with `overscan` extra rows each side.
pub fn visible_window(
    scroll_top: f64,
    viewport: f64,
    row_height: f64,
    total: usize,
    overscan: usize,
) -> (usize, usize) {
    let first = (scroll_top.max(0.0) / row_height).floor() as usize;
    let count = (viewport / row_height).ceil() as usize + 1;
    let start = first.saturating_sub(overscan).min(total);
    let end = (first + count + overscan).min(total);
    (start, end)
}

/// The scroll position that brings row `index` into view, if it is not.
pub fn scroll_to_row(index: usize, scroll_top: f64, viewport: f64, row_height: f64) -> Option<f64> {
    let top = index as f64 * row_height;
    if top < scroll_top {
        Some(top)
    } else if top + row_height > scroll_top + viewport {
        Some(top + row_height - viewport)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_list_windows() {
        assert_eq!(visible_window(0.0, 100.0, 20.0, 1000, 2), (0, 8));
        assert_eq!(visible_window(2000.0, 100.0, 20.0, 1000, 2), (98, 108));
        assert_eq!(visible_window(1e9, 100.0, 20.0, 10, 2), (10, 10));
        assert_eq!(scroll_to_row(10, 0.0, 100.0, 20.0), Some(120.0));
        assert_eq!(scroll_to_row(2, 0.0, 100.0, 20.0), None);
        assert_eq!(scroll_to_row(0, 50.0, 100.0, 20.0), Some(0.0));
    }
}
