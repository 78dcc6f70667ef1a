//! Street crimes, outcomes and stop-and-search records of one force, month by month, written
//! straight into the three CSV files police.uk publishes.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use anyhow::Context as _;

use super::places::poi_kind;
use super::rng::{hash, mix64, unit, Alias, Rng};
use super::snap::SnapPoints;
use super::text::{csv_field, push_hex, push_micro, push_padded};
use police_index::reference::{
    Force, CRIME_CATEGORIES, CURRENT_CRIME_CATEGORY_COUNT, OUTCOME_CATEGORIES,
};
use police_index::Month;

pub const STREET_HEADER: &str = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context";
pub const OUTCOMES_HEADER: &str = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Outcome type";
pub const STOPS_HEADER: &str = "Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,Gender,Age range,Self-defined ethnicity,Officer-defined ethnicity,Legislation,Object of search,Outcome,Outcome linked to object of search,Removal of more than just outer clothing";

const TAG_CRIMES: u64 = 0x6372_696d;
const TAG_STOPS: u64 = 0x7374_6f70;
const TAG_STYLE: u64 = 0x7374_796c;
const TAG_IDS: u64 = 0x6964_7321;
const TAG_CATEGORIES: u64 = 0x6361_7473;

const CATEGORIES: usize = CURRENT_CRIME_CATEGORY_COUNT;
const ASB: u8 = 0;
const NO_POINT: u32 = u32::MAX;

/// Share of each current category (in `CRIME_CATEGORIES` order), percent.
const CATEGORY_SHARE: [f64; CATEGORIES] =
    [20.0, 1.5, 5.0, 8.0, 3.0, 9.0, 1.0, 9.0, 1.0, 7.0, 2.0, 6.0, 30.0, 2.0];

/// Anti-social behaviour peaks in summer.
const ASB_SEASON: [f64; 12] = [0.85, 0.85, 0.95, 1.0, 1.1, 1.15, 1.2, 1.15, 1.05, 1.0, 0.9, 0.85];

/// How strongly crimes of a category gather at a kind of place (POI index, or streets).
fn affinity(category: usize, poi: Option<usize>) -> f64 {
    use poi_kind::*;
    let Some(kind) = poi else {
        return match category {
            2 => 1.5,  // burglary: homes
            9 => 0.15, // shoplifting: hardly on residential streets
            10 => 0.5, // theft from the person
            _ => 1.0,
        };
    };
    match (category, kind) {
        (9, SUPERMARKET) => 25.0,
        (9, SHOPPING) => 15.0,
        (9, PETROL) => 8.0,
        (9, STATION) => 3.0,
        (9, _) => 0.3,
        (11, PARKING) => 6.0,
        (11, SUPERMARKET) => 2.0,
        (12, NIGHTCLUB) => 3.0,
        (12, HOSPITAL | POLICE) => 3.0,
        (12, SHOPPING | PRISON) => 2.0,
        (7, NIGHTCLUB) => 3.0,
        (7, SHOPPING | POLICE | STATION) => 2.0,
        (1, EDUCATION) => 5.0,
        (1, BUS | STATION) => 4.0,
        (1, SHOPPING) => 3.0,
        (1, SUPERMARKET) => 2.0,
        (10, SHOPPING) => 4.0,
        (10, NIGHTCLUB | BUS | STATION) => 4.0,
        (10, THEATRE) => 3.0,
        (5, HOSPITAL) => 3.0,
        (5, SUPERMARKET | SHOPPING | SPORTS | STATION) => 2.0,
        (4, NIGHTCLUB | POLICE) => 3.0,
        (4, PARK) => 2.0,
        (6, POLICE | NIGHTCLUB) => 2.0,
        (8, SHOPPING) => 3.0,
        (8, BUS | STATION) => 2.0,
        (0, PARK) => 3.0,
        (0, SHOPPING | SPORTS) => 2.0,
        (3, PARKING | SPORTS) => 1.5,
        (13, PRISON) => 10.0,
        (13, POLICE) => 4.0,
        (2, _) => 0.3,
        _ => 1.0,
    }
}

fn outcome_index(code: &str) -> u8 {
    OUTCOME_CATEGORIES.iter().position(|o| o.code == code).expect("known outcome code") as u8
}

