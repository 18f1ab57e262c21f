//! When a scan over rows is worth a second thread: the one threshold the filter, the
//! selection and the views share.

/// Below this many rows a second thread costs more than it saves.
const ROWS: usize = 1 << 20;

/// `f` of each item, in item order; every item but the first on a thread of its own. A
/// panic on another thread is a bug in the caller: it is passed on.
pub fn map_each<P: Copy + Send, T: Send>(items: &[P], f: impl Fn(P) -> T + Sync) -> Vec<T> {
    match items {
        [] => Vec::new(),
        [only] => vec![f(*only)],
        [first, others @ ..] => std::thread::scope(|scope| {
            let f = &f;
            let handles: Vec<_> = others
                .iter()
                .map(|&item| scope.spawn(move || f(item)))
                .collect();
            let mut out = vec![f(*first)];
            for h in handles {
                out.push(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
            }
            out
        }),
    }
}

/// The cores this process may use, asked once: on Linux each asking reads the cgroup's
/// quota files, and a scan is split (or not) once per file loaded.
pub fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The row count from which a scan splits in two; never on a single core.
pub fn split_rows() -> usize {
    if cores() > 1 {
        ROWS
    } else {
        usize::MAX
    }
}
