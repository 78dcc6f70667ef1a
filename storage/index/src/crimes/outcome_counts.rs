//! Outcome counts (`/api/v2/outcomes/counts`, and `last_outcomes` of `/api/v2/crimes/counts`),
//! counted in place like [`super::counts`]: the outcomes recorded in each month of a period
//! by outcome category, and crimes by category and last outcome.
//!
//! A crime's last outcome is the name the street CSV's `Last outcome category` gave it. It is
//! counted under one of police.uk's 28 outcome categories (the codes of `outcomes-for-crime`,
//! matched through [`outcome_code_for_csv_name`], which knows the published variants of the
//! names), under [`NO_LAST_OUTCOME`] (`none`) when the column was empty (anti-social
//! behaviour always, other crimes rarely), or under [`OTHER_LAST_OUTCOME`] (`other`) for a name
//! that is none of those.

use super::{CountScope, CrimeIndex, CrimeRecord, CATEGORY_COUNT};
use crate::reference::{outcome_code_for_csv_name, OUTCOME_CATEGORIES};
use crate::Month;

/// Number of outcome categories (police.uk's 28): the length of [`OutcomeCategoryCounts`].
pub const OUTCOME_CATEGORY_COUNT: usize = OUTCOME_CATEGORIES.len();

/// Outcomes per outcome category, indexed by outcome code (position in [`OUTCOME_CATEGORIES`]).
pub type OutcomeCategoryCounts = [u64; OUTCOME_CATEGORY_COUNT];

/// The kinds of last outcome a crime can have: the outcome categories, then
/// [`NO_LAST_OUTCOME`] and [`OTHER_LAST_OUTCOME`].
pub const LAST_OUTCOME_KINDS: usize = OUTCOME_CATEGORY_COUNT + 2;

/// The last-outcome kind of a crime without one (slug `none`).
pub const NO_LAST_OUTCOME: usize = OUTCOME_CATEGORY_COUNT;

/// The last-outcome kind of a crime whose last outcome names no outcome category (slug
/// `other`).
pub const OTHER_LAST_OUTCOME: usize = OUTCOME_CATEGORY_COUNT + 1;

/// Crimes per last-outcome kind (see [`LAST_OUTCOME_KINDS`]).
pub type LastOutcomeCounts = [u64; LAST_OUTCOME_KINDS];

/// Crimes per crime category (by category code) and last-outcome kind.
pub type CategoryLastOutcomes = [LastOutcomeCounts; CATEGORY_COUNT];

/// The slug of a last-outcome kind: the outcome category's code (e.g. `under-investigation`),
/// `none` or `other`.
pub fn last_outcome_slug(kind: usize) -> &'static str {
    match kind {
        NO_LAST_OUTCOME => "none",
        OTHER_LAST_OUTCOME => "other",
        code => OUTCOME_CATEGORIES[code].code,
    }
}

/// The last-outcome kind of a last outcome's name (`None`: no last outcome).
pub fn last_outcome_kind(name: Option<&str>) -> usize {
    match name {
        None | Some("") => NO_LAST_OUTCOME,
        Some(name) => outcome_code_for_csv_name(name).map_or(OTHER_LAST_OUTCOME, usize::from),
    }
}

/// The outcomes recorded in one month of a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthOutcomeCounts {
    /// The month the outcomes were recorded.
    pub month: Month,
    /// Outcomes per outcome category; `None` when the index holds no outcomes at all for the
    /// month (its outcome data is missing).
    pub counts: Option<OutcomeCategoryCounts>,
}

/// The crimes of one month of a period by category and last outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthLastOutcomes {
    /// The month of the crimes.
    pub month: Month,
    /// Crimes per category and last-outcome kind; `None` when the index holds no crimes at
    /// all for the month.
    pub counts: Option<Box<CategoryLastOutcomes>>,
}

impl CrimeIndex {
    /// The outcomes recorded in every month from `from` to `to` (inclusive; empty when
    /// `from > to`), oldest first, in `scope` (see [`CrimeIndex::visit_selected_outcomes`]),
    /// of crimes whose category is among `categories` (codes), per outcome category. Months
    /// the index holds no outcomes for have `counts: None`.
    pub fn outcome_counts(
        &self,
        from: Month,
        to: Month,
        scope: CountScope<'_>,
        categories: &[u8],
    ) -> Vec<MonthOutcomeCounts> {
        let wanted = category_set(categories);
        let selection = self.select(scope);
        Month::range(from, to)
            .map(|month| {
                let mut counts = [0; OUTCOME_CATEGORY_COUNT];
                let held = self.visit_selected_outcomes(month, &selection, |_, code, crime| {
                    if wanted_category(&wanted, crime) {
                        if let Some(count) = counts.get_mut(usize::from(code)) {
                            *count += 1;
                        }
                    }
                });
                MonthOutcomeCounts { month, counts: held.then_some(counts) }
            })
            .collect()
    }

    /// The crimes of every month from `from` to `to` (inclusive; empty when `from > to`),
    /// oldest first, in `scope` (the crimes [`CrimeIndex::crime_counts`] counts), per category
    /// and last-outcome kind. Months the index holds no crimes for have `counts: None`.
    pub fn last_outcome_counts(
        &self,
        from: Month,
        to: Month,
        scope: CountScope<'_>,
    ) -> Vec<MonthLastOutcomes> {
        // The kind of each name of the outcome name pool, worked out once.
        let kinds: Vec<u8> = self
            .outcome_names
            .iter()
            .enumerate()
            .map(|(index, name)| {
                let name = (index != 0).then_some(&**name);
                u8::try_from(last_outcome_kind(name)).unwrap_or(u8::MAX)
            })
            .collect();
        let selection = self.select(scope);
        Month::range(from, to)
            .map(|month| {
                let mut counts = Box::new([[0; LAST_OUTCOME_KINDS]; CATEGORY_COUNT]);
                let held = self.visit_selected(month, &selection, |_, crime| {
                    let kind = crime
                        .last_outcome_pool_index()
                        .and_then(|index| kinds.get(index as usize))
                        .map_or(NO_LAST_OUTCOME, |&kind| usize::from(kind));
                    if let Some(count) = counts
                        .get_mut(usize::from(crime.record.category))
                        .and_then(|by_kind| by_kind.get_mut(kind))
                    {
                        *count += 1;
                    }
                });
                MonthLastOutcomes { month, counts: held.then_some(counts) }
            })
            .collect()
    }
}

/// Which category codes are wanted, indexed by code.
fn category_set(categories: &[u8]) -> [bool; CATEGORY_COUNT] {
    let mut set = [false; CATEGORY_COUNT];
    for &code in categories {
        if let Some(wanted) = set.get_mut(usize::from(code)) {
            *wanted = true;
        }
    }
    set
}

fn wanted_category(set: &[bool; CATEGORY_COUNT], crime: &CrimeRecord) -> bool {
    set.get(usize::from(crime.category)).copied().unwrap_or(false)
}

#[cfg(test)]
mod tests;