/// Final outcomes by category group, as (code, weight).
const THEFT_OUTCOMES: &[(&str, f64)] = &[
    ("no-further-action", 62.0),
    ("unable-to-prosecute", 17.0),
    ("charged", 5.0),
    ("further-investigation-not-in-public-interest", 4.0),
    ("local-resolution", 2.5),
    ("action-taken-by-another-organisation", 2.0),
    ("formal-action-not-in-public-interest", 1.5),
    ("cautioned", 1.0),
    ("status-update-unavailable", 0.5),
];
const VIOLENCE_OUTCOMES: &[(&str, f64)] = &[
    ("unable-to-prosecute", 52.0),
    ("no-further-action", 14.0),
    ("charged", 9.0),
    ("local-resolution", 5.0),
    ("action-taken-by-another-organisation", 4.0),
    ("cautioned", 3.0),
    ("formal-action-not-in-public-interest", 3.0),
    ("further-investigation-not-in-public-interest", 3.0),
    ("further-action-not-in-public-interest", 2.0),
    ("penalty-notice-issued", 0.5),
];
const SHOPLIFTING_OUTCOMES: &[(&str, f64)] = &[
    ("no-further-action", 40.0),
    ("charged", 16.0),
    ("unable-to-prosecute", 10.0),
    ("local-resolution", 8.0),
    ("cautioned", 5.0),
    ("penalty-notice-issued", 3.0),
    ("further-investigation-not-in-public-interest", 3.0),
    ("formal-action-not-in-public-interest", 2.0),
    ("compensation", 0.5),
];
const DRUGS_OUTCOMES: &[(&str, f64)] = &[
    ("charged", 20.0),
    ("local-resolution", 20.0),
    ("drugs-possession-warning", 15.0),
    ("cautioned", 10.0),
    ("unable-to-prosecute", 10.0),
    ("penalty-notice-issued", 5.0),
    ("formal-action-not-in-public-interest", 5.0),
    ("further-action-not-in-public-interest", 3.0),
    ("no-further-action", 2.0),
];
const WEAPONS_OUTCOMES: &[(&str, f64)] = &[
    ("charged", 35.0),
    ("unable-to-prosecute", 20.0),
    ("cautioned", 10.0),
    ("local-resolution", 5.0),
    ("no-further-action", 5.0),
    ("formal-action-not-in-public-interest", 5.0),
    ("action-taken-by-another-organisation", 2.0),
];
const OTHER_OUTCOMES: &[(&str, f64)] = &[
    ("unable-to-prosecute", 35.0),
    ("no-further-action", 20.0),
    ("charged", 10.0),
    ("action-taken-by-another-organisation", 10.0),
    ("formal-action-not-in-public-interest", 5.0),
    ("local-resolution", 5.0),
    ("sentenced-in-another-case", 1.0),
];
/// What happens at court after a charge.
const COURT_OUTCOMES: &[(&str, f64)] = &[
    ("imprisoned", 14.0),
    ("suspended-sentence", 10.0),
    ("community-penalty", 10.0),
    ("fined", 12.0),
    ("conditional-discharge", 6.0),
    ("not-guilty", 8.0),
    ("unable-to-proceed", 5.0),
    ("court-result-unavailable", 12.0),
    ("awaiting-court-result", 10.0),
    ("sent-to-crown-court", 3.0),
    ("deprived-of-property", 2.0),
    ("compensation", 2.0),
    ("other-court-disposal", 3.0),
    ("absolute-discharge", 1.0),
    ("sentenced-in-another-case", 2.0),
];

fn outcome_group(category: u8) -> usize {
    match category {
        7 | 12 => 1,
        9 => 2,
        4 => 3,
        6 => 4,
        13 => 5,
        _ => 0,
    }
}

/// A weighted list of outcome codes.
#[derive(Debug, Clone)]
struct OutcomeTable {
    codes: Vec<u8>,
    weights: Vec<f64>,
}

impl OutcomeTable {
    fn new(list: &[(&str, f64)]) -> Self {
        OutcomeTable {
            codes: list.iter().map(|(code, _)| outcome_index(code)).collect(),
            weights: list.iter().map(|(_, w)| *w).collect(),
        }
    }

    fn pick(&self, rng: &mut Rng) -> u8 {
        self.codes[rng.weighted(&self.weights)]
    }
}

/// Fixed stop-and-search value lists.
const STOP_TYPES: [(&str, f64); 3] =
    [("Person search", 70.0), ("Person and Vehicle search", 25.0), ("Vehicle search", 5.0)];
