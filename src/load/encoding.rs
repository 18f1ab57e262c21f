//! A file's bytes as text. Flow logs are UTF-8 (a BOM allowed), taken as they are. A copy
//! saved by Windows PowerShell 5 (`Out-File`, `>`, `Set-Content -Encoding Unicode`) is
//! UTF-16, which would otherwise read as no flow log at all: it is decoded, and said so.
//! Invalid bytes in anything else are replaced (rare, and reported by whatever then
//! fails to parse). A compressed file is not text at all: it is named as what it is, so
//! the message says what to do rather than that the JSON is broken.

use std::borrow::Cow;

/// The encodings told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
}

impl Encoding {
    /// How `data` is encoded: UTF-16 by its byte order mark, or without one by a NUL
    /// beside the first character (JSON text in UTF-8 never holds a NUL byte).
    pub fn of(data: &[u8]) -> Encoding {
        match data {
            // A UTF-32 mark starts the same way; its next two bytes are NUL.
            [0xFF, 0xFE, 0, 0, ..] => Encoding::Utf8,
            [0xFF, 0xFE, ..] => Encoding::Utf16Le,
            [0xFE, 0xFF, ..] => Encoding::Utf16Be,
            [a, 0, ..] if a.is_ascii() && *a != 0 => Encoding::Utf16Le,
            [0, b, ..] if b.is_ascii() && *b != 0 => Encoding::Utf16Be,
            _ => Encoding::Utf8,
        }
    }

    /// What the load report says of a file decoded from this encoding.
    pub fn note(self) -> Option<String> {
        let order = match self {
            Encoding::Utf8 => return None,
            Encoding::Utf16Le => "little-endian",
            Encoding::Utf16Be => "big-endian",
        };
        Some(format!(
            "UTF-16 ({order}) text decoded; byte offsets count the text as UTF-8"
        ))
    }
}

/// Why `data` cannot be read as text, when it is a compressed file or an archive (by
/// its magic number).
pub fn packed(data: &[u8]) -> Option<&'static str> {
    match data {
        [0x1F, 0x8B, ..] => Some(
            "gzip-compressed: decompress it first (gunzip), or pipe it in: zcat FILE | flowscope -",
        ),
        [b'P', b'K', 3, 4, ..] => Some("a zip archive: extract it first"),
        [0x28, 0xB5, 0x2F, 0xFD, ..] => Some("zstd-compressed: decompress it first (unzstd)"),
        [b'B', b'Z', b'h', ..] => Some("bzip2-compressed: decompress it first (bunzip2)"),
        [0xFD, b'7', b'z', b'X', b'Z', 0, ..] => Some("xz-compressed: decompress it first (unxz)"),
        _ => None,
    }
}

/// A file's text, and whether any of it had to be replaced.
pub struct Decoded<'a> {
    pub text: Cow<'a, str>,
    pub replaced: bool,
    /// Where the text runs ahead of the file's bytes (UTF-8 input only).
    pub shifts: Shifts,
}

/// Where a UTF-8 file's text runs ahead of its bytes: each U+FFFD put for bytes that are
/// not UTF-8 takes 3 bytes of text for 1 to 3 of the file. A place a message names is
/// mapped back through it, so it is the file's own byte offset, which `dd` or `head -c`
/// can find. (UTF-16 text is measured as UTF-8, as its note says.)
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Shifts(Vec<(u64, u64)>);

impl Shifts {
    /// None: every text offset is its file offset.
    pub const NONE: Shifts = Shifts(Vec::new());

    /// The file offset of the text offset `at`.
    pub fn file_offset(&self, at: u64) -> u64 {
        // Entries are (the text offset just after a replacement, how far the text runs
        // ahead from there), in order.
        let before = self.0.partition_point(|&(from, _)| from <= at);
        match before.checked_sub(1) {
            Some(i) => at - self.0[i].1,
            None => at,
        }
    }
}

impl Decoded<'_> {
    /// What the load report says of the replacements, if there were any.
    pub fn note(&self, encoding: Encoding) -> Option<&'static str> {
        match (self.replaced, encoding) {
            (false, _) => None,
            (true, Encoding::Utf8) => Some("bytes that are not UTF-8 replaced by U+FFFD"),
            (true, _) => Some("UTF-16 units that are not text replaced by U+FFFD"),
        }
    }
}

