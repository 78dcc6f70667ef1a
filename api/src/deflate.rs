//! gzip written from matches the renderer already knows, instead of searched for.
//!
//! A general deflate compressor spends most of its time finding repeats: hashing every
//! position and probing for earlier occurrences. In a crime list the repeats are known while
//! it is written: every crime repeats the previous one's keys, category and month, and a
//! snap point's `location` object repeats wherever the point was listed before. The writer
//! marks them ([`SpanMatcher`]), and [`HintedDeflate`] only Huffman-codes the result: one
//! dynamic block per chunk, coded with tables built from that chunk's own symbols. What is
//! not marked (Persistent IDs, crime ids, a snap point seen for the first time) goes out as
//! literals, coded in about 4 bits a hex digit.
//!
//! The output is plain deflate (RFC 1951) in gzip framing (RFC 1952): any client decodes it.
//! Measured in `benches/RESULTS.md` ("Compressed answers").

/// A repeat of earlier bytes of the same chunk: `length` bytes at `at` are the `length` bytes
/// `distance` before them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    /// Where the repeat starts in the chunk.
    pub at: u32,
    /// How many bytes repeat: at least [`MIN_MATCH`] (longer than deflate's 258 is split).
    pub length: u32,
    /// How far back the earlier copy starts: 1 to [`WINDOW`].
    pub distance: u32,
}

/// Deflate's shortest match.
pub const MIN_MATCH: usize = 3;
/// Deflate's longest match; longer repeats are written as several.
const MAX_MATCH: u32 = 258;
/// Deflate's window: the furthest a match may reach back.
pub const WINDOW: usize = 32 * 1024;