const GENDERS: [(&str, f64); 4] = [("Male", 89.0), ("Female", 9.5), ("Other", 0.1), ("", 1.4)];
const AGES: [(&str, f64); 6] = [
    ("18-24", 33.0),
    ("25-34", 25.0),
    ("over 34", 19.0),
    ("10-17", 17.0),
    ("under 10", 0.05),
    ("", 6.0),
];
const OFFICER_ETHNICITY: [&str; 6] = ["White", "Black", "Asian", "Other", "Mixed", ""];
const OFFICER_DIVERSE: [f64; 6] = [50.0, 25.0, 17.0, 5.0, 1.0, 2.0];
const OFFICER_TYPICAL: [f64; 6] = [82.0, 6.0, 7.0, 2.0, 0.5, 2.5];
/// Self-defined ethnicities by officer-defined group (same order), with weights.
const SELF_DEFINED: [&[(&str, f64)]; 5] = [
    &[
        ("White - English/Welsh/Scottish/Northern Irish/British", 75.0),
        ("White - Any other White background", 18.0),
        ("White - Irish", 4.0),
        ("White - Gypsy or Irish Traveller", 1.0),
    ],
    &[
        (
            "Black/African/Caribbean/Black British - Any other Black/African/Caribbean background",
            40.0,
        ),
        ("Black/African/Caribbean/Black British - African", 35.0),
        ("Black/African/Caribbean/Black British - Caribbean", 25.0),
    ],
    &[
        ("Asian/Asian British - Pakistani", 30.0),
        ("Asian/Asian British - Any other Asian background", 25.0),
        ("Asian/Asian British - Indian", 20.0),
        ("Asian/Asian British - Bangladeshi", 20.0),
        ("Asian/Asian British - Chinese", 5.0),
    ],
    &[("Other ethnic group - Any other ethnic group", 70.0), ("Other ethnic group - Arab", 30.0)],
    &[
        ("Mixed/Multiple ethnic groups - White and Black Caribbean", 35.0),
        ("Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background", 30.0),
        ("Mixed/Multiple ethnic groups - White and Asian", 20.0),
        ("Mixed/Multiple ethnic groups - White and Black African", 15.0),
    ],
];
const NOT_STATED: &str = "Other ethnic group - Not stated";
/// A weighted list of CSV values.
type Weighted = &'static [(&'static str, f64)];

/// Legislation with its share, and the objects searched for under it.
const LEGISLATION: [(&str, f64, Weighted); 5] = [
    (
        "Misuse of Drugs Act 1971 (section 23)",
        58.0,
        &[("Controlled drugs", 92.0), ("Evidence of offences under the Act", 8.0)],
    ),
    (
        "Police and Criminal Evidence Act 1984 (section 1)",
        36.0,
        &[
            ("Offensive weapons", 30.0),
            ("Stolen goods", 30.0),
            ("Article for use in theft", 25.0),
            ("Articles for use in criminal damage", 8.0),
            ("Fireworks", 2.0),
        ],
    ),
    (
        "Criminal Justice and Public Order Act 1994 (section 60)",
        2.5,
        &[("Offensive weapons", 60.0), ("Anything to threaten or harm anyone", 40.0)],
    ),
    ("Firearms Act 1968 (section 47)", 1.5, &[("Firearms", 100.0)]),
    ("Psychoactive Substances Act 2016 (s36(2))", 0.3, &[("Psychoactive substances", 100.0)]),
];
const STOP_OUTCOMES: [(&str, f64); 7] = [
    ("A no further action disposal", 68.0),
    ("Arrest", 16.0),
    ("Community resolution", 8.0),
    ("Khat or Cannabis warning", 3.0),
    ("Summons / charged by post", 2.5),
    ("Penalty Notice for Disorder", 1.5),
    ("Caution (simple or conditional)", 1.0),
];
const OPERATIONS: [&str; 8] = [
    "Operation Sceptre",
    "Operation Venice",
    "Operation Orochi",
    "Operation Viper",
    "Operation Guardian",
    "Operation Trident",
    "Operation Hydra",
    "Operation Kingfisher",
];
/// Hour-of-day weights (local time) for searches: evenings and nights.
const STOP_HOURS: [f64; 24] = [
    4.0, 3.5, 2.5, 1.5, 1.0, 0.6, 0.5, 0.7, 1.0, 1.5, 2.0, 2.5, 3.0, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5,
    6.0, 6.0, 6.0, 5.5, 5.0,
];

fn weights<T>(list: &[(T, f64)]) -> Vec<f64> {
    list.iter().map(|(_, w)| *w).collect()
}

/// How a force fills its stop-and-search file.
#[derive(Debug, Clone, Copy)]
struct StopStyle {
    /// 0: times to the second; 1: to the minute; 2: dates only (local midnight).
    precision: u8,
    operation_field: bool,
    linked_field: bool,
    removal_field: bool,
    diverse: bool,
    rate: f64,
}

