//! Reference data that police.uk publishes as fixed lists: forces, crime categories and
//! outcome categories, with the CSV names (current and historic) that map onto them.

/// A police force as listed by `/api/forces`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Force {
    pub id: &'static str,
    pub name: &'static str,
}

/// The 44 forces of `/api/forces`, in the order police.uk serves them (see COMPATIBILITY.md).
pub const FORCES: &[Force] = &[
    Force { id: "avon-and-somerset", name: "Avon and Somerset Constabulary" },
    Force { id: "bedfordshire", name: "Bedfordshire Police" },
    Force { id: "cambridgeshire", name: "Cambridgeshire Constabulary" },
    Force { id: "cheshire", name: "Cheshire Constabulary" },
    Force { id: "city-of-london", name: "City of London Police" },
    Force { id: "cleveland", name: "Cleveland Police" },
    Force { id: "cumbria", name: "Cumbria Constabulary" },
    Force { id: "derbyshire", name: "Derbyshire Constabulary" },
    Force { id: "devon-and-cornwall", name: "Devon & Cornwall Police" },
    Force { id: "dorset", name: "Dorset Police" },
    Force { id: "durham", name: "Durham Constabulary" },
    Force { id: "essex", name: "Essex Police" },
    Force { id: "gloucestershire", name: "Gloucestershire Constabulary" },
    Force { id: "greater-manchester", name: "Greater Manchester Police" },
    Force { id: "gwent", name: "Gwent Police" },
    Force { id: "hampshire", name: "Hampshire Constabulary" },
    Force { id: "dyfed-powys", name: "Dyfed-Powys Police" },
    Force { id: "hertfordshire", name: "Hertfordshire Constabulary" },
    Force { id: "humberside", name: "Humberside Police" },
    Force { id: "kent", name: "Kent Police" },
    Force { id: "lancashire", name: "Lancashire Constabulary" },
    Force { id: "leicestershire", name: "Leicestershire Police" },
    Force { id: "lincolnshire", name: "Lincolnshire Police" },
    Force { id: "merseyside", name: "Merseyside Police" },
    Force { id: "metropolitan", name: "Metropolitan Police Service" },
    Force { id: "norfolk", name: "Norfolk Constabulary" },
    Force { id: "north-wales", name: "North Wales Police" },
    Force { id: "north-yorkshire", name: "North Yorkshire Police" },
    Force { id: "northamptonshire", name: "Northamptonshire Police" },
    Force { id: "northumbria", name: "Northumbria Police" },
    Force { id: "nottinghamshire", name: "Nottinghamshire Police" },
    Force { id: "northern-ireland", name: "Police Service of Northern Ireland" },
    Force { id: "south-wales", name: "South Wales Police" },
    Force { id: "south-yorkshire", name: "South Yorkshire Police" },
    Force { id: "staffordshire", name: "Staffordshire Police" },
    Force { id: "suffolk", name: "Suffolk Constabulary" },
    Force { id: "surrey", name: "Surrey Police" },
    Force { id: "sussex", name: "Sussex Police" },
    Force { id: "thames-valley", name: "Thames Valley Police" },
    Force { id: "warwickshire", name: "Warwickshire Police" },
    Force { id: "west-mercia", name: "West Mercia Police" },
    Force { id: "west-midlands", name: "West Midlands Police" },
    Force { id: "west-yorkshire", name: "West Yorkshire Police" },
    Force { id: "wiltshire", name: "Wiltshire Police" },
];

/// British Transport Police publishes data (crimes at stations, stop and search) but is not
/// listed by `/api/forces`.
pub const BTP: Force = Force { id: "btp", name: "British Transport Police" };

/// A force id that may appear in archive file names: one of [`FORCES`] or `btp`.
pub fn force_by_id(id: &str) -> Option<Force> {
    if id == BTP.id {
        return Some(BTP);
    }
    FORCES.iter().copied().find(|force| force.id == id)
}

/// A crime category: its slug (`url` in `/api/crime-categories`) and display name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrimeCategory {
    pub slug: &'static str,
    pub name: &'static str,
}

