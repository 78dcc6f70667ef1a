//! Crime counts by snap point: for each snap point, its crimes per (month, force, category)
//! across every month held, in one contiguous run. A circle or polygon counted over many
//! months then reads each of its points once, instead of looking each point up in every
//! month's groups (36 lookups a point over 36 months, most finding one crime or none).

use super::compact::Segments;
use super::{CrimeRecord, MonthCrimes};
use crate::Month;

/// Bits of an entry: month slot (8, from the index's first month), force (6), category (5),
/// count (13).
const MONTH_SHIFT: u32 = 24;
const FORCE_SHIFT: u32 = 18;
const CATEGORY_SHIFT: u32 = 13;
const COUNT_MASK: u32 = (1 << CATEGORY_SHIFT) - 1;
/// Months, forces and categories an entry can name; an index beyond them has no summary.
const MONTH_SLOTS: usize = 1 << (32 - MONTH_SHIFT);
const FORCE_LIMIT: usize = 1 << (MONTH_SHIFT - FORCE_SHIFT);
const CATEGORY_LIMIT: usize = 1 << (FORCE_SHIFT - CATEGORY_SHIFT);

/// One (month, force, category) count at a snap point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PointCount {
    /// The month, as [`Month::index`].
    pub month: u32,
    pub force: u8,
    pub category: u8,
    pub count: u32,
}

/// Every snap point's crimes per (month, force, category), month by month: entries
/// `offsets[p]..offsets[p + 1]` are point `p`'s, in month order.
#[derive(Debug, Clone, Default)]
pub(super) struct PointCounts {
    /// The month of slot 0; `None`: no summary (no crimes, or an index too wide for it).
    first_month: Option<Month>,
    offsets: Vec<u32>,
    entries: Vec<u32>,
}

impl PointCounts {
    /// Summarises `months` (sorted, covering `records`) over `point_count` snap points; no
    /// summary when the months span more than 256, or there are more than 64 forces or 32
    /// categories (counts then walk the records).
    pub fn new(
        months: &[MonthCrimes],
        records: &Segments<CrimeRecord>,
        point_count: usize,
    ) -> Self {
        let (Some(first), Some(last)) = (months.first(), months.last()) else {
            return PointCounts::default();
        };
        let too_wide = (last.month.index() - first.month.index()) as usize >= MONTH_SLOTS
            || records.iter().any(|r| {
                usize::from(r.force) >= FORCE_LIMIT || usize::from(r.category) >= CATEGORY_LIMIT
            });
        if too_wide {
            return PointCounts::default();
        }
        // Two passes over the same groups: count each point's entries, then write them.
        let mut offsets = vec![0u32; point_count + 1];
        let mut scratch = Vec::new();
        for_each_group_entries(months, records, &mut scratch, |point, entries| {
            offsets[point as usize + 1] += entries.len() as u32;
        });
        for p in 0..point_count {
            offsets[p + 1] += offsets[p];
        }
        let mut entries = vec![0u32; offsets[point_count] as usize];
        let mut next = offsets.clone();
        for_each_group_entries(months, records, &mut scratch, |point, group_entries| {
            let at = &mut next[point as usize];
            entries[*at as usize..*at as usize + group_entries.len()]
                .copy_from_slice(group_entries);
            *at += group_entries.len() as u32;
        });
        PointCounts { first_month: Some(first.month), offsets, entries }
    }

    /// Whether there is a summary to read (see [`PointCounts::new`]).
    pub fn is_built(&self) -> bool {
        self.first_month.is_some()
    }

    /// Point `point`'s counts, in month order.
    pub fn of_point(&self, point: u32) -> impl Iterator<Item = PointCount> + '_ {
        let p = point as usize;
        let first = self.first_month.map_or(0, Month::index);
        let range = match (self.offsets.get(p), self.offsets.get(p + 1)) {
            (Some(&start), Some(&end)) => start as usize..end as usize,
            _ => 0..0,
        };
        self.entries[range].iter().map(move |&entry| PointCount {
            month: first + (entry >> MONTH_SHIFT),
            force: ((entry >> FORCE_SHIFT) & (FORCE_LIMIT as u32 - 1)) as u8,
            category: ((entry >> CATEGORY_SHIFT) & (CATEGORY_LIMIT as u32 - 1)) as u8,
            count: entry & COUNT_MASK,
        })
    }

    pub fn heap_bytes(&self) -> usize {
        (self.offsets.capacity() + self.entries.capacity()) * std::mem::size_of::<u32>()
    }
}