/// Everything needed to write one force's monthly files.
#[derive(Debug)]
pub struct ForceWriter<'a> {
    force: Force,
    number: u64,
    seed: u64,
    id_key: u64,
    name_field: String,
    points: &'a SnapPoints,
    by_category: Vec<Option<Alias>>,
    category_share: [f64; CATEGORIES],
    no_location_rate: f64,
    outcome_tables: Vec<OutcomeTable>,
    court: OutcomeTable,
    under_investigation: u8,
    publishes_outcomes: bool,
    publishes_stops: bool,
    northern_ireland: bool,
    style: StopStyle,
    /// Outcome events waiting for a later month: index = month position.
    pending: Vec<Vec<PendingOutcome>>,
    months: usize,
}

/// An outcome event recorded in a later month than its crime.
#[derive(Debug, Clone, Copy)]
struct PendingOutcome {
    crime_month: Month,
    seq: u32,
    point: u32,
    outcome: u8,
}

/// A street crime as generated, before it is written.
#[derive(Debug, Clone, Copy)]
struct Crime {
    /// Sort key: LSOA rank, category, sequence number.
    key: u64,
    seq: u32,
    point: u32,
    category: u8,
    /// (months after the crime, outcome code), in date order.
    events: [(u8, u8); 3],
    n_events: u8,
}

/// A stop and search; the small integers index the value lists above (`u8::MAX` or the
/// list's empty entry when the field is blank).
#[derive(Debug, Clone, Copy)]
struct Stop {
    utc: i64,
    point: u32,
    kind: u8,
    operation: u8,
    operation_name: u8,
    gender: u8,
    age: u8,
    officer: u8,
    self_defined: (u8, u8),
    legislation: u8,
    object: u8,
    outcome: u8,
    linked: u8,
    removal: u8,
}

/// Rows and bytes written for one force-month.
#[derive(Debug, Clone, Copy, Default)]
pub struct MonthCounts {
    pub files: u64,
    pub street_rows: u64,
    pub outcome_rows: u64,
    pub stop_rows: u64,
    pub bytes: u64,
}

/// A CSV file written through a reused buffer.
struct CsvFile {
    file: File,
    buf: Vec<u8>,
    bytes: u64,
}

impl CsvFile {
    fn create(path: &Path, header: &str) -> anyhow::Result<Self> {
        let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut buf = Vec::with_capacity(1 << 18);
        buf.extend_from_slice(header.as_bytes());
        buf.push(b'\n');
        Ok(CsvFile { file, buf, bytes: 0 })
    }

