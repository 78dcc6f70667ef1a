//! Synthetic force and neighbourhood pages, written as police.uk's API answers them and laid
//! out as `police-api import` reads them (see `import::reference`):
//!
//! ```text
//! api/forces/<force>.json                  force details with engagement methods
//! api/forces/<force>/people.json           senior officers (some forces only)
//! api/<force>/neighbourhoods.json          the neighbourhood list, in boundary order
//! api/<force>/<id>.json                    details: contacts, centre, links, stations
//! api/<force>/<id>/people.json             the team
//! api/<force>/<id>/events.json             events (some neighbourhoods)
//! api/<force>/<id>/priorities.json         priorities (some neighbourhoods)
//! ```
//!
//! Every force draws from its own PRNG stream, so the bytes depend only on the options.

use std::path::Path;

use anyhow::Context as _;
use police_openapi::{
    ContactDetails, EngagementMethod, ForceDetail, LatLng, NeighbourhoodDetail, NeighbourhoodEvent,
    NeighbourhoodLink, NeighbourhoodLocation, NeighbourhoodPriority, NeighbourhoodSummary, Person,
};

use super::geo::Boundary;
use super::places::Place;
use super::rng::Rng;
use police_index::reference::Force;

const TAG_PAGES: u64 = 0x7061_6765;

/// Files and bytes written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    pub files: u64,
    pub bytes: u64,
}

const FIRST_NAMES: &[&str] = &[
    "Sarah", "James", "Aisha", "David", "Emma", "Mohammed", "Claire", "Tom", "Priya", "Gareth",
    "Rachel", "Daniel", "Sophie", "Marcus", "Helen", "Owen", "Fiona", "Kwame", "Laura", "Ben",
];
const LAST_NAMES: &[&str] = &[
    "Hughes", "Patel", "Walker", "Thompson", "Evans", "Khan", "Roberts", "Morgan", "Clarke",
    "Wright", "Ahmed", "Turner", "Davies", "Green", "Lewis", "Okafor", "Price", "Shaw",
];
const SUFFIXES: &[&str] = &[
    "Central",
    "North",
    "South",
    "East",
    "West",
    "Town Centre",
    "Rural",
    "Riverside",
    "Park",
    "Hill",
    "Vale",
    "Fields",
    "Gate",
    "Green",
    "Moor",
    "Bridge",
];
const PRIORITY_ISSUES: &[&str] = &[
    "Anti-social behaviour by groups of youths",
    "Speeding vehicles",
    "Drug dealing and drug use",
    "Burglary from homes and sheds",
    "Inconsiderate and illegal parking",
    "Shoplifting",
    "Off-road motorbikes",
    "Theft from vehicles",
];
const EVENT_TITLES: &[(&str, &str)] = &[
    ("Street surgery", "meeting"),
    ("Drop In Beat Surgery", "meeting"),
    ("Community engagement event", "meeting"),
    ("Bike marking", "other"),
    ("Coffee with a cop", "meeting"),
    ("Partners and communities together meeting", "meeting"),
];

fn pick<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    items[rng.index(items.len())]
}

fn person_name(rng: &mut Rng) -> String {
    format!("{} {}", pick(rng, FIRST_NAMES), pick(rng, LAST_NAMES))
}

/// Micro-degrees as a decimal with `places` decimals (4 or 5, like police.uk's centres).
fn decimal(micro: i64, places: u32) -> String {
    let scale = 10_i64.pow(6 - places);
    let value = micro.div_euclid(scale) + i64::from(micro.rem_euclid(scale) * 2 >= scale);
    let unit = 10_i64.pow(places);
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.abs();
    format!("{sign}{}.{:0width$}", abs / unit, abs % unit, width = places as usize)
}

fn date(year: i32, month: u32, day: u32, hour: u32) -> String {
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:00:00")
}

/// Writes `bytes` to `path`, creating its folder.
fn write(path: &Path, bytes: &[u8], written: &mut Written) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
    written.files += 1;
    written.bytes += bytes.len() as u64;
    Ok(())
}

fn write_json<T: serde::Serialize>(
    path: &Path,
    value: &T,
    written: &mut Written,
) -> anyhow::Result<()> {
    write(path, &serde_json::to_vec(value)?, written)
}

