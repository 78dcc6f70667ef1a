//! The pieces of police.uk's JSON written straight into a byte buffer, for the hot answers
//! (crime lists of thousands of records). Each writes exactly the bytes that serialising
//! the corresponding `police-openapi` wire value with serde_json gives — the tests check
//! that — only several times faster: no formatter machinery, coordinates without float
//! formatting, strings copied whole unless they need escaping, snap points' `location`
//! objects written once per snapshot.

use police_index::crimes::{CrimeIndex, SnapPoint};
use police_index::Month;

/// The bytes serde_json escapes in strings: controls, `"` and `\\`.
const ESCAPED: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = true;
        byte += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Every snap point's `location` object (`{"latitude":…,"street":{…},"longitude":…}`),
/// written once when a snapshot is installed: a crime list repeats it for every crime, and
/// copying it is several times cheaper than writing two coordinates and a name each time.
/// About 110 bytes a snap point.
#[derive(Debug, Default)]
pub struct PointLocations {
    /// `bytes[offsets[p]..offsets[p + 1]]` is the object of point `p`.
    offsets: Vec<u32>,
    bytes: Vec<u8>,
}

impl PointLocations {
    pub fn new(index: &CrimeIndex) -> Self {
        let count = index.point_count();
        let mut offsets = Vec::with_capacity(count + 1);
        let mut bytes = Vec::with_capacity(count * 112);
        offsets.push(0);
        for point in 0..count as u32 {
            location(index.point(point), &mut bytes);
            offsets.push(u32::try_from(bytes.len()).expect("snap point JSON under 4 GiB"));
        }
        bytes.shrink_to_fit();
        PointLocations { offsets, bytes }
    }

    /// The `location` object of snap point `point` (see [`police_index::crimes::CrimeRef::point_index`]).
    pub fn get(&self, point: u32) -> &[u8] {
        let point = point as usize;
        &self.bytes[self.offsets[point] as usize..self.offsets[point + 1] as usize]
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.offsets.capacity() * 4 + self.bytes.capacity()
    }
}

/// A snap point as police.uk's `location` object.
pub fn location(point: &SnapPoint, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"latitude\":");
    coordinate(point.latitude, out);
    out.extend_from_slice(b",\"street\":{\"id\":");
    integer(i64::from(point.id), out);
    out.extend_from_slice(b",\"name\":");
    string(&point.name, out);
    out.extend_from_slice(b"},\"longitude\":");
    coordinate(point.longitude, out);
    out.push(b'}');
}

/// A JSON string: `"…"`, escaped exactly as serde_json escapes it.
pub fn string(value: &str, out: &mut Vec<u8>) {
    // Or-ing the table over the bytes (no early exit) lets the loop run branch-free.
    let needs_escaping = value.bytes().fold(false, |any, b| any | ESCAPED[b as usize]);
    if needs_escaping {
        serde_json::to_writer(&mut *out, value).expect("writing to memory cannot fail");
    } else {
        out.reserve(value.len() + 2);
        out.push(b'"');
        out.extend_from_slice(value.as_bytes());
        out.push(b'"');
    }
}

/// A JSON string known to need no escaping (slugs, hex ids, fixed words): `"…"`.
pub fn plain_string(value: &str, out: &mut Vec<u8>) {
    debug_assert!(!value.bytes().any(|b| ESCAPED[b as usize]), "{value:?} needs escaping");
    out.reserve(value.len() + 2);
    out.push(b'"');
    out.extend_from_slice(value.as_bytes());
    out.push(b'"');
}

/// A Crime ID held as 32 bytes, as its 64 lowercase hex digits in quotes.
pub fn hex_string(bytes: &[u8; 32], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = [0u8; 66];
    text[0] = b'"';
    text[65] = b'"';
    for (i, byte) in bytes.iter().enumerate() {
        text[1 + 2 * i] = HEX[usize::from(byte >> 4)];
        text[2 + 2 * i] = HEX[usize::from(byte & 15)];
    }
    out.extend_from_slice(&text);
}

/// An integer.
pub fn integer(value: i64, out: &mut Vec<u8>) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