    fn end_row(&mut self) -> std::io::Result<()> {
        self.buf.push(b'\n');
        if self.buf.len() >= 1 << 18 {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.write_all(&self.buf)?;
        self.bytes += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    fn finish(mut self) -> std::io::Result<u64> {
        self.flush()?;
        Ok(self.bytes)
    }
}

impl<'a> ForceWriter<'a> {
    pub fn new(
        force: Force,
        number: u64,
        seed: u64,
        points: &'a SnapPoints,
        months: usize,
    ) -> Self {
        let btp = force.id == "btp";
        let northern_ireland = force.id == "northern-ireland";
        let by_category = (0..CATEGORIES)
            .map(|c| {
                let weights: Vec<f64> = points
                    .points
                    .iter()
                    .zip(&points.weight)
                    .map(|(p, w)| w * affinity(c, p.poi()))
                    .collect();
                Alias::new(&weights)
            })
            .collect();
        let mut category_share = CATEGORY_SHARE;
        for (c, share) in category_share.iter_mut().enumerate() {
            *share *= 0.85 + 0.3 * unit(hash(&[seed, number, TAG_CATEGORIES, c as u64]));
        }
        if btp {
            // BTP records no anti-social behaviour.
            category_share[ASB as usize] = 0.0;
        }
        let style_hash = hash(&[number, TAG_STYLE]);
        let diverse = matches!(
            force.id,
            "metropolitan"
                | "city-of-london"
                | "west-midlands"
                | "greater-manchester"
                | "leicestershire"
                | "west-yorkshire"
                | "bedfordshire"
                | "btp"
        );
        let style = StopStyle {
            precision: match style_hash % 10 {
                0 => 2,
                1 | 2 => 1,
                _ => 0,
            },
            operation_field: (style_hash >> 8) % 10 >= 4,
            linked_field: (style_hash >> 16) % 10 >= 3,
            removal_field: (style_hash >> 24) % 10 >= 2,
            diverse,
            rate: if force.id == "metropolitan" { 0.10 } else { 0.05 + 0.05 * unit(style_hash) },
        };
        let no_location_rate = if force.id == "avon-and-somerset" {
            0.05
        } else {
            0.015 + 0.01 * unit(mix64(style_hash))
        };
        let outcome_tables = [
            THEFT_OUTCOMES,
            VIOLENCE_OUTCOMES,
            SHOPLIFTING_OUTCOMES,
            DRUGS_OUTCOMES,
            WEAPONS_OUTCOMES,
            OTHER_OUTCOMES,
        ]
        .iter()
        .map(|list| OutcomeTable::new(list))
        .collect();
        ForceWriter {
            force,
            number,
            seed,
            id_key: mix64(hash(&[seed, TAG_IDS])),
            name_field: csv_field(force.name),
            points,
            by_category,
            category_share,
            no_location_rate,
            outcome_tables,
            court: OutcomeTable::new(COURT_OUTCOMES),
            under_investigation: outcome_index("under-investigation"),
            publishes_outcomes: !northern_ireland && !btp,
            publishes_stops: !northern_ireland,
            northern_ireland,
            style,
            pending: vec![Vec::new(); months],
            months,
        }
    }

    /// The persistent id of a crime: unique by construction (the first word is a bijection
    /// of force, month and sequence number), the rest pseudo-random.
    fn crime_id(&self, month: Month, seq: u32) -> [u64; 4] {
        let key = self.number << 58 | (u64::from(month.index()) & 0x3_ffff) << 32 | u64::from(seq);
        let w0 = mix64(key ^ self.id_key);
        let w1 = mix64(w0 ^ 0x5851_f42d_4c95_7f2d);
        let w2 = mix64(w1 ^ 0x1405_7b7e_f767_814f);
        let w3 = mix64(w2 ^ 0x2545_f491_4f6c_dd1d);
        [w0, w1, w2, w3]
    }

    fn plan_outcomes(&self, rng: &mut Rng, category: u8) -> ([(u8, u8); 3], u8) {
        let mut events = [(0u8, 0u8); 3];
        if self.northern_ireland {
            events[0] = (0, self.under_investigation);
            return (events, 1);
        }
        let table = &self.outcome_tables[outcome_group(category)];
        let last = table.pick(rng);
        let mut n = 0;
        let mut delay = 0u8;
        if !rng.chance(0.42) {
            events[0] = (0, self.under_investigation);
            n = 1;
            // Some investigations stay open for longer than any archive shows.
            if rng.chance(0.08) {
                return (events, 1);
            }
            delay = 1 + rng.weighted(&[45.0, 30.0, 15.0, 10.0]) as u8;
        }
        events[n] = (delay, last);
        n += 1;
        if OUTCOME_CATEGORIES[last as usize].code == "charged" && n < 3 && rng.chance(0.6) {
            delay += 1 + rng.weighted(&[35.0, 35.0, 20.0, 10.0]) as u8;
            events[n] = (delay, self.court.pick(rng));
            n += 1;
        }
        (events, n as u8)
    }

    /// Writes the files of the month at position `pos` (0-based) of the generated range.
    pub fn write_month(
        &mut self,
        pos: usize,
        month: Month,
        crimes: u64,
        dir: &Path,
    ) -> anyhow::Result<MonthCounts> {
        let mut counts = MonthCounts::default();
        let prefix = format!("{month}-{}", self.force.id);
        let month_text = month.to_string();
        let mut rng = Rng::keyed(&[self.seed, self.number, u64::from(month.index()), TAG_CRIMES]);

        let mut shares = self.category_share;
        shares[ASB as usize] *= ASB_SEASON[usize::from(month.month()) - 1];
        let category_table = Alias::new(&shares).context("no crime categories")?;
        let mut list: Vec<Crime> = Vec::with_capacity(crimes as usize);
        for seq in 0..crimes {
            let seq = u32::try_from(seq).context("too many crimes in one force-month")?;
            let category = category_table.sample(&mut rng) as u8;
            let point = match &self.by_category[category as usize] {
                Some(table) if !rng.chance(self.no_location_rate) => table.sample(&mut rng) as u32,
                _ => NO_POINT,
            };
            let (events, n_events) = if category == ASB {
                ([(0, 0); 3], 0)
            } else {
                self.plan_outcomes(&mut rng, category)
            };
            let rank = if point == NO_POINT {
                0xff_ffff
            } else {
                u64::from(self.points.points[point as usize].lsoa).min(0xff_fffe)
            };
            let key = rank << 40 | u64::from(category) << 32 | u64::from(seq);
            list.push(Crime { key, seq, point, category, events, n_events });
        }
        // police.uk sorts street files by LSOA name then category, unlocated rows last.
        list.sort_unstable_by_key(|c| c.key);

        let mut current_outcomes: Vec<PendingOutcome> = Vec::new();
        let mut street = CsvFile::create(&dir.join(format!("{prefix}-street.csv")), STREET_HEADER)?;
        for crime in &list {
            let buf = &mut street.buf;
            if crime.category != ASB {
                push_hex(buf, &self.crime_id(month, crime.seq));
            }
            buf.push(b',');
            buf.extend_from_slice(month_text.as_bytes());
            self.push_force_and_place(buf, crime.point, b"No Location");
            buf.extend_from_slice(CRIME_CATEGORIES[crime.category as usize].name.as_bytes());
            buf.push(b',');
            let mut last = None;
            for &(delay, outcome) in &crime.events[..crime.n_events as usize] {
                let at = pos + usize::from(delay);
                if at >= self.months {
                    break;
                }
                last = Some(outcome);
                if self.publishes_outcomes {
                    let event = PendingOutcome {
                        crime_month: month,
                        seq: crime.seq,
                        point: crime.point,
                        outcome,
                    };
                    if delay == 0 {
                        current_outcomes.push(event);
                    } else {
                        self.pending[at].push(event);
                    }
                }
            }
            if let Some(outcome) = last {
                buf.extend_from_slice(OUTCOME_CATEGORIES[outcome as usize].name.as_bytes());
            }
            buf.push(b',');
            street.end_row()?;
        }
        counts.bytes += street.finish()?;
        counts.files += 1;
        counts.street_rows = list.len() as u64;
        drop(list);

        if self.publishes_outcomes {
            let earlier = std::mem::take(&mut self.pending[pos]);
            let mut file =
                CsvFile::create(&dir.join(format!("{prefix}-outcomes.csv")), OUTCOMES_HEADER)?;
            for event in earlier.iter().chain(&current_outcomes) {
                let buf = &mut file.buf;
                push_hex(buf, &self.crime_id(event.crime_month, event.seq));
                buf.push(b',');
                buf.extend_from_slice(month_text.as_bytes());
                self.push_force_and_place(buf, event.point, b"No location");
                buf.extend_from_slice(OUTCOME_CATEGORIES[event.outcome as usize].name.as_bytes());
                file.end_row()?;
            }
            counts.bytes += file.finish()?;
            counts.files += 1;
            counts.outcome_rows = (earlier.len() + current_outcomes.len()) as u64;
        }

        if self.publishes_stops {
            let (bytes, rows) = self.write_stops(
                month,
                crimes,
                &dir.join(format!("{prefix}-stop-and-search.csv")),
            )?;
            counts.bytes += bytes;
            counts.stop_rows = rows;
            counts.files += 1;
        }
        Ok(counts)
    }

    /// `,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,` (with the
    /// leading and trailing commas).
    fn push_force_and_place(&self, buf: &mut Vec<u8>, point: u32, no_location: &[u8]) {
        buf.push(b',');
        buf.extend_from_slice(self.name_field.as_bytes());
        buf.push(b',');
        buf.extend_from_slice(self.name_field.as_bytes());
        buf.push(b',');
        if point == NO_POINT {
            buf.extend_from_slice(b",,");
            buf.extend_from_slice(no_location);
            buf.extend_from_slice(b",,,");
            return;
        }
        let p = &self.points.points[point as usize];
        push_micro(buf, p.pt[0]);
        buf.push(b',');
        push_micro(buf, p.pt[1]);
        buf.push(b',');
        p.push_name(buf);
        buf.push(b',');
        let lsoa = &self.points.lsoas[p.lsoa as usize];
        buf.extend_from_slice(lsoa.code.as_bytes());
        buf.push(b',');
        buf.extend_from_slice(lsoa.name.as_bytes());
        buf.push(b',');
    }

    fn write_stops(&self, month: Month, crimes: u64, path: &Path) -> anyhow::Result<(u64, u64)> {
        let mut rng = Rng::keyed(&[self.seed, self.number, u64::from(month.index()), TAG_STOPS]);
        let style = self.style;
        let count = (crimes as f64 * style.rate * rng.range(0.9, 1.1)).round() as usize;
        let place_table = self.by_category[4].as_ref().or(self.by_category[12].as_ref());
        let type_w = weights(&STOP_TYPES);
        let gender_w = weights(&GENDERS);
        let age_w = weights(&AGES);
        let legislation_w: Vec<f64> = LEGISLATION.iter().map(|l| l.1).collect();
        let outcome_w = weights(&STOP_OUTCOMES);
        let self_w: Vec<Vec<f64>> = SELF_DEFINED.iter().map(|l| weights(l)).collect();
        let object_w: Vec<Vec<f64>> = LEGISLATION.iter().map(|l| weights(l.2)).collect();
        let first_day = days_from_civil(i64::from(month.year()), u32::from(month.month()), 1);
        let mut stops = Vec::with_capacity(count);
        for _ in 0..count {
            let day = first_day + rng.below(u64::from(month.days())) as i64;
            let (hour, minute, second) = match style.precision {
                2 => (0, 0, 0),
                1 => (rng.weighted(&STOP_HOURS) as i64, rng.below(60) as i64, 0),
                _ => (rng.weighted(&STOP_HOURS) as i64, rng.below(60) as i64, rng.below(60) as i64),
            };
            let utc = local_to_utc(day * 86_400 + hour * 3600 + minute * 60 + second);
            let point = match place_table {
                Some(table) if !rng.chance(0.1) => table.sample(&mut rng) as u32,
                _ => NO_POINT,
            };
            let kind = rng.weighted(&type_w) as u8;
            let vehicle_only = kind == 2 && rng.chance(0.85);
            let (gender, age, officer, self_defined) = if vehicle_only {
                (3, 5, 5, (u8::MAX, 0))
            } else {
                let officer =
                    rng.weighted(if style.diverse { &OFFICER_DIVERSE } else { &OFFICER_TYPICAL })
                        as u8;
                let r = rng.f64();
                let self_defined = if r < 0.03 {
                    (u8::MAX, 0)
                } else if r < 0.25 {
                    (u8::MAX, 1)
                } else {
                    let group = if officer == 5 {
                        0
                    } else if officer <= 1 && rng.chance(0.06) {
                        4
                    } else {
                        officer
                    };
                    (group, rng.weighted(&self_w[group as usize]) as u8)
                };
                (rng.weighted(&gender_w) as u8, rng.weighted(&age_w) as u8, officer, self_defined)
            };
            let legislation = rng.weighted(&legislation_w) as u8;
            let object = if rng.chance(0.01) {
                u8::MAX
            } else {
                rng.weighted(&object_w[legislation as usize]) as u8
            };
            let outcome = rng.weighted(&outcome_w) as u8;
            let operation = if !style.operation_field {
                0
            } else if rng.chance(0.03) {
                2
            } else {
                1
            };
            let tri = |rng: &mut Rng, present: bool, p_true: f64, p_empty: f64| -> u8 {
                if !present || rng.chance(p_empty) {
                    0
                } else if rng.chance(p_true) {
                    2
                } else {
                    1
                }
            };
            let linked = if outcome == 0 {
                tri(&mut rng, style.linked_field, 0.0, 0.1)
            } else {
                tri(&mut rng, style.linked_field, 0.6, 0.05)
            };
            let removal = tri(&mut rng, style.removal_field && !vehicle_only, 0.04, 0.02);
            stops.push(Stop {
                utc,
                point,
                kind,
                operation,
                operation_name: rng.index(OPERATIONS.len()) as u8,
                gender,
                age,
                officer,
                self_defined,
                legislation,
                object,
                outcome,
                linked,
                removal,
            });
        }
        stops.sort_by_key(|s| s.utc);

        let mut file = CsvFile::create(path, STOPS_HEADER)?;
        const BOOL: [&[u8]; 3] = [b"", b"False", b"True"];
        for stop in &stops {
            let buf = &mut file.buf;
            buf.extend_from_slice(STOP_TYPES[stop.kind as usize].0.as_bytes());
            buf.push(b',');
            push_datetime(buf, stop.utc);
            buf.push(b',');
            buf.extend_from_slice(BOOL[stop.operation as usize]);
            buf.push(b',');
            if stop.operation == 2 {
                buf.extend_from_slice(OPERATIONS[stop.operation_name as usize].as_bytes());
            }
            buf.push(b',');
            if stop.point != NO_POINT {
                let p = &self.points.points[stop.point as usize];
                push_micro(buf, p.pt[1]);
                buf.push(b',');
                push_micro(buf, p.pt[0]);
            } else {
                buf.push(b',');
            }
            buf.push(b',');
            buf.extend_from_slice(GENDERS[stop.gender as usize].0.as_bytes());
            buf.push(b',');
            buf.extend_from_slice(AGES[stop.age as usize].0.as_bytes());
            buf.push(b',');
            match stop.self_defined {
                (u8::MAX, 0) => {}
                (u8::MAX, _) => buf.extend_from_slice(NOT_STATED.as_bytes()),
                (group, k) => {
                    buf.extend_from_slice(SELF_DEFINED[group as usize][k as usize].0.as_bytes())
                }
            }
            buf.push(b',');
            buf.extend_from_slice(OFFICER_ETHNICITY[stop.officer as usize].as_bytes());
            buf.push(b',');
            let (legislation, _, objects) = LEGISLATION[stop.legislation as usize];
            buf.extend_from_slice(legislation.as_bytes());
            buf.push(b',');
            if stop.object != u8::MAX {
                buf.extend_from_slice(objects[stop.object as usize].0.as_bytes());
            }
            buf.push(b',');
            buf.extend_from_slice(STOP_OUTCOMES[stop.outcome as usize].0.as_bytes());
            buf.push(b',');
            buf.extend_from_slice(BOOL[stop.linked as usize]);
            buf.push(b',');
            buf.extend_from_slice(BOOL[stop.removal as usize]);
            file.end_row()?;
        }
        Ok((file.finish()?, stops.len() as u64))
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The last Sunday of a month, as days since the epoch.
fn last_sunday(year: i64, month: u32) -> i64 {
    let days = Month::new(year as u16, month as u8).map_or(31, Month::days);
    let last = days_from_civil(year, month, u32::from(days));
    // 1970-01-01 was a Thursday; weekday 0 is Sunday.
    last - (last + 4).rem_euclid(7)
}

/// UTC seconds of a UK local time (BST from 01:00 UTC on the last Sunday of March to 01:00 UTC
/// on the last Sunday of October).
fn local_to_utc(local: i64) -> i64 {
    let (year, _, _) = civil_from_days(local.div_euclid(86_400));
    let start = last_sunday(year, 3) * 86_400 + 3600;
    let end = last_sunday(year, 10) * 86_400 + 3600;
    let candidate = local - 3600;
    if (start..end).contains(&candidate) {
        candidate
    } else {
        local
    }
}

/// `2024-03-01T09:58:14+00:00`.
fn push_datetime(buf: &mut Vec<u8>, utc: i64) {
    let (y, m, d) = civil_from_days(utc.div_euclid(86_400));
    let secs = utc.rem_euclid(86_400) as u64;
    push_padded(buf, y as u64, 4);
    buf.push(b'-');
    push_padded(buf, u64::from(m), 2);
    buf.push(b'-');
    push_padded(buf, u64::from(d), 2);
    buf.push(b'T');
    push_padded(buf, secs / 3600, 2);
    buf.push(b':');
    push_padded(buf, secs / 60 % 60, 2);
    buf.push(b':');
    push_padded(buf, secs % 60, 2);
    buf.extend_from_slice(b"+00:00");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(civil_from_days(days_from_civil(2000, 12, 31)), (2000, 12, 31));
        // The clocks went forward on 31 March 2024 and back on 27 October 2024.
        assert_eq!(civil_from_days(last_sunday(2024, 3)), (2024, 3, 31));
        assert_eq!(civil_from_days(last_sunday(2024, 10)), (2024, 10, 27));
    }

    #[test]
    fn local_midnight_in_summer_is_the_previous_evening_in_utc() {
        let mut buf = Vec::new();
        push_datetime(&mut buf, local_to_utc(days_from_civil(2024, 7, 1) * 86_400));
        buf.push(b' ');
        push_datetime(&mut buf, local_to_utc(days_from_civil(2024, 3, 1) * 86_400 + 35_894));
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "2024-06-30T23:00:00+00:00 2024-03-01T09:58:14+00:00"
        );
    }

    #[test]
    fn outcome_tables_use_known_codes() {
        for list in [
            THEFT_OUTCOMES,
            VIOLENCE_OUTCOMES,
            SHOPLIFTING_OUTCOMES,
            DRUGS_OUTCOMES,
            WEAPONS_OUTCOMES,
            OTHER_OUTCOMES,
            COURT_OUTCOMES,
        ] {
            OutcomeTable::new(list);
        }
        assert_eq!(CATEGORY_SHARE.len(), CATEGORIES);
    }
}