/// Symbols of the literal/length alphabet: 256 literals, end of block, 29 length codes.
const LITLEN_SYMBOLS: usize = 286;
const END_OF_BLOCK: usize = 256;
const DISTANCE_SYMBOLS: usize = 30;
const CODE_LENGTH_SYMBOLS: usize = 19;
/// The order code length code lengths are sent in (RFC 1951 §3.2.7).
const CODE_LENGTH_ORDER: [usize; CODE_LENGTH_SYMBOLS] =
    [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LENGTH_EXTRA: [u8; 29] =
    [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DISTANCE_BASE: [u16; DISTANCE_SYMBOLS] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DISTANCE_EXTRA: [u8; DISTANCE_SYMBOLS] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

/// The length code (0–28) of each match length 0–258 (entries below 3 unused).
const LENGTH_CODE: [u8; 259] = {
    let mut table = [0u8; 259];
    let mut code = 0;
    while code < 29 {
        let first = LENGTH_BASE[code] as usize;
        let last = if code == 28 { 258 } else { LENGTH_BASE[code + 1] as usize - 1 };
        let mut length = first;
        while length <= last {
            table[length] = code as u8;
            length += 1;
        }
        code += 1;
    }
    table
};

/// The distance code of a distance 1–32,768.
fn distance_code(distance: u32) -> usize {
    // Codes 0–3 are the distances 1–4; after that each pair of codes doubles the span.
    let d = distance - 1;
    if d < 4 {
        d as usize
    } else {
        let bits = 31 - d.leading_zeros();
        (2 * bits + ((d >> (bits - 1)) & 1)) as usize
    }
}

/// Bits written least significant first, as deflate packs them, into a buffer of its own
/// kept from call to call (already initialised, so writing needs no capacity checks beyond
/// the slice's bounds): each `put` stores eight bytes and moves on by the whole bytes filled.
struct BitWriter {
    bits: u64,
    /// Bits held in `bits`: fewer than 8 between puts.
    count: u32,
    buffer: Vec<u8>,
    /// Whole bytes written into `buffer`.
    at: usize,
}

impl Drop for BitWriter {
    fn drop(&mut self) {
        crate::answer_buffers::give_back(std::mem::take(&mut self.buffer));
    }
}

impl BitWriter {
    /// Room for `bytes` more whole bytes.
    fn reserve(&mut self, bytes: usize) {
        let wanted = self.at + bytes + 8;
        if self.buffer.len() < wanted {
            if self.buffer.capacity() == 0 {
                // A chunk's block takes ~130 KB: a kept buffer, not a new mapping.
                self.buffer = crate::answer_buffers::take(wanted);
            }
            self.buffer.resize(wanted, 0);
        }
    }

    /// Appends the low `length` bits of `value` (at most 56 at once).
    #[inline(always)]
    fn put(&mut self, value: u64, length: u32) {
        self.bits |= value << self.count;
        self.count += length;
        self.buffer[self.at..self.at + 8].copy_from_slice(&self.bits.to_le_bytes());
        let whole = self.count / 8;
        self.at += whole as usize;
        // At most 7 bytes: never a shift by 64.
        self.bits >>= whole * 8;
        self.count &= 7;
    }

    /// Moves the whole bytes written to `out`; fewer than 8 bits stay.
    fn drain(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.buffer[..self.at]);
        self.at = 0;
    }

    /// Pads to a byte boundary.
    fn align(&mut self) {
        if self.count > 0 {
            self.put(0, 8 - self.count);
        }
    }
}

/// A Huffman code: each symbol's bit length and its code, bit-reversed for writing.
struct Code<const N: usize> {
    lengths: [u8; N],
    codes: [u16; N],
}

impl<const N: usize> Code<N> {
    /// The optimal code of at most `limit` bits for `frequencies`, complete (at least two
    /// symbols get a code, so strict decoders accept it).
    fn build(frequencies: &[u32; N], limit: u8) -> Self {
        let lengths = code_lengths(frequencies, limit);
        Code { codes: canonical_codes(&lengths), lengths }
    }

    #[inline(always)]
    fn write(&self, symbol: usize, bits: &mut BitWriter) {
        bits.put(u64::from(self.codes[symbol]), u32::from(self.lengths[symbol]));
    }
}

/// Optimal code lengths for `frequencies` (Huffman), limited to `limit` bits the way zlib
/// and miniz limit them (moving leaves up from the deepest level until the lengths fit).
fn code_lengths<const N: usize>(frequencies: &[u32; N], limit: u8) -> [u8; N] {
    let mut used: Vec<(u32, usize)> = frequencies
        .iter()
        .enumerate()
        .filter(|(_, &f)| f > 0)
        .map(|(symbol, &f)| (f, symbol))
        .collect();
    // Fewer than two symbols make an incomplete code, which strict decoders refuse: add
    // unused ones (they cost nothing in the data, a few bits in the header).
    let mut filler = 0;
    while used.len() < 2 {
        if frequencies[filler] == 0 {
            used.push((1, filler));
        }
        filler += 1;
    }
    used.sort_unstable();
    // Huffman's construction over the sorted leaves, two queues (leaves, then merged nodes):
    // `parent` links every node to its parent; leaves are 0..n, merged nodes n.. in order.
    let n = used.len();
    let mut weight: Vec<u64> = used.iter().map(|&(f, _)| u64::from(f)).collect();
    let mut parent = vec![0usize; 2 * n - 1];
    let (mut next_leaf, mut next_node) = (0, n);
    for merged in n..2 * n - 1 {
        let mut take = || {
            if next_leaf < n && (next_node >= merged || weight[next_leaf] <= weight[next_node]) {
                next_leaf += 1;
                next_leaf - 1
            } else {
                next_node += 1;
                next_node - 1
            }
        };
        let (a, b) = (take(), take());
        weight.push(weight[a] + weight[b]);
        parent[a] = merged;
        parent[b] = merged;
    }
    // Depths from the root (the last node) down.
    let mut depth = vec![0u32; 2 * n - 1];
    for node in (0..2 * n - 2).rev() {
        depth[node] = depth[parent[node]] + 1;
    }
    // How many leaves at each depth, the deepest folded onto `limit`, then the Kraft sum
    // mended: each step moves a leaf from the deepest level down to a shallower one.
    let limit = usize::from(limit);
    let mut per_length = [0u32; 64];
    for &d in &depth[..n] {
        per_length[(d as usize).min(limit)] += 1;
    }
    let kraft = |per_length: &[u32; 64]| -> u64 {
        (1..=limit).map(|l| u64::from(per_length[l]) << (limit - l)).sum()
    };
    let mut total = kraft(&per_length);
    while total > 1 << limit {
        per_length[limit] -= 1;
        for l in (1..limit).rev() {
            if per_length[l] > 0 {
                per_length[l] -= 1;
                per_length[l + 1] += 2;
                break;
            }
        }
        total -= 1;
    }
    // The most frequent symbols (last in `used`) take the shortest lengths.
    let mut lengths = [0u8; N];
    let mut symbols = used.iter().rev();
    for (length, &count) in per_length.iter().enumerate().take(limit + 1).skip(1) {
        for _ in 0..count {
            let &(_, symbol) = symbols.next().expect("as many lengths as symbols");
            lengths[symbol] = length as u8;
        }
    }
    lengths
}

/// Canonical Huffman codes for `lengths` (RFC 1951 §3.2.2), bit-reversed.
fn canonical_codes<const N: usize>(lengths: &[u8; N]) -> [u16; N] {
    let mut count = [0u16; 16];
    for &length in lengths {
        count[usize::from(length)] += 1;
    }
    count[0] = 0;
    let mut next = [0u16; 16];
    let mut code = 0u16;
    for bits in 1..16 {
        code = (code + count[bits - 1]) << 1;
        next[bits] = code;
    }
    let mut codes = [0u16; N];
    for (symbol, &length) in lengths.iter().enumerate() {
        if length > 0 {
            let code = next[usize::from(length)];
            next[usize::from(length)] += 1;
            codes[symbol] = code.reverse_bits() >> (16 - length);
        }
    }
    codes
}

/// The pieces a match is written as: at most 258 bytes each, none shorter than 3.
fn match_pieces(length: u32) -> impl Iterator<Item = u32> {
    let mut left = length;
    std::iter::from_fn(move || {
        if left == 0 {
            return None;
        }
        let piece = if left <= MAX_MATCH {
            left
        } else if left - MAX_MATCH < MIN_MATCH as u32 {
            left - MIN_MATCH as u32
        } else {
            MAX_MATCH
        };
        left -= piece;
        Some(piece)
    })
}

/// Raw deflate of a stream written chunk by chunk, each chunk with its matches.
pub struct HintedDeflate {
    bits: BitWriter,
}

impl Default for HintedDeflate {
    fn default() -> Self {
        HintedDeflate { bits: BitWriter { bits: 0, count: 0, buffer: Vec::new(), at: 0 } }
    }
}

impl HintedDeflate {
    /// Writes `data` as one dynamic-Huffman block (not the last), its `matches` in order of
    /// position, not overlapping, each within `data` and reaching back no further than its
    /// start (checked in debug builds). Whole bytes go to `out`; up to 7 bits wait for the
    /// next call.
    pub fn block(&mut self, data: &[u8], matches: &[Match], out: &mut Vec<u8>) {
        let mut litlen = [0u32; LITLEN_SYMBOLS];
        let mut distances = [0u32; DISTANCE_SYMBOLS];
        let mut at = 0usize;
        for m in matches {
            debug_assert!(m.at as usize >= at && m.distance as usize <= WINDOW);
            debug_assert!(m.distance <= m.at && (m.at + m.length) as usize <= data.len());
            debug_assert!(
                data[(m.at - m.distance) as usize..][..m.length as usize]
                    == data[m.at as usize..][..m.length as usize]
                    || m.distance < m.length,
                "a match must repeat earlier bytes"
            );
            for &byte in &data[at..m.at as usize] {
                litlen[usize::from(byte)] += 1;
            }
            let distance = distance_code(m.distance);
            for piece in match_pieces(m.length) {
                litlen[257 + usize::from(LENGTH_CODE[piece as usize])] += 1;
                distances[distance] += 1;
            }
            at = (m.at + m.length) as usize;
        }
        for &byte in &data[at..] {
            litlen[usize::from(byte)] += 1;
        }
        litlen[END_OF_BLOCK] = 1;
        let litlen = Code::build(&litlen, 15);
        let distances = Code::build(&distances, 15);
        // The tables take at most 562 bytes (14 + 19 × 3 bits, then at most 316 run-length
        // symbols of at most 7 + 7 bits); a literal under 2 bytes, and a match piece (at most
        // 48 bits) covers at least 3 bytes.
        self.bits.reserve(600 + 2 * data.len());
        // Block header: not final, dynamic Huffman codes (BTYPE 2).
        self.bits.put(0b100, 3);
        self.write_tables(&litlen, &distances);
        let mut at = 0usize;
        for m in matches {
            self.literals(&litlen, &data[at..m.at as usize]);
            let distance = distance_code(m.distance);
            // The distance's code and extra bits, written after each piece's length.
            let distance_bits = u32::from(distances.lengths[distance]);
            let distance_value = u64::from(distances.codes[distance])
                | u64::from(m.distance - u32::from(DISTANCE_BASE[distance])) << distance_bits;
            let distance_bits = distance_bits + u32::from(DISTANCE_EXTRA[distance]);
            for piece in match_pieces(m.length) {
                let code = usize::from(LENGTH_CODE[piece as usize]);
                let symbol = 257 + code;
                let length_bits = u32::from(litlen.lengths[symbol]);
                let length_value = u64::from(litlen.codes[symbol])
                    | u64::from(piece - u32::from(LENGTH_BASE[code])) << length_bits;
                let length_bits = length_bits + u32::from(LENGTH_EXTRA[code]);
                // At most 20 + 28 bits: one put.
                self.bits
                    .put(length_value | distance_value << length_bits, length_bits + distance_bits);
            }
            at = (m.at + m.length) as usize;
        }
        self.literals(&litlen, &data[at..]);
        litlen.write(END_OF_BLOCK, &mut self.bits);
        self.bits.drain(out);
    }

    fn literals(&mut self, code: &Code<LITLEN_SYMBOLS>, bytes: &[u8]) {
        // Three literals (at most 45 bits) at a time.
        let mut triples = bytes.chunks_exact(3);
        for triple in &mut triples {
            let (a, b, c) =
                (usize::from(triple[0]), usize::from(triple[1]), usize::from(triple[2]));
            let (la, lb) = (u32::from(code.lengths[a]), u32::from(code.lengths[b]));
            let value = u64::from(code.codes[a])
                | u64::from(code.codes[b]) << la
                | u64::from(code.codes[c]) << (la + lb);
            self.bits.put(value, la + lb + u32::from(code.lengths[c]));
        }
        for &byte in triples.remainder() {
            code.write(usize::from(byte), &mut self.bits);
        }
    }

    /// The two codes' lengths, run-length coded with a code of their own (RFC 1951 §3.2.7).
    fn write_tables(&mut self, litlen: &Code<LITLEN_SYMBOLS>, distances: &Code<DISTANCE_SYMBOLS>) {
        let used = |lengths: &[u8], least: usize| {
            lengths.iter().rposition(|&l| l > 0).map_or(least, |last| (last + 1).max(least))
        };
        let litlen_count = used(&litlen.lengths, 257);
        let distance_count = used(&distances.lengths, 1);
        let lengths: Vec<u8> = litlen.lengths[..litlen_count]
            .iter()
            .chain(&distances.lengths[..distance_count])
            .copied()
            .collect();
        // (symbol, extra bits value) of the run-length coding.
        let mut runs: Vec<(u8, u8)> = Vec::with_capacity(lengths.len());
        let mut i = 0;
        while i < lengths.len() {
            let length = lengths[i];
            let run = lengths[i..].iter().take_while(|&&l| l == length).count();
            let mut left = run;
            if length == 0 {
                while left >= 11 {
                    let take = left.min(138);
                    runs.push((18, (take - 11) as u8));
                    left -= take;
                }
                if left >= 3 {
                    runs.push((17, (left - 3) as u8));
                    left = 0;
                }
            } else {
                runs.push((length, 0));
                left -= 1;
                while left >= 3 {
                    let take = left.min(6);
                    runs.push((16, (take - 3) as u8));
                    left -= take;
                }
            }
            runs.extend(std::iter::repeat_n((length, 0), left));
            i += run;
        }
        let mut frequencies = [0u32; CODE_LENGTH_SYMBOLS];
        for &(symbol, _) in &runs {
            frequencies[usize::from(symbol)] += 1;
        }
        let code = Code::build(&frequencies, 7);
        let code_length_count = CODE_LENGTH_ORDER
            .iter()
            .rposition(|&symbol| code.lengths[symbol] > 0)
            .map_or(4, |last| (last + 1).max(4));
        self.bits.put((litlen_count - 257) as u64, 5);
        self.bits.put((distance_count - 1) as u64, 5);
        self.bits.put((code_length_count - 4) as u64, 4);
        for &symbol in &CODE_LENGTH_ORDER[..code_length_count] {
            self.bits.put(u64::from(code.lengths[symbol]), 3);
        }
        for (symbol, extra) in runs {
            code.write(usize::from(symbol), &mut self.bits);
            match symbol {
                16 => self.bits.put(u64::from(extra), 2),
                17 => self.bits.put(u64::from(extra), 3),
                18 => self.bits.put(u64::from(extra), 7),
                _ => {}
            }
        }
    }

    /// Makes everything written so far decodable: an empty stored block pads to a byte
    /// boundary (a "sync flush").
    pub fn sync_flush(&mut self, out: &mut Vec<u8>) {
        self.bits.reserve(16);
        self.bits.put(0, 3);
        self.bits.align();
        self.bits.put(0xffff_0000, 32);
        self.bits.drain(out);
    }

    /// Ends the stream: an empty last block (fixed codes: only the end-of-block code, seven
    /// zero bits), padded to a byte.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        self.bits.reserve(16);
        self.bits.put(0b011, 3);
        self.bits.put(0, 7);
        self.bits.align();
        self.bits.drain(out);
    }
}