/// A month as `"YYYY-MM"` (with the quotes).
pub fn month(value: Month, out: &mut Vec<u8>) {
    let (year, month) = (value.year(), value.month());
    out.extend_from_slice(&[
        b'"',
        b'0' + (year / 1000 % 10) as u8,
        b'0' + (year / 100 % 10) as u8,
        b'0' + (year / 10 % 10) as u8,
        b'0' + (year % 10) as u8,
        b'-',
        b'0' + month / 10,
        b'0' + month % 10,
        b'"',
    ]);
}

/// A coordinate as a bare number with six decimals, `-1.124819` (GeoJSON positions, CSV).
pub fn bare_coordinate(value: f64, out: &mut Vec<u8>) {
    let start = out.len();
    coordinate(value, out);
    out.remove(start);
    out.pop();
}

/// A coordinate as police.uk writes it: a string with six decimals, `"-1.124819"` — what
/// `format!("{:.6}", value)` gives (rounding the exact binary value, ties to even).
pub fn coordinate(value: f64, out: &mut Vec<u8>) {
    let scaled = value.abs() * 1e6;
    let rounded = scaled.round();
    // Fast path: |value| well inside the range where scaling is exact enough, and not near a
    // rounding tie, where the scaled product's own rounding error could decide the digit.
    if value.is_finite() && scaled < 1e12 && ((scaled - scaled.floor()) - 0.5).abs() > 1e-3 {
        let micro = rounded as u64;
        let mut digits = itoa::Buffer::new();
        let whole = digits.format(micro / 1_000_000);
        out.push(b'"');
        if value.is_sign_negative() {
            out.push(b'-');
        }
        out.extend_from_slice(whole.as_bytes());
        let fraction = micro % 1_000_000;
        let mut decimals = [b'.', b'0', b'0', b'0', b'0', b'0', b'0'];
        let mut rest = fraction;
        for slot in decimals[1..].iter_mut().rev() {
            *slot = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        out.extend_from_slice(&decimals);
        out.push(b'"');
    } else {
        out.push(b'"');
        std::io::Write::write_fmt(out, format_args!("{value:.6}")).expect("writing to memory");
        out.push(b'"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde(value: &impl serde::Serialize) -> String {
        serde_json::to_string(value).unwrap()
    }

    fn written(write: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        write(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        for value in [
            "",
            "On or near Campbell Street",
            "quote \" and backslash \\",
            "tab\tnewline\ncarriage\rbell\u{7}nul\0",
            "slash / and unicode é 漢字 \u{2028} 🚓",
            "\u{1f}\u{7f}",
        ] {
            assert_eq!(written(|out| string(value, out)), serde(&value), "{value:?}");
        }
    }

    #[test]
    fn hex_ids_are_written_as_lowercase_hex() {
        let bytes: [u8; 32] = std::array::from_fn(|i| (i * 37 + 5) as u8);
        let expected: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(written(|out| hex_string(&bytes, out)), format!("\"{expected}\""));
    }

    #[test]
    fn integers_and_months_match_their_serde_forms() {
        for value in [0i64, 7, -3, 116_201_252, i64::MAX, i64::MIN] {
            assert_eq!(written(|out| integer(value, out)), value.to_string());
        }
        for text in ["2024-01", "1999-12", "2010-10", "0001-01"] {
            let parsed: Month = text.parse().unwrap();
            assert_eq!(written(|out| month(parsed, out)), format!("\"{text}\""));
        }
    }

    /// Every coordinate written equals `format!("{:.6}")`: the police.uk snap point forms,
    /// random doubles, exact ties and near-ties, signs, zeros and the non-finite.
    #[test]
    fn coordinates_match_six_decimal_formatting() {
        let mut values = vec![
            0.0,
            -0.0,
            52.632805,
            -1.124819,
            -0.0000004,
            -0.0000005,
            0.0000005,
            0.0000015,
            0.0000025,
            0.5,
            1.0000005,
            -179.9999995,
            89.9999999,
            123456.1234565,
            1e-300,
            1e300,
            f64::MAX,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        // A fixed-seed walk over random doubles of coordinate size, many decimals.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
            let value = (unit - 0.5) * 360.0;
            values.push(value);
            // The same place as police.uk writes it (six decimals), read back as a double.
            values.push(format!("{value:.6}").parse().unwrap());
            // And halfway between two six-decimal values.
            values.push(format!("{value:.6}5").parse().unwrap());
        }
        for value in values {
            assert_eq!(
                written(|out| coordinate(value, out)),
                format!("\"{value:.6}\""),
                "{value:e}"
            );
        }
    }
}
