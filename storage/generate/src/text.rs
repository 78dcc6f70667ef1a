//! Allocation-free formatting of the few value shapes the CSV files contain.

/// Appends micro-degrees as a decimal with exactly six places (`-1.124819`).
pub fn push_micro(buf: &mut Vec<u8>, value: i64) {
    if value < 0 {
        buf.push(b'-');
    }
    let abs = value.unsigned_abs();
    push_u64(buf, abs / 1_000_000);
    buf.push(b'.');
    push_padded(buf, abs % 1_000_000, 6);
}

pub fn push_u64(buf: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut n = 0;
    loop {
        digits[n] = b'0' + (value % 10) as u8;
        n += 1;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    buf.extend(digits[..n].iter().rev());
}

/// Appends `value` zero-padded to `width` digits.
pub fn push_padded(buf: &mut Vec<u8>, value: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut v = value;
    let mut n = 0;
    while v > 0 || n < width {
        digits[n] = b'0' + (v % 10) as u8;
        v /= 10;
        n += 1;
    }
    buf.extend(digits[..n].iter().rev());
}

/// Appends 64 lowercase hex digits.
pub fn push_hex(buf: &mut Vec<u8>, words: &[u64; 4]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for word in words {
        for shift in (0..16).rev() {
            buf.push(HEX[((word >> (shift * 4)) & 0xf) as usize]);
        }
    }
}

/// A CSV field, quoted only when it has to be (as the csv crate and police.uk do).
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_police_uk() {
        let mut buf = Vec::new();
        push_micro(&mut buf, -1_124_819);
        buf.push(b' ');
        push_micro(&mut buf, 52_632_805);
        buf.push(b' ');
        push_micro(&mut buf, -92_000);
        buf.push(b' ');
        push_micro(&mut buf, 5);
        buf.push(b' ');
        push_padded(&mut buf, 7, 3);
        buf.push(b' ');
        push_u64(&mut buf, 0);
        assert_eq!(String::from_utf8(buf).unwrap(), "-1.124819 52.632805 -0.092000 0.000005 007 0");
        let mut hex = Vec::new();
        push_hex(&mut hex, &[u64::MAX, 0, 0x0123_4567_89ab_cdef, 1]);
        assert_eq!(hex.len(), 64);
        assert!(hex.starts_with(b"ffffffffffffffff00000000000000000123456789abcdef"));
        assert_eq!(
            csv_field("Bournemouth, Christchurch and Poole 001A"),
            "\"Bournemouth, Christchurch and Poole 001A\""
        );
        assert_eq!(csv_field("Leicester 012A"), "Leicester 012A");
    }
}