/// gzip (RFC 1952) around [`HintedDeflate`].
pub struct HintedGzip {
    deflate: HintedDeflate,
    checksum: crc32fast::Hasher,
    length: u64,
    started: bool,
}

impl Default for HintedGzip {
    fn default() -> Self {
        HintedGzip {
            deflate: HintedDeflate::default(),
            checksum: crc32fast::Hasher::new(),
            length: 0,
            started: false,
        }
    }
}

impl HintedGzip {
    /// gzip's header: deflate, no name or time, operating system unknown.
    const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

    /// A whole answer, with its matches, as one gzip stream.
    pub fn whole(data: &[u8], matches: &[Match]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() / 3 + 64);
        let mut stream = HintedGzip::default();
        stream.chunk(data, matches, &mut out);
        stream.finish(&mut out);
        out
    }

    /// Compresses the next chunk of the answer, with its matches (see
    /// [`HintedDeflate::block`]); the header first.
    pub fn chunk(&mut self, data: &[u8], matches: &[Match], out: &mut Vec<u8>) {
        if !self.started {
            out.extend_from_slice(&Self::HEADER);
            self.started = true;
        }
        self.checksum.update(data);
        self.length += data.len() as u64;
        if !data.is_empty() {
            self.deflate.block(data, matches, out);
        }
    }

    /// Makes everything so far decodable by the client (a chunk that is sent).
    pub fn flush(&mut self, out: &mut Vec<u8>) {
        self.deflate.sync_flush(out);
    }

    /// Ends the answer: the last block and the trailer.
    pub fn finish(mut self, out: &mut Vec<u8>) {
        if !self.started {
            out.extend_from_slice(&Self::HEADER);
        }
        self.deflate.finish(out);
        out.extend_from_slice(&self.checksum.finalize().to_le_bytes());
        // ISIZE: the input's length modulo 2^32.
        out.extend_from_slice(&(self.length as u32).to_le_bytes());
    }
}