/// The centre of a boundary's first outer ring (mean vertex), `[lat, lng]` micro-degrees.
fn centre(boundary: &Boundary) -> Option<[i64; 2]> {
    let ring = boundary.polygons.first()?.first()?;
    let n = ring.len() as i64;
    if n == 0 {
        return None;
    }
    let (lng, lat) = ring.iter().fold((0, 0), |(x, y), p| (x + p[0], y + p[1]));
    Some([lat / n, lng / n])
}

/// The town nearest to a point (planar, longitude shrunk for Britain's latitude).
fn nearest_town(place: &Place, [lat, lng]: [i64; 2]) -> &'static str {
    let (lat, lng) = (lat as f64 / 1e6, lng as f64 / 1e6);
    place
        .towns
        .iter()
        .map(|t| {
            let (dy, dx) = (t.lat - lat, (t.lng - lng) * 0.62);
            (dy * dy + dx * dx, t.name)
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map_or(place.id, |(_, name)| name)
}

/// Writes one force's pages under `out_dir/api/`.
pub fn write_force(
    seed: u64,
    force: Force,
    number: u64,
    place: &Place,
    boundaries: &[Boundary],
    out_dir: &Path,
) -> anyhow::Result<Written> {
    let mut written = Written::default();
    let api = out_dir.join("api");
    let mut rng = Rng::keyed(&[seed, number, TAG_PAGES]);
    let slug: String = force.id.chars().filter(|c| *c != '-').collect();
    let site = format!("https://www.{slug}.police.uk/");

    let description = rng.chance(0.4).then(|| {
        let towns: Vec<&str> = place.towns.iter().take(3).map(|t| t.name).collect();
        format!(
            "<p>{} keeps the people of {} and the surrounding area safe.</p>",
            force.name,
            towns.join(", ")
        )
    });
    let mut engagement_methods = Vec::new();
    for (kind, url) in [
        ("facebook", format!("https://www.facebook.com/{slug}police/")),
        ("twitter", format!("https://twitter.com/{slug}police")),
        ("youtube", format!("https://www.youtube.com/user/{slug}police")),
        ("rss", format!("{site}news/rss/")),
    ] {
        if kind == "facebook" || rng.chance(0.6) {
            engagement_methods.push(EngagementMethod {
                url,
                method_type: Some(kind.to_owned()),
                description: None,
                title: kind.to_owned(),
            });
        }
    }
    let detail = ForceDetail {
        description,
        url: Some(site.clone()),
        engagement_methods,
        telephone: Some("101".into()),
        id: force.id.to_owned(),
        name: force.name.to_owned(),
    };
    write_json(&api.join("forces").join(format!("{}.json", force.id)), &detail, &mut written)?;
    if rng.chance(0.35) {
        let ranks = ["Chief Constable", "Deputy Chief Constable", "Assistant Chief Constable"];
        let officers: Vec<Person> = ranks[..1 + rng.index(3)]
            .iter()
            .map(|rank| {
                let name = person_name(&mut rng);
                let bio = rng.chance(0.5).then(|| {
                    format!("<p>{name} joined the police in {}.</p>", 1988 + rng.index(20))
                });
                let contact_details = if rng.chance(0.5) {
                    let handle: String = name.chars().filter(|c| c.is_alphabetic()).collect();
                    ContactDetails::new([(
                        "twitter".to_owned(),
                        format!("https://twitter.com/{handle}"),
                    )])
                } else {
                    ContactDetails::default()
                };
                Person { bio, contact_details, name, rank: Some((*rank).to_owned()) }
            })
            .collect();
        let path = api.join("forces").join(force.id).join("people.json");
        write_json(&path, &officers, &mut written)?;
    }

    let dir = api.join(force.id);
    let mut used_names = std::collections::HashSet::new();
    let mut list = Vec::with_capacity(boundaries.len());
    for boundary in boundaries {
        let id = &boundary.id;
        let mut rng = Rng::keyed(&[seed, number, TAG_PAGES, super::geo::fnv(id)]);
        let centre = centre(boundary);
        let town = centre.map_or(place.id, |c| nearest_town(place, c));
        let mut name = format!("{town} {}", pick(&mut rng, SUFFIXES));
        let mut k = 2;
        while !used_names.insert(name.clone()) {
            name = format!(
                "{town} {} {k}",
                SUFFIXES[(k + rng.index(SUFFIXES.len())) % SUFFIXES.len()]
            );
            k += 1;
        }
        list.push(NeighbourhoodSummary { id: id.clone(), name: name.clone() });

        let mailbox: String = name.to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect();
        let mut contacts = vec![
            ("email".to_owned(), format!("{mailbox}.snt@{slug}.police.uk")),
            ("telephone".to_owned(), "101".to_owned()),
        ];
        if rng.chance(0.3) {
            contacts.push(("twitter".to_owned(), format!("https://twitter.com/{slug}_{mailbox}")));
        }
        let links = if rng.chance(0.5) {
            vec![NeighbourhoodLink {
                url: format!("https://www.{}.gov.uk/", town.to_lowercase().replace(' ', "")),
                description: None,
                title: format!("{town} Council"),
            }]
        } else {
            Vec::new()
        };
        let locations = match centre {
            Some([lat, lng]) if rng.chance(0.4) => {
                let known = rng.chance(0.5);
                vec![NeighbourhoodLocation {
                    name: Some(format!("{town} Police Station")),
                    longitude: known.then(|| decimal(lng, 5)),
                    postcode: Some(format!(
                        "{}{} {}{}",
                        pick(&mut rng, &["LE", "LS", "GU", "EC", "NG", "CF", "BS"]),
                        1 + rng.index(20),
                        1 + rng.index(9),
                        pick(&mut rng, &["AB", "DF", "GH", "JP", "QT", "WX"])
                    )),
                    address: Some(format!("{} High Street\n, {town}", 1 + rng.index(120))),
                    latitude: known.then(|| decimal(lat, 5)),
                    location_type: Some("station".into()),
                    description: None,
                    telephone: None,
                }]
            }
            _ => Vec::new(),
        };
        let detail = NeighbourhoodDetail {
            url_force: Some(format!("{site}area/your-area/{}/", id.to_lowercase())),
            contact_details: ContactDetails::new(contacts),
            name: name.clone(),
            links,
            centre: centre
                .map(|[lat, lng]| LatLng { latitude: decimal(lat, 4), longitude: decimal(lng, 5) }),
            locations,
            description: rng
                .chance(0.6)
                .then(|| format!("<p>The {name} team polices {town} and the villages nearby.</p>")),
            welcome_message: None,
            id: id.clone(),
            population: Some((1_000 * (2 + rng.index(30))).to_string()),
        };
        write_json(&dir.join(format!("{id}.json")), &detail, &mut written)?;

        let team: Vec<Person> = (0..1 + rng.index(4))
            .map(|k| {
                let rank = match k {
                    0 => "Sgt".to_owned(),
                    _ if rng.chance(0.5) => format!("PC {}", 1000 + rng.index(9000)),
                    _ => format!("PCSO {}", 5000 + rng.index(5000)),
                };
                Person {
                    bio: None,
                    contact_details: ContactDetails::default(),
                    name: person_name(&mut rng),
                    rank: Some(rank),
                }
            })
            .collect();
        write_json(&dir.join(id).join("people.json"), &team, &mut written)?;
        if rng.chance(0.35) {
            let mut events: Vec<NeighbourhoodEvent> = (0..1 + rng.index(3))
                .map(|_| {
                    let (title, kind) = EVENT_TITLES[rng.index(EVENT_TITLES.len())];
                    let (month, day, hour) =
                        (1 + rng.index(12), 1 + rng.index(28), 9 + rng.index(9));
                    NeighbourhoodEvent {
                        contact_details: ContactDetails::default(),
                        description: None,
                        title: Some(title.to_owned()),
                        address: Some(format!("{town} Community Centre")),
                        event_type: Some(kind.to_owned()),
                        start_date: Some(date(2025, month as u32, day as u32, hour as u32)),
                        end_date: Some(date(2025, month as u32, day as u32, hour as u32 + 2)),
                    }
                })
                .collect();
            events.sort_by(|a, b| a.start_date.cmp(&b.start_date));
            write_json(&dir.join(id).join("events.json"), &events, &mut written)?;
        }
        if rng.chance(0.5) {
            let priorities: Vec<NeighbourhoodPriority> = (0..1 + rng.index(3))
                .map(|_| {
                    let issue = pick(&mut rng, PRIORITY_ISSUES);
                    let (month, day) = (1 + rng.index(12) as u32, 1 + rng.index(28) as u32);
                    let acted = rng.chance(0.5);
                    NeighbourhoodPriority {
                        action: acted
                            .then(|| "<p>Patrols increased and partners informed.</p>".to_owned()),
                        issue_date: Some(date(2024, month, day, 0)),
                        action_date: acted.then(|| date(2024, month, day.min(27) + 1, 0)),
                        issue: Some(format!("<p>{issue} in {town}.</p>")),
                    }
                })
                .collect();
            write_json(&dir.join(id).join("priorities.json"), &priorities, &mut written)?;
        }
    }
    write_json(&dir.join("neighbourhoods.json"), &list, &mut written)?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::decimal;

    #[test]
    fn decimals_round_half_up() {
        assert_eq!(decimal(52_638_949, 4), "52.6389");
        assert_eq!(decimal(-1_136_195, 5), "-1.13619");
        assert_eq!(decimal(-1_136_196, 5), "-1.13620");
        assert_eq!(decimal(-92_000, 4), "-0.0920");
        assert_eq!(decimal(5, 4), "0.0000");
    }
}

#[cfg(test)]
mod archive_tests {
    use std::path::Path;

    use police_openapi::{
        ForceDetail, NeighbourhoodDetail, NeighbourhoodEvent, NeighbourhoodPriority,
        NeighbourhoodSummary, Person,
    };

    use crate::{generate, GenerateOptions};
    use police_index::Month;

    fn read<T: serde::de::DeserializeOwned>(path: &Path) -> T {
        serde_json::from_slice(&std::fs::read(path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    #[test]
    fn every_generated_neighbourhood_has_pages_matching_its_boundary() {
        let options = GenerateOptions {
            seed: 11,
            forces: ["kent", "city-of-london", "btp"].map(String::from).to_vec(),
            first_month: Month::new(2024, 1).unwrap(),
            months: 1,
            crimes_per_month: 500,
            snap_points: 500,
            neighbourhoods_per_force: 12,
        };
        let dir = tempfile::tempdir().unwrap();
        generate(&options, dir.path()).unwrap();
        let api = dir.path().join("api");
        assert!(!api.join("btp").exists() && !api.join("forces/btp.json").exists());
        let (mut events, mut priorities) = (0, 0);
        for force in ["kent", "city-of-london"] {
            let detail: ForceDetail = read(&api.join(format!("forces/{force}.json")));
            assert_eq!(detail.id, force);
            assert!(!detail.engagement_methods.is_empty());
            let mut kml: Vec<String> = std::fs::read_dir(dir.path().join("boundaries").join(force))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().replace(".kml", ""))
                .collect();
            kml.sort();
            let list: Vec<NeighbourhoodSummary> =
                read(&api.join(force).join("neighbourhoods.json"));
            let mut ids: Vec<String> = list.iter().map(|n| n.id.clone()).collect();
            ids.sort();
            assert_eq!(ids, kml, "{force}: one page per boundary");
            let names: std::collections::HashSet<&str> =
                list.iter().map(|n| n.name.as_str()).collect();
            assert_eq!(names.len(), list.len(), "{force}: names are unique");
            for n in &list {
                let detail: NeighbourhoodDetail =
                    read(&api.join(force).join(format!("{}.json", n.id)));
                assert_eq!((&detail.id, &detail.name), (&n.id, &n.name));
                let centre = detail.centre.expect("a centre");
                assert!(centre.latitude.parse::<f64>().is_ok());
                let team: Vec<Person> = read(&api.join(force).join(&n.id).join("people.json"));
                assert!(!team.is_empty());
                let sub = api.join(force).join(&n.id);
                if sub.join("events.json").exists() {
                    let list: Vec<NeighbourhoodEvent> = read(&sub.join("events.json"));
                    assert!(list.windows(2).all(|w| w[0].start_date <= w[1].start_date));
                    events += 1;
                }
                if sub.join("priorities.json").exists() {
                    let _: Vec<NeighbourhoodPriority> = read(&sub.join("priorities.json"));
                    priorities += 1;
                }
            }
        }
        assert!(events > 0 && priorities > 0);
    }
}