/// Calls `visit` with each (month, snap point) group's entries: its records tallied per
/// (force, category), a count above the 13 bits an entry holds split over several entries.
fn for_each_group_entries(
    months: &[MonthCrimes],
    records: &Segments<CrimeRecord>,
    scratch: &mut Vec<u32>,
    mut visit: impl FnMut(u32, &[u32]),
) {
    let Some(first) = months.first().map(|m| m.month) else { return };
    for data in months {
        let slot = (data.month.index() - first.index()) << MONTH_SHIFT;
        for (point, group) in data.groups.iter() {
            scratch.clear();
            let group_records =
                &records[(data.start + group.start) as usize..(data.start + group.end) as usize];
            scratch.extend(group_records.iter().map(|r| {
                slot | u32::from(r.force) << FORCE_SHIFT | u32::from(r.category) << CATEGORY_SHIFT
            }));
            scratch.sort_unstable();
            let mut merged = 0;
            let mut i = 0;
            while i < scratch.len() {
                let key = scratch[i];
                let mut run = scratch[i..].iter().take_while(|&&k| k == key).count();
                i += run;
                while run > 0 {
                    let count = run.min(COUNT_MASK as usize);
                    scratch[merged] = key | count as u32;
                    merged += 1;
                    run -= count;
                }
            }
            visit(point, &scratch[..merged]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{CountScope, CrimeInput, IndexBuilder, LocationType, SnapPoint};
    use crate::spatial::{Area, ONE_MILE_M};
    use crate::Month;

    /// One snap point with `same` crimes of one month, force and category (more than an
    /// entry's count holds), and one more crime `months_later` months after.
    fn index(same: usize, months_later: i32) -> super::super::CrimeIndex {
        let mut builder = IndexBuilder::new();
        builder.add_point(SnapPoint {
            id: 7,
            latitude: 51.5,
            longitude: -0.1,
            name: "On or near High Street".into(),
            location_type: LocationType::Force,
            subtype: "".into(),
        });
        let first = Month::new(2000, 1).unwrap();
        let crime = |id: usize, month: Month| CrimeInput {
            id: id as i64,
            month,
            force_id: "surrey",
            persistent_id: None,
            location_id: Some(7),
            category: 3,
            last_outcome: None,
            context: "",
            lsoa_code: None,
            lsoa_name: None,
        };
        for id in 0..same {
            builder.add_crime(crime(id, first)).unwrap();
        }
        builder.add_crime(crime(same, first.plus(months_later).unwrap())).unwrap();
        builder.build().unwrap()
    }

    fn counted(index: &super::super::CrimeIndex, months_later: i32) -> Vec<u64> {
        let area = Area::Circle { lat: 51.5, lng: -0.1, radius_m: ONE_MILE_M };
        let first = Month::new(2000, 1).unwrap();
        let to = first.plus(months_later).unwrap();
        index
            .crime_counts(first, to, CountScope::Area(&area))
            .iter()
            .filter_map(|m| m.counts.map(|c| c[3]))
            .collect()
    }

    #[test]
    fn counts_beyond_an_entry_split_over_entries() {
        let index = index(20_000, 2);
        assert!(index.point_counts.is_built());
        assert_eq!(
            index.point_counts.of_point(0).count(),
            4,
            "20,000 = 2 × 8,191 + 3,618: three entries, and the later crime's"
        );
        assert_eq!(counted(&index, 2), vec![20_000, 1]);
    }

    #[test]
    fn an_index_spanning_more_than_256_months_counts_by_walking() {
        let index = index(10, 300);
        assert!(!index.point_counts.is_built());
        assert_eq!(counted(&index, 300), vec![10, 1]);
    }
}