/// Every crime category a record can carry, current first (in police.uk's
/// `/api/crime-categories` order, without `all-crime`), then the pre-2013 ones.
/// A category's position in this list is its compact code (`u8`) in the store and the index,
/// so entries are only ever appended.
pub const CRIME_CATEGORIES: &[CrimeCategory] = &[
    CrimeCategory { slug: "anti-social-behaviour", name: "Anti-social behaviour" },
    CrimeCategory { slug: "bicycle-theft", name: "Bicycle theft" },
    CrimeCategory { slug: "burglary", name: "Burglary" },
    CrimeCategory { slug: "criminal-damage-arson", name: "Criminal damage and arson" },
    CrimeCategory { slug: "drugs", name: "Drugs" },
    CrimeCategory { slug: "other-theft", name: "Other theft" },
    CrimeCategory { slug: "possession-of-weapons", name: "Possession of weapons" },
    CrimeCategory { slug: "public-order", name: "Public order" },
    CrimeCategory { slug: "robbery", name: "Robbery" },
    CrimeCategory { slug: "shoplifting", name: "Shoplifting" },
    CrimeCategory { slug: "theft-from-the-person", name: "Theft from the person" },
    CrimeCategory { slug: "vehicle-crime", name: "Vehicle crime" },
    CrimeCategory { slug: "violent-crime", name: "Violence and sexual offences" },
    CrimeCategory { slug: "other-crime", name: "Other crime" },
    CrimeCategory { slug: "public-disorder-weapons", name: "Public disorder and weapons" },
];

/// Number of categories that `/api/crime-categories` lists today (after `all-crime`).
pub const CURRENT_CRIME_CATEGORY_COUNT: usize = 14;

/// Slug and name of the pseudo-category that means "every category".
pub const ALL_CRIME: CrimeCategory = CrimeCategory { slug: "all-crime", name: "All crime" };

/// A named group of crime categories, for the v2 routes' `category` parameter (listed by
/// `/api/v2/crime-category-groups`). police.uk's categories are coarser than the Home Office
/// offence codes some dashboards group by; `notes` says where a group can only approximate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CategoryGroup {
    /// The name the `category` parameter takes; never a category slug.
    pub id: &'static str,
    pub name: &'static str,
    /// Category slugs of [`CRIME_CATEGORIES`], in its order.
    pub categories: &'static [&'static str],
    /// How the group maps to police.uk's categories.
    pub notes: &'static str,
}

/// The category groups, as data: add a group here and every v2 route takes it.
pub const CATEGORY_GROUPS: &[CategoryGroup] = &[
    CategoryGroup {
        id: "neighbourhood-crime",
        name: "Key neighbourhood crimes",
        categories: &[
            "burglary",
            "criminal-damage-arson",
            "robbery",
            "theft-from-the-person",
            "vehicle-crime",
            "violent-crime",
        ],
        notes: "The seven key neighbourhood crimes of the Mayor of London's crime dashboard \
                (burglary, criminal damage, robbery, theft from the person, theft from and of \
                a motor vehicle, violence with injury) as far as police.uk's categories \
                express them: theft from and of a motor vehicle are both in vehicle-crime \
                (with vehicle interference), and violence with injury is within violent-crime \
                (all violence and sexual offences), so this group counts more than the seven.",
    },
    CategoryGroup {
        id: "violence",
        name: "Violence",
        categories: &["robbery", "violent-crime"],
        notes: "Violence and sexual offences (violent-crime, named \"Violent crime\" before \
                May 2013) and robbery, which is theft with violence or its threat.",
    },
    CategoryGroup {
        id: "acquisitive-crime",
        name: "Acquisitive crime",
        categories: &[
            "bicycle-theft",
            "burglary",
            "other-theft",
            "robbery",
            "shoplifting",
            "theft-from-the-person",
            "vehicle-crime",
        ],
        notes: "Crimes of gain: burglary, robbery and every theft category (vehicle crime \
                includes vehicle interference). Before 2013 police.uk put some of these under \
                other-crime, which is not in the group.",
    },
    CategoryGroup {
        id: "asb",
        name: "Anti-social behaviour",
        categories: &["anti-social-behaviour"],
        notes: "police.uk's anti-social-behaviour category alone: incidents, not crimes.",
    },
    CategoryGroup {
        id: "crime",
        name: "All crime without anti-social behaviour",
        categories: &[
            "bicycle-theft",
            "burglary",
            "criminal-damage-arson",
            "drugs",
            "other-theft",
            "possession-of-weapons",
            "public-order",
            "robbery",
            "shoplifting",
            "theft-from-the-person",
            "vehicle-crime",
            "violent-crime",
            "other-crime",
            "public-disorder-weapons",
        ],
        notes: "Every category except anti-social-behaviour: recorded crime, as the Home \
                Office counts it.",
    },
];