/// `data` as text in `encoding`: borrowed when it is valid UTF-8, otherwise decoded with
/// each invalid sequence (or unpaired surrogate, or odd last byte) replaced by U+FFFD.
pub fn decode(data: &[u8], encoding: Encoding) -> Decoded<'_> {
    let borrowed = |text| Decoded {
        text: Cow::Borrowed(text),
        replaced: false,
        shifts: Shifts::NONE,
    };
    let unit: fn([u8; 2]) -> u16 = match encoding {
        Encoding::Utf8 if all_ascii(data) => {
            // Flow logs are ASCII, and the ASCII check runs a wide loop the UTF-8 check
            // does not: a few percent of a whole count.
            // SAFETY: ASCII is UTF-8.
            return borrowed(unsafe { std::str::from_utf8_unchecked(data) });
        }
        Encoding::Utf8 => {
            return match std::str::from_utf8(data) {
                Ok(text) => borrowed(text),
                Err(_) => lossy(data),
            }
        }
        Encoding::Utf16Le => u16::from_le_bytes,
        Encoding::Utf16Be => u16::from_be_bytes,
    };
    let (pairs, odd) = data.as_chunks::<2>();
    let mut replaced = !odd.is_empty();
    let mut text: String = char::decode_utf16(pairs.iter().map(|&p| unit(p)))
        .map(|c| {
            replaced |= c.is_err();
            c.unwrap_or(char::REPLACEMENT_CHARACTER)
        })
        .collect();
    if !odd.is_empty() {
        text.push(char::REPLACEMENT_CHARACTER);
    }
    Decoded {
        text: Cow::Owned(text),
        replaced,
        shifts: Shifts::NONE,
    }
}

/// Whether every byte is ASCII: 128 bytes a step where the processor has AVX2. std's
/// check takes 8 bytes a step, and over a count of the benchmark tree that was 1.5% of
/// the time.
fn all_ascii(data: &[u8]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (checked just above).
        return unsafe { all_ascii_avx2(data) };
    }
    data.is_ascii()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn all_ascii_avx2(data: &[u8]) -> bool {
    use std::arch::x86_64::*;
    let (chunks, rest) = data.as_chunks::<128>();
    for chunk in chunks {
        // SAFETY: the four 32-byte loads are inside the chunk.
        let v: [__m256i; 4] = std::array::from_fn(|k| unsafe {
            _mm256_loadu_si256(chunk.as_ptr().add(32 * k).cast())
        });
        // A byte is ASCII when its top bit is clear.
        let any = _mm256_or_si256(_mm256_or_si256(v[0], v[1]), _mm256_or_si256(v[2], v[3]));
        if _mm256_movemask_epi8(any) != 0 {
            return false;
        }
    }
    rest.is_ascii()
}

