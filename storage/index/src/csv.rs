//! CSV as police.uk's bulk files write it: comma-separated, no byte-order mark, CRLF line
//! ends (as police.uk's archives ship them), and a field quoted only when it holds a comma, a
//! quote or a line break (quotes inside doubled). One writer for every place that writes
//! police.uk's CSV: the list routes (from the index) and the custom download (from the store).

/// The line end of police.uk's bulk CSVs.
pub const LINE_END: &[u8] = b"\r\n";

/// One field (text or raw bytes), quoted only when it holds a comma, a quote or a line break.
pub fn field(value: impl AsRef<[u8]>, out: &mut Vec<u8>) {
    let value = value.as_ref();
    if value.iter().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        out.push(b'"');
        for &byte in value {
            if byte == b'"' {
                out.push(b'"');
            }
            out.push(byte);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(value);
    }
}

/// A field known to need no quotes (numbers, months, slugs).
pub fn plain_field(value: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(value);
}

/// The comma between two fields.
pub fn separator(out: &mut Vec<u8>) {
    out.push(b',');
}

/// The end of a record.
pub fn end_record(out: &mut Vec<u8>) {
    out.extend_from_slice(LINE_END);
}

/// A record of text fields, each quoted only when it must be.
pub fn record<'a>(fields: impl IntoIterator<Item = &'a str>, out: &mut Vec<u8>) {
    for (i, value) in fields.into_iter().enumerate() {
        if i > 0 {
            separator(out);
        }
        field(value, out);
    }
    end_record(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(fields: &[&str]) -> String {
        let mut out = Vec::new();
        record(fields.iter().copied(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        assert_eq!(written(&["a", "", "On or near Bank"]), "a,,On or near Bank\r\n");
        assert_eq!(
            written(&["x,y", "say \"hi\"", "two\nlines"]),
            "\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
        );
        assert_eq!(written(&["\""]), "\"\"\"\"\r\n");
    }

    /// What the csv crate reads back is what was written, for awkward text.
    #[test]
    fn a_csv_reader_reads_the_fields_back() {
        let rows = [
            vec!["Crime ID", "Month", "Location"],
            vec!["", "2024-01", "On or near \"The\" Arcade, Leicester"],
            vec!["abc", "2024-02", "line\r\nbreak, and \"quotes\""],
        ];
        let mut out = Vec::new();
        for row in &rows {
            record(row.iter().copied(), &mut out);
        }
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(&out[..]);
        let read: Vec<Vec<String>> =
            reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
        assert_eq!(
            read,
            rows.iter()
                .map(|r| r.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        );
    }
}