/// A category group by its id.
pub fn category_group(id: &str) -> Option<&'static CategoryGroup> {
    CATEGORY_GROUPS.iter().find(|group| group.id == id)
}

/// The category code for a `Crime type` as written in street CSVs, historic names included.
pub fn crime_category_code_for_csv_name(name: &str) -> Option<u8> {
    let canonical = match name {
        // Renamed in May 2013; the slug stayed `violent-crime`.
        "Violent crime" | "Violence and sexual offences" => "violent-crime",
        "Public disorder and weapons" => "public-disorder-weapons",
        other => return CRIME_CATEGORIES.iter().position(|c| c.name == other).map(|i| i as u8),
    };
    crime_category_code_for_slug(canonical)
}

/// The `Crime type` a street file of `month` writes for category `code`: police.uk renamed
/// "Violent crime" to "Violence and sexual offences" in May 2013 (the slug stayed
/// `violent-crime`), and earlier files carry the old name.
pub fn crime_type_csv_name(code: u8, month: crate::Month) -> &'static str {
    let category = crime_category(code);
    if category.slug == "violent-crime" && (month.year(), month.month()) < (2013, 5) {
        "Violent crime"
    } else {
        category.name
    }
}

/// The category code for a slug, e.g. `"burglary"`.
pub fn crime_category_code_for_slug(slug: &str) -> Option<u8> {
    CRIME_CATEGORIES.iter().position(|c| c.slug == slug).map(|i| i as u8)
}

/// The category for a compact code.
pub fn crime_category(code: u8) -> CrimeCategory {
    CRIME_CATEGORIES[code as usize]
}

/// An outcome category: its code and the display name police.uk gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutcomeCategory {
    pub code: &'static str,
    pub name: &'static str,
}

/// The 28 outcome categories of `/api/outcomes-for-crime`. Position is the compact code.
pub const OUTCOME_CATEGORIES: &[OutcomeCategory] = &[
    OutcomeCategory { code: "awaiting-court-result", name: "Awaiting court outcome" },
    OutcomeCategory { code: "court-result-unavailable", name: "Court result unavailable" },
    OutcomeCategory { code: "unable-to-proceed", name: "Court case unable to proceed" },
    OutcomeCategory { code: "local-resolution", name: "Local resolution" },
    OutcomeCategory {
        code: "no-further-action",
        name: "Investigation complete; no suspect identified",
    },
    OutcomeCategory { code: "deprived-of-property", name: "Offender deprived of property" },
    OutcomeCategory { code: "fined", name: "Offender fined" },
    OutcomeCategory { code: "absolute-discharge", name: "Offender given absolute discharge" },
    OutcomeCategory { code: "cautioned", name: "Offender given a caution" },
    OutcomeCategory {
        code: "drugs-possession-warning",
        name: "Offender given a drugs possession warning",
    },
    OutcomeCategory { code: "penalty-notice-issued", name: "Offender given a penalty notice" },
    OutcomeCategory { code: "community-penalty", name: "Offender given community sentence" },
    OutcomeCategory { code: "conditional-discharge", name: "Offender given conditional discharge" },
    OutcomeCategory {
        code: "suspended-sentence",
        name: "Offender given suspended prison sentence",
    },
    OutcomeCategory { code: "imprisoned", name: "Offender sent to prison" },
    OutcomeCategory { code: "other-court-disposal", name: "Offender otherwise dealt with" },
    OutcomeCategory { code: "compensation", name: "Offender ordered to pay compensation" },
    OutcomeCategory {
        code: "sentenced-in-another-case",
        name: "Suspect charged as part of another case",
    },
    OutcomeCategory { code: "charged", name: "Suspect charged" },
    OutcomeCategory { code: "not-guilty", name: "Defendant found not guilty" },
    OutcomeCategory { code: "sent-to-crown-court", name: "Defendant sent to Crown Court" },
    OutcomeCategory { code: "unable-to-prosecute", name: "Unable to prosecute suspect" },
    OutcomeCategory {
        code: "formal-action-not-in-public-interest",
        name: "Formal action is not in the public interest",
    },
    OutcomeCategory {
        code: "action-taken-by-another-organisation",
        name: "Action to be taken by another organisation",
    },
    OutcomeCategory {
        code: "further-investigation-not-in-public-interest",
        name: "Further investigation is not in the public interest",
    },
    OutcomeCategory {
        code: "further-action-not-in-public-interest",
        name: "Further action is not in the public interest",
    },
    OutcomeCategory { code: "under-investigation", name: "Under investigation" },
    OutcomeCategory { code: "status-update-unavailable", name: "Status update unavailable" },
];

