//! Recognising force and neighbourhood files by where they lie: the layout is described in
//! [`super::reference`]. Nothing here reads a file or touches the database.

use super::types::ReferenceKind;
use police_index::reference::{Force, BTP, FORCES};

/// What a path is, judged by its last components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Identity {
    Reference {
        kind: ReferenceKind,
        force: Force,
        neighbourhood: Option<String>,
    },
    /// Looks like a force or neighbourhood file but is not imported (why).
    Skip(String),
    /// Not a force or neighbourhood file.
    Other,
}

fn listed_force(id: &str) -> Option<Force> {
    FORCES.iter().copied().find(|f| f.id == id)
}

const BTP_SKIP: &str = "British Transport Police has no force or neighbourhood pages on police.uk";

/// Recognises force and neighbourhood files by their path's components (folders, then the
/// file name).
pub(crate) fn identify(components: &[&str]) -> Identity {
    let n = components.len();
    let Some(&name) = components.last() else { return Identity::Other };
    let at = |back: usize| if n > back { Some(components[n - 1 - back]) } else { None };
    let reference = |kind, force, neighbourhood: Option<&str>| Identity::Reference {
        kind,
        force,
        neighbourhood: neighbourhood.map(str::to_owned),
    };
    if let Some(stem) = name.strip_suffix(".kml") {
        return match at(1) {
            Some(folder) if folder == BTP.id => Identity::Skip(BTP_SKIP.into()),
            Some(folder) => match listed_force(folder) {
                Some(force) if !stem.is_empty() => {
                    reference(ReferenceKind::BoundaryKml, force, Some(stem))
                }
                _ => Identity::Skip(
                    "a KML outside a <force>/ folder (only neighbourhood boundaries, \
                     <force>/<neighbourhood>.kml, are imported)"
                        .into(),
                ),
            },
            None => Identity::Skip("a KML outside a <force>/ folder".into()),
        };
    }
    let Some(stem) = name.strip_suffix(".json") else { return Identity::Other };
    if stem.is_empty() {
        return Identity::Other;
    }
    let is_btp = |folder: Option<&str>| folder == Some(BTP.id);
    // forces/<force>/people.json
    if stem == "people" && at(2) == Some("forces") {
        if is_btp(at(1)) {
            return Identity::Skip(BTP_SKIP.into());
        }
        if let Some(force) = at(1).and_then(listed_force) {
            return reference(ReferenceKind::ForcePeople, force, None);
        }
    }
    // <force>/<neighbourhood>/{people,events,priorities,boundary}.json
    let sub = match stem {
        "people" => Some(ReferenceKind::NeighbourhoodPeople),
        "events" => Some(ReferenceKind::NeighbourhoodEvents),
        "priorities" => Some(ReferenceKind::NeighbourhoodPriorities),
        "boundary" => Some(ReferenceKind::BoundaryJson),
        _ => None,
    };
    if let (Some(kind), Some(neighbourhood)) = (sub, at(1)) {
        if is_btp(at(2)) {
            return Identity::Skip(BTP_SKIP.into());
        }
        if let Some(force) = at(2).and_then(listed_force) {
            return reference(kind, force, Some(neighbourhood));
        }
    }
    // forces/<force>.json
    if at(1) == Some("forces") {
        if stem == BTP.id {
            return Identity::Skip(BTP_SKIP.into());
        }
        if let Some(force) = listed_force(stem) {
            return reference(ReferenceKind::Force, force, None);
        }
    }
    // <force>/neighbourhoods.json, <force>/<neighbourhood>.json
    if is_btp(at(1)) {
        return Identity::Skip(BTP_SKIP.into());
    }
    if let Some(force) = at(1).and_then(listed_force) {
        return if stem == "neighbourhoods" {
            reference(ReferenceKind::NeighbourhoodList, force, None)
        } else {
            reference(ReferenceKind::Neighbourhood, force, Some(stem))
        };
    }
    Identity::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(path: &str) -> Identity {
        identify(&path.split('/').collect::<Vec<_>>())
    }

    fn kind(path: &str) -> Option<(ReferenceKind, &'static str, Option<String>)> {
        match id(path) {
            Identity::Reference { kind, force, neighbourhood } => {
                Some((kind, force.id, neighbourhood))
            }
            _ => None,
        }
    }

    #[test]
    fn paths_mirror_the_api() {
        use ReferenceKind::*;
        let n = |s: &str| Some(s.to_owned());
        assert_eq!(kind("x/boundaries/kent/179.kml"), Some((BoundaryKml, "kent", n("179"))));
        assert_eq!(kind("api/forces/city-of-london.json"), Some((Force, "city-of-london", None)));
        assert_eq!(kind("forces/surrey/people.json"), Some((ForcePeople, "surrey", None)));
        assert_eq!(
            kind("/a/city-of-london/neighbourhoods.json"),
            Some((NeighbourhoodList, "city-of-london", None))
        );
        assert_eq!(kind("surrey/AB12.json"), Some((Neighbourhood, "surrey", n("AB12"))));
        assert_eq!(
            kind("northern-ireland/Belfast City/people.json"),
            Some((NeighbourhoodPeople, "northern-ireland", n("Belfast City")))
        );
        assert_eq!(
            kind("surrey/AB12/events.json"),
            Some((NeighbourhoodEvents, "surrey", n("AB12")))
        );
        assert_eq!(
            kind("surrey/AB12/priorities.json"),
            Some((NeighbourhoodPriorities, "surrey", n("AB12")))
        );
        assert_eq!(kind("surrey/AB12/boundary.json"), Some((BoundaryJson, "surrey", n("AB12"))));
        // A neighbourhood called "people" is still reachable through its own detail file.
        assert_eq!(kind("surrey/people.json"), Some((Neighbourhood, "surrey", n("people"))));

        assert_eq!(id("api/crimes-street/all-crime_lat51.5_lng0.0_2014-08.json"), Identity::Other);
        assert_eq!(id("api/forces.json"), Identity::Other);
        assert_eq!(id("2024-01/2024-01-surrey-street.csv"), Identity::Other);
        assert_eq!(id("atlantis/AB12.json"), Identity::Other);
        assert!(matches!(id("force kmls/surrey.kml"), Identity::Skip(_)));
        assert!(matches!(id("btp/ABC.kml"), Identity::Skip(_)));
        assert!(matches!(id("forces/btp.json"), Identity::Skip(_)));
        assert!(matches!(id("btp/neighbourhoods.json"), Identity::Skip(_)));
    }
}