/// Text that is not all UTF-8, each run of bad bytes replaced as `String::from_utf8_lossy`
/// replaces it, with the shifts that puts in its offsets.
fn lossy(data: &[u8]) -> Decoded<'_> {
    let mut text = String::with_capacity(data.len() + 16);
    let mut shifts = Vec::new();
    let mut ahead = 0u64;
    for chunk in data.utf8_chunks() {
        text.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            text.push(char::REPLACEMENT_CHARACTER);
            ahead += (char::REPLACEMENT_CHARACTER.len_utf8() - chunk.invalid().len()) as u64;
            shifts.push((text.len() as u64, ahead));
        }
    }
    Decoded {
        text: Cow::Owned(text),
        replaced: true,
        shifts: Shifts(shifts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A byte from 0x80 up is found wherever it lies: in the wide steps, at their edges,
    /// and in the bytes after the last.
    #[test]
    fn a_byte_outside_ascii_is_found_anywhere() {
        for len in [0, 1, 127, 128, 129, 255, 256, 300] {
            let ascii = vec![b'a'; len];
            assert!(all_ascii(&ascii), "{len} ASCII bytes");
            for at in 0..len {
                for byte in [0x80, 0xff] {
                    let mut data = ascii.clone();
                    data[at] = byte;
                    assert!(!all_ascii(&data), "{byte:#x} at {at} of {len}");
                }
            }
        }
    }

    fn utf16(text: &str, little: bool, mark: bool) -> Vec<u8> {
        let units = mark.then_some('\u{feff}').into_iter().chain(text.chars());
        let mut buf = [0u16; 2];
        units
            .flat_map(|c| c.encode_utf16(&mut buf).to_vec())
            .flat_map(|u| {
                if little {
                    u.to_le_bytes()
                } else {
                    u.to_be_bytes()
                }
            })
            .collect()
    }

    #[test]
    fn utf16_either_way_with_or_without_a_mark_reads_as_the_same_text() {
        let text = r#"{"records":[{"rule":"Règle_😀"}]}"#;
        for little in [true, false] {
            for mark in [true, false] {
                let data = utf16(text, little, mark);
                let enc = Encoding::of(&data);
                let want = if little {
                    Encoding::Utf16Le
                } else {
                    Encoding::Utf16Be
                };
                assert_eq!(enc, want, "little {little}, mark {mark}");
                assert!(enc.note().is_some());
                let decoded = decode(&data, enc).text;
                assert_eq!(decoded.trim_start_matches('\u{feff}'), text);
            }
        }
    }

    #[test]
    fn utf8_is_borrowed_and_never_taken_for_utf16() {
        for text in ["{\"records\":[]}", "\u{feff}[]", "é{}", "", "x"] {
            assert_eq!(Encoding::of(text.as_bytes()), Encoding::Utf8, "{text:?}");
            let decoded = decode(text.as_bytes(), Encoding::Utf8).text;
            assert!(matches!(decoded, Cow::Borrowed(t) if t == text));
        }
        // A UTF-32 mark is not UTF-16's; NUL bytes alone decide nothing.
        for data in [&b"\xff\xfe\0\0{\0\0\0"[..], b"\0\0", b"\0"] {
            assert_eq!(Encoding::of(data), Encoding::Utf8, "{data:?}");
        }
        let bad = decode(b"a\xffb", Encoding::Utf8);
        assert_eq!((bad.text.as_ref(), bad.replaced), ("a\u{fffd}b", true));
        assert!(bad.note(Encoding::Utf8).is_some());
    }

    #[test]
    fn text_offsets_after_replacements_map_back_to_the_files() {
        // Runs of 1, 2 and 3 bad bytes: the first two are one run each (a lead byte and
        // its cut continuation), each replaced by one 3-byte U+FFFD.
        let data = b"ab\xffcd\xe9\x80ef\xf0\x9f\x98gh";
        let decoded = decode(data, Encoding::Utf8);
        assert_eq!(decoded.text, String::from_utf8_lossy(data));
        let text = decoded.text.as_bytes();
        for (letter, file_at) in [(b'a', 0), (b'c', 3), (b'e', 7), (b'g', 12), (b'h', 13)] {
            let text_at = text.iter().position(|&c| c == letter).unwrap() as u64;
            assert_eq!(
                decoded.shifts.file_offset(text_at),
                file_at,
                "{}",
                letter as char
            );
            assert_eq!(data[file_at as usize], letter);
        }
        assert_eq!(decode(b"plain", Encoding::Utf8).shifts, Shifts::NONE);
    }

    #[test]
    fn compressed_files_are_named_and_text_is_not() {
        let gzip = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0];
        assert!(packed(&gzip).is_some_and(|why| why.starts_with("gzip")));
        assert!(packed(b"PK\x03\x04rest").is_some_and(|why| why.contains("zip archive")));
        for text in [&b"{\"records\":[]}"[..], b"", b"\x1f", b"PK", b"BZ"] {
            assert_eq!(packed(text), None, "{text:?}");
        }
    }

    #[test]
    fn broken_utf16_is_replaced_not_dropped() {
        // An unpaired high surrogate, then `a`, then an odd last byte.
        let data = [0x3D, 0xD8, b'a', 0, b'b'];
        let broken = decode(&data, Encoding::Utf16Le);
        assert_eq!(
            (broken.text.as_ref(), broken.replaced),
            ("\u{fffd}a\u{fffd}", true)
        );
    }
}