/// Marks, while a chunk is written, which stretches of it repeat earlier ones (see the
/// module documentation). The writer calls [`literal`](SpanMarks::literal) after bytes not
/// worth looking up and [`repeatable`](SpanMarks::repeatable) after bytes that may have been
/// written before; each call covers what was written since the previous one.
pub trait SpanMarks {
    /// The bytes since the last mark are one-off.
    fn literal(&mut self, out: &[u8]);
    /// The bytes since the last mark may repeat earlier ones.
    fn repeatable(&mut self, out: &[u8]);
}

/// No marks: the plain answer.
pub struct NoMarks;

impl SpanMarks for NoMarks {
    #[inline(always)]
    fn literal(&mut self, _: &[u8]) {}
    #[inline(always)]
    fn repeatable(&mut self, _: &[u8]) {}
}

/// Slots of [`SpanMatcher`]'s table of stretches seen (a power of two).
const SPAN_SLOTS: usize = 2048;
/// Slots of [`SpanMatcher`]'s table of 4-byte sequences (a power of two).
const SEQUENCE_SLOTS: usize = 4096;

/// Finds the repeats among marked stretches: each repeatable stretch is looked up by its
/// hash among those written before in the chunk (the latest of each kept), and compared.
/// A repeatable stretch not found whole (a snap point listed for the first time) is searched
/// the way deflate's fastest level searches, greedily through a table of 4-byte sequences,
/// but only against other such stretches: its keys, the street's name, the coordinates'
/// leading digits.
#[derive(Debug)]
pub struct SpanMatcher {
    /// Where the current stretch starts.
    mark: usize,
    matches: Vec<Match>,
    /// What the tables hold for position 0 of the current chunk: entries below it are of
    /// earlier chunks, so a reset moves it past the chunk rather than clearing the tables
    /// (48 KB, more than a small answer's own work).
    base: u32,
    /// (hash, base + start, length) of the latest stretch in each slot; length 0: empty.
    seen: Box<[(u64, u32, u32)]>,
    /// 1 + base + the latest position of a 4-byte sequence in each slot; 0: empty.
    sequences: Box<[u32]>,
}

