//! Calendar months (`YYYY-MM`), the unit police.uk publishes data in.

use std::fmt;
use std::str::FromStr;

/// A calendar month. Ordered chronologically; `index()` counts months since year 0 so that
/// arithmetic and compact storage (`u16` offsets in the index) are trivial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: u16,
    month: u8,
}

/// Why a string is not a `YYYY-MM` month.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a month in YYYY-MM form: {0:?}")]
pub struct MonthParseError(pub String);

impl Month {
    /// A month from a year and a month number (1–12).
    pub fn new(year: u16, month: u8) -> Option<Self> {
        ((1..=12).contains(&month) && (1..=9999).contains(&year)).then_some(Month { year, month })
    }

    pub fn year(self) -> u16 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    /// Months since January of year 0.
    pub fn index(self) -> u32 {
        self.year as u32 * 12 + (self.month as u32 - 1)
    }

    /// The month with the given [`Month::index`].
    pub fn from_index(index: u32) -> Option<Self> {
        let year = u16::try_from(index / 12).ok()?;
        Month::new(year, (index % 12) as u8 + 1)
    }

    /// The month `n` months later (earlier for negative `n`).
    pub fn plus(self, n: i32) -> Option<Self> {
        let index = i64::from(self.index()) + i64::from(n);
        Month::from_index(u32::try_from(index).ok()?)
    }

    /// The months from `from` to `to`, both included, oldest first; none when `from > to`.
    pub fn range(from: Month, to: Month) -> impl Iterator<Item = Month> {
        (from.index()..=to.index()).filter_map(Month::from_index)
    }

    /// The first day of the month as `YYYY-MM-01`, the form PostgreSQL `date` columns take.
    pub fn first_day(self) -> String {
        format!("{self}-01")
    }

    /// Days in the month (Gregorian calendar).
    pub fn days(self) -> u8 {
        match self.month {
            4 | 6 | 9 | 11 => 30,
            2 if is_leap_year(self.year) => 29,
            2 => 28,
            _ => 31,
        }
    }
}

fn is_leap_year(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = MonthParseError;

    /// Strictly `YYYY-MM`: four digits, a dash, two digits (police.uk answers 404 to
    /// `2026-7`, `July2026` and `2026-07-15`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || MonthParseError(s.to_owned());
        let bytes = s.as_bytes();
        if bytes.len() != 7 || bytes[4] != b'-' {
            return Err(err());
        }
        let digits = |range: std::ops::Range<usize>| -> Option<u16> {
            let part = &s[range];
            part.bytes().all(|b| b.is_ascii_digit()).then(|| part.parse().ok()).flatten()
        };
        let year = digits(0..4).ok_or_else(err)?;
        let month = digits(5..7).ok_or_else(err)?;
        Month::new(year, month as u8).ok_or_else(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_strict_year_month() {
        assert_eq!("2024-01".parse::<Month>().unwrap(), Month::new(2024, 1).unwrap());
        for bad in ["2026-13", "July2026", "2026-07-15", "2026-7", "202a-01", "", "2026-00"] {
            assert!(bad.parse::<Month>().is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn arithmetic_crosses_years() {
        let jan = Month::new(2024, 1).unwrap();
        assert_eq!(jan.plus(-1).unwrap().to_string(), "2023-12");
        assert_eq!(jan.plus(13).unwrap().to_string(), "2025-02");
        assert_eq!(Month::from_index(jan.index()), Some(jan));
        assert_eq!(Month::new(2024, 2).unwrap().days(), 29);
        assert_eq!(Month::new(2023, 2).unwrap().days(), 28);
        assert_eq!(jan.first_day(), "2024-01-01");
    }
}
