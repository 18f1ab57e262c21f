//! Fuzzes the fast record reader against serde: at every `{` of the input, wherever the
//! fast reader reads a record, serde reads the same record, tuples and end
//! (`check_record_reader` panics where they differ).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    flowscope::load::check_record_reader(&text);
});
