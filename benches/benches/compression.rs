//! Criterion benchmark of compressing answers as clients ask for them (`api/src/compress.rs`):
//! each coding at the level the server uses, on real police.uk answers (saved
//! `/api/crimes-street/all-crime` answers in `../shared/data/police-uk/api/crimes-street/`),
//! held whole and fed in the 64 KiB pieces of a streamed answer. Before measuring it prints
//! each coding's size against the answer and against `gzip -6` of it.
//!
//! Without the shared data it says so and exits successfully without measuring anything.
//!
//! `cargo bench -p police-benches --bench compression`

use std::path::PathBuf;

use criterion::{Criterion, Throughput};
use police_api::compress::{compress_whole, Coding, StreamEncoder};

const CODINGS: [Coding; 3] = [Coding::Zstd, Coding::Brotli, Coding::Gzip];

fn answers() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/police-uk/api/crimes-street");
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut answers: Vec<(String, Vec<u8>)> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .filter_map(|path| {
            let name = path.file_stem()?.to_string_lossy().into_owned();
            Some((name, std::fs::read(&path).ok()?))
        })
        .collect();
    answers.sort();
    answers
}

fn gzip_6(input: &[u8]) -> usize {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    encoder.write_all(input).expect("in memory");
    encoder.finish().expect("in memory").len()
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    let answers = answers();
    if answers.is_empty() {
        eprintln!(
            "compression skipped: no saved police.uk answers under \
             ../shared/data/police-uk/api/crimes-street"
        );
        return;
    }
    eprintln!("machine: {}", police_benches::machine_description());
    for (name, answer) in &answers {
        let reference = gzip_6(answer);
        eprintln!("{name}: {} bytes; gzip -6 {reference}", answer.len());
        for coding in CODINGS {
            let size = compress_whole(coding, answer).expect("in memory").len();
            eprintln!(
                "  {:>4}: {size:>7} bytes, {:.1} % of the answer, {:.0} % of gzip -6",
                coding.token(),
                100.0 * size as f64 / answer.len() as f64,
                100.0 * size as f64 / reference as f64
            );
        }
    }
    let (name, answer) = &answers[0];
    let mut group = criterion.benchmark_group("compression");
    group.throughput(Throughput::Bytes(answer.len() as u64));
    for coding in CODINGS {
        group.bench_function(format!("{}/whole/{name}", coding.token()), |b| {
            b.iter(|| compress_whole(coding, answer).expect("in memory"))
        });
        group.bench_function(format!("{}/streamed/{name}", coding.token()), |b| {
            b.iter(|| {
                let mut encoder = StreamEncoder::new(coding).expect("an encoder");
                let mut total = 0;
                for piece in answer.chunks(64 * 1024) {
                    encoder.write(piece).expect("in memory");
                    total += encoder.take().len();
                }
                total + encoder.finish().expect("in memory").len()
            })
        });
    }
    group.bench_function(format!("gzip-6-flate2/whole/{name}"), |b| b.iter(|| gzip_6(answer)));
    group.finish();
    criterion.final_summary();
}