impl Default for SpanMatcher {
    fn default() -> Self {
        SpanMatcher {
            mark: 0,
            matches: Vec::new(),
            base: 0,
            seen: vec![(0, 0, 0); SPAN_SLOTS].into(),
            sequences: vec![0; SEQUENCE_SLOTS].into(),
        }
    }
}

impl SpanMatcher {
    /// Ready for a new chunk (the tables' memory kept).
    pub fn reset(&mut self) {
        // Every position the tables hold is below the last mark (see `repeatable`).
        match u32::try_from(self.mark + 1).ok().and_then(|end| self.base.checked_add(end)) {
            Some(base) if base < u32::MAX / 2 => self.base = base,
            _ => {
                self.base = 0;
                self.seen.fill((0, 0, 0));
                self.sequences.fill(0);
            }
        }
        self.mark = 0;
        self.matches.clear();
    }

    /// Greedy matching of `out[start..]` against earlier searched stretches.
    fn search(&mut self, out: &[u8], start: usize) {
        let end = out.len();
        let mut at = start;
        while at + 4 <= end {
            let sequence = u32::from_le_bytes(out[at..at + 4].try_into().expect("four bytes"));
            let slot = (sequence.wrapping_mul(0x9E37_79B1) >> 20) as usize & (SEQUENCE_SLOTS - 1);
            let candidate = self.sequences[slot];
            self.sequences[slot] = self.base + at as u32 + 1;
            if candidate > self.base {
                let earlier = (candidate - self.base - 1) as usize;
                if at - earlier <= WINDOW && out[earlier..earlier + 4] == out[at..at + 4] {
                    let length = 4 + common_length(&out[earlier + 4..], &out[at + 4..end]);
                    self.record(at, length, at - earlier);
                    at += length;
                    continue;
                }
            }
            at += 1;
        }
    }

