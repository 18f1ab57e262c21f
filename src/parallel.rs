//! When a scan over rows is worth a second thread: the one threshold the filter, the
//! selection and the views share.

/// Below this many rows a second thread costs more than it saves.
const ROWS: usize = 1 << 20;

/// The row count from which a scan splits in two; never on a single core.
pub fn split_rows() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores > 1 {
        ROWS
    } else {
        usize::MAX
    }
}