/// The outcome code for an `Outcome type` (outcomes CSV) or `Last outcome category`
/// (street CSV) name, variants police.uk has published included.
pub fn outcome_code_for_csv_name(name: &str) -> Option<u8> {
    let canonical = match name {
        // The CSVs (and the live API) also carry this spelling, without the article.
        "Offender given penalty notice" => "Offender given a penalty notice",
        "Offender given drugs possession warning" => "Offender given a drugs possession warning",
        "Offender cautioned" => "Offender given a caution",
        other => other,
    };
    OUTCOME_CATEGORIES.iter().position(|o| o.name == canonical).map(|i| i as u8)
}

/// The outcome category for a compact code.
pub fn outcome_category(code: u8) -> OutcomeCategory {
    OUTCOME_CATEGORIES[code as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_groups_name_known_categories_in_order() {
        let mut ids = std::collections::HashSet::new();
        for group in CATEGORY_GROUPS {
            assert!(ids.insert(group.id), "{} twice", group.id);
            assert!(crime_category_code_for_slug(group.id).is_none(), "{} is a slug", group.id);
            assert_ne!(group.id, ALL_CRIME.slug);
            let codes: Vec<u8> = group
                .categories
                .iter()
                .map(|slug| crime_category_code_for_slug(slug).expect("a known slug"))
                .collect();
            assert!(!codes.is_empty() && codes.windows(2).all(|w| w[0] < w[1]), "{}", group.id);
            assert_eq!(category_group(group.id), Some(group));
        }
    }

    #[test]
    fn forty_four_forces_with_unique_ids() {
        assert_eq!(FORCES.len(), 44);
        let mut ids: Vec<_> = FORCES.iter().map(|f| f.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 44);
        assert!(force_by_id("btp").is_some());
        assert!(force_by_id("nowhere").is_none());
    }

    #[test]
    fn violent_crime_has_its_name_of_the_month() {
        let violent = crime_category_code_for_slug("violent-crime").unwrap();
        let month = |text: &str| text.parse::<crate::Month>().unwrap();
        assert_eq!(crime_type_csv_name(violent, month("2013-04")), "Violent crime");
        assert_eq!(crime_type_csv_name(violent, month("2013-05")), "Violence and sexual offences");
        let burglary = crime_category_code_for_slug("burglary").unwrap();
        assert_eq!(crime_type_csv_name(burglary, month("2011-01")), "Burglary");
    }

    #[test]
    fn historic_crime_type_names_map_to_slugs() {
        let violent = crime_category_code_for_csv_name("Violent crime").unwrap();
        assert_eq!(crime_category(violent).slug, "violent-crime");
        assert_eq!(crime_category_code_for_csv_name("Violence and sexual offences"), Some(violent));
        let disorder = crime_category_code_for_csv_name("Public disorder and weapons").unwrap();
        assert_eq!(crime_category(disorder).slug, "public-disorder-weapons");
        assert_eq!(crime_category_code_for_csv_name("Jaywalking"), None);
        assert_eq!(
            CRIME_CATEGORIES[..CURRENT_CRIME_CATEGORY_COUNT].last().unwrap().slug,
            "other-crime"
        );
    }

    #[test]
    fn outcome_names_and_variants_map_to_codes() {
        assert_eq!(OUTCOME_CATEGORIES.len(), 28);
        let code = outcome_code_for_csv_name("Offender given penalty notice").unwrap();
        assert_eq!(outcome_category(code).code, "penalty-notice-issued");
        let charged = outcome_code_for_csv_name("Suspect charged").unwrap();
        assert_eq!(outcome_category(charged).code, "charged");
        assert_eq!(outcome_code_for_csv_name("Abducted by aliens"), None);
    }
}