    /// The matches found in the chunk so far, in order.
    pub fn matches(&self) -> &[Match] {
        &self.matches
    }

    fn record(&mut self, at: usize, length: usize, distance: usize) {
        if let Some(last) = self.matches.last_mut() {
            // Continuing the previous match at the same distance: one longer match.
            if (last.at + last.length) as usize == at && last.distance as usize == distance {
                last.length += length as u32;
                return;
            }
        }
        self.matches.push(Match {
            at: at as u32,
            length: length as u32,
            distance: distance as u32,
        });
    }
}

/// How many leading bytes `a` and `b` have in common, compared eight at a time.
fn common_length(a: &[u8], b: &[u8]) -> usize {
    let limit = a.len().min(b.len());
    let mut n = 0;
    while n + 8 <= limit {
        let word = |bytes: &[u8]| u64::from_le_bytes(bytes[n..n + 8].try_into().expect("eight"));
        let difference = word(a) ^ word(b);
        if difference != 0 {
            return n + (difference.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    n + a[n..limit].iter().zip(&b[n..limit]).take_while(|(x, y)| x == y).count()
}

fn hash_bytes(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut hash = bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        hash = (hash.rotate_left(5) ^ word).wrapping_mul(K);
    }
    for &byte in words.remainder() {
        hash = (hash.rotate_left(5) ^ u64::from(byte)).wrapping_mul(K);
    }
    hash
}

impl SpanMarks for SpanMatcher {
    #[inline]
    fn literal(&mut self, out: &[u8]) {
        self.mark = out.len();
    }

    fn repeatable(&mut self, out: &[u8]) {
        let start = self.mark;
        self.mark = out.len();
        let span = &out[start..];
        if span.len() < MIN_MATCH {
            return;
        }
        let hash = hash_bytes(span);
        let slot = &mut self.seen[(hash as usize >> 7) & (SPAN_SLOTS - 1)];
        let (seen_hash, seen_at, seen_length) = *slot;
        *slot = (hash, self.base + start as u32, span.len() as u32);
        let Some(seen_at) = seen_at.checked_sub(self.base) else {
            self.search(out, start);
            return;
        };
        let seen_at = seen_at as usize;
        if seen_length as usize == span.len()
            && seen_hash == hash
            && start - seen_at <= WINDOW
            && out[seen_at..seen_at + span.len()] == *span
        {
            self.record(start, span.len(), start - seen_at);
        } else {
            self.search(out, start);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).expect("valid gzip");
        out
    }

    /// A generator of pseudo-random numbers (xorshift), so cases are repeatable.
    struct Random(u64);
    impl Random {
        fn next(&mut self, below: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % below
        }
    }

    /// Random data made of copies of its own earlier bytes, with the matches that made it.
    fn chunk_with_matches(random: &mut Random, size: usize) -> (Vec<u8>, Vec<Match>) {
        let mut data = Vec::with_capacity(size);
        let mut matches = Vec::new();
        let alphabet = 1 + random.next(255) as u8;
        while data.len() < size {
            if data.len() >= 8 && random.next(3) > 0 {
                let distance = 1 + random.next(data.len().min(WINDOW) as u64) as usize;
                let length = MIN_MATCH + random.next(700) as usize;
                let at = data.len();
                for i in 0..length {
                    data.push(data[at - distance + i]);
                }
                matches.push(Match {
                    at: at as u32,
                    length: length as u32,
                    distance: distance as u32,
                });
            } else {
                for _ in 0..random.next(40) {
                    data.push(random.next(u64::from(alphabet)) as u8);
                }
            }
        }
        (data, matches)
    }

    #[test]
    fn hinted_gzip_decodes_to_its_input_across_chunks_and_flushes() {
        let mut random = Random(0x5eed);
        for case in 0..200 {
            let mut gzip = HintedGzip::default();
            let mut out = Vec::new();
            let mut input = Vec::new();
            for chunk in 0..(case % 5) {
                let (data, matches) = chunk_with_matches(&mut random, 1 + chunk * 20_000);
                gzip.chunk(&data, &matches, &mut out);
                if random.next(2) == 0 {
                    gzip.flush(&mut out);
                }
                input.extend_from_slice(&data);
            }
            gzip.finish(&mut out);
            assert!(gunzip(&out) == input, "case {case}: decoded bytes differ");
            // miniz_oxide's inflate as a second, independent decoder.
            let deflated = &out[10..out.len() - 8];
            let inflated = miniz_oxide::inflate::decompress_to_vec(deflated).expect("inflates");
            assert!(inflated == input, "case {case}: miniz_oxide differs");
        }
    }

    #[test]
    fn a_chunk_without_matches_and_with_one_symbol_still_decodes() {
        for data in [vec![b'a'; 5000], vec![0u8; 1], (0..=255u8).collect::<Vec<_>>()] {
            let mut gzip = HintedGzip::default();
            let mut out = Vec::new();
            gzip.chunk(&data, &[], &mut out);
            gzip.finish(&mut out);
            assert_eq!(gunzip(&out), data);
        }
        let mut out = Vec::new();
        HintedGzip::default().finish(&mut out);
        assert_eq!(gunzip(&out), b"");
    }

    #[test]
    fn code_lengths_fit_their_limit_and_are_complete() {
        // Fibonacci frequencies make the deepest unlimited Huffman tree.
        let mut frequencies = [0u32; LITLEN_SYMBOLS];
        let (mut a, mut b) = (1u32, 1u32);
        for f in frequencies.iter_mut().take(40) {
            *f = a;
            (a, b) = (b, a.saturating_add(b));
        }
        let lengths = code_lengths(&frequencies, 15);
        assert!(lengths.iter().all(|&l| l <= 15));
        let kraft: u64 = lengths.iter().filter(|&&l| l > 0).map(|&l| 1u64 << (15 - l)).sum();
        assert_eq!(kraft, 1 << 15);
        assert!(lengths[..40].iter().all(|&l| l > 0) && lengths[40..].iter().all(|&l| l == 0));
    }

    #[test]
    fn distance_codes_cover_each_range() {
        for (code, (&base, &extra)) in DISTANCE_BASE.iter().zip(&DISTANCE_EXTRA).enumerate() {
            let last = u32::from(base) + (1 << extra) - 1;
            assert_eq!(distance_code(u32::from(base)), code);
            assert_eq!(distance_code(last), code, "{last}");
        }
        for (length, &code) in LENGTH_CODE.iter().enumerate().skip(3) {
            let code = usize::from(code);
            let base = usize::from(LENGTH_BASE[code]);
            assert!(length >= base && length - base < 1 << LENGTH_EXTRA[code], "{length}");
        }
    }

    #[test]
    fn marked_repeats_become_matches_that_decode() {
        let mut matcher = SpanMatcher::default();
        let mut out = Vec::new();
        for i in 0..500 {
            out.extend_from_slice(b",{\"category\":\"burglary\",\"id\":");
            matcher.repeatable(&out);
            out.extend_from_slice(format!("{}", 1000 + i * 7).as_bytes());
            matcher.literal(&out);
            out.extend_from_slice(format!(",\"location\":{{\"p\":{}}}}}", i % 13).as_bytes());
            matcher.repeatable(&out);
        }
        // Each record's opening repeats the previous one's; each location from the 14th on.
        assert!(matcher.matches().len() > 900, "{} matches", matcher.matches().len());
        let mut gzip = HintedGzip::default();
        let mut compressed = Vec::new();
        gzip.chunk(&out, matcher.matches(), &mut compressed);
        gzip.finish(&mut compressed);
        assert_eq!(gunzip(&compressed), out);
        assert!(compressed.len() < out.len() / 4, "{} of {}", compressed.len(), out.len());
    }

    /// A chunk of records marked as the crime writer marks them, its content varying with
    /// `seed`.
    fn marked_chunk(seed: usize, matcher: &mut SpanMatcher) -> Vec<u8> {
        let mut out = Vec::new();
        for i in 0..200 + seed * 37 {
            out.extend_from_slice(
                format!(",{{\"category\":\"c{}\",\"id\":", i % (seed + 2)).as_bytes(),
            );
            matcher.repeatable(&out);
            out.extend_from_slice(format!("{}", seed * 100_000 + i * 7).as_bytes());
            matcher.literal(&out);
            out.extend_from_slice(
                format!(",\"location\":{{\"p\":{}}}}}", (i * seed) % 17).as_bytes(),
            );
            matcher.repeatable(&out);
        }
        out
    }

    #[test]
    fn a_reset_matcher_finds_what_a_fresh_one_finds() {
        // One matcher through chunks of different sizes (as a thread's matcher is kept):
        // nothing it finds reaches into an earlier chunk, also where its tables' numbering
        // starts again.
        let mut reused = SpanMatcher::default();
        for round in 0..8 {
            if round == 5 {
                reused.base = u32::MAX / 2 - 100;
            }
            reused.reset();
            let out = marked_chunk(round % 4, &mut reused);
            let mut fresh = SpanMatcher::default();
            assert_eq!(marked_chunk(round % 4, &mut fresh), out);
            assert_eq!(reused.matches(), fresh.matches(), "round {round}");
            assert!(!fresh.matches().is_empty());
            assert_eq!(gunzip(&HintedGzip::whole(&out, reused.matches())), out);
        }
    }
}
