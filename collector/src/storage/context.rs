//! Where an answer happened, by the dimensions reports group by, defined once: [`DIMS`] names
//! each dimension's grouping and its column in `displays` and `responses`. The write path
//! inserts, re-reads and erases the columns from it, the rollups count NPS answers by it
//! ([`super::rollup_delta`]) and rebuild from it ([`super::rollup_sql`]), and reports group by
//! it ([`super::report_sql`]). A new dimension is one entry here, a `GroupBy` variant, a column
//! in one migration per backend, and the ingest that fills it.

use super::GroupBy;
use sqlx::{ColumnIndex, Decode, FromRow, Row, Type};

/// The context dimensions, each with its column. The order is the order of the columns in
/// every statement built from it.
pub const DIMS: [(GroupBy, &str); 5] = [
    (GroupBy::Page, "page_path"),
    (GroupBy::Location, "location"),
    (GroupBy::Channel, "channel"),
    (GroupBy::Locale, "locale"),
    (GroupBy::Device, "device"),
];

fn index(g: GroupBy) -> Option<usize> {
    DIMS.iter().position(|(d, _)| *d == g)
}

/// The column of a context dimension; `None` for the calendar groupings.
pub(super) fn column(g: GroupBy) -> Option<&'static str> {
    index(g).map(|i| DIMS[i].1)
}

/// The columns, comma-separated, in [`DIMS`] order: for a column list in SQL.
pub(super) fn columns() -> String {
    DIMS.map(|(_, c)| c).join(", ")
}

/// A value per context dimension. `None` is SQL NULL; the page path is always set on a write
/// (its column is `NOT NULL`), empty when a test leaves it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DimValues([Option<String>; DIMS.len()]);

impl Default for DimValues {
    fn default() -> Self {
        let mut v = DimValues(Default::default());
        v.set(GroupBy::Page, Some(String::new()));
        v
    }
}

impl DimValues {
    pub fn get(&self, g: GroupBy) -> Option<&str> {
        index(g).and_then(|i| self.0[i].as_deref())
    }

    /// Sets a dimension's value; a calendar grouping has none and is ignored.
    pub fn set(&mut self, g: GroupBy, value: Option<String>) {
        if let Some(i) = index(g) {
            self.0[i] = value;
        }
    }

    /// The values in [`DIMS`] order, to bind after the columns of [`columns`].
    pub(super) fn in_order(&self) -> impl Iterator<Item = Option<&str>> {
        self.0.iter().map(|v| v.as_deref())
    }
}

/// Read by column name, so a row from any statement that selects [`columns`] carries them
/// (`#[sqlx(flatten)]`).
impl<'r, R> FromRow<'r, R> for DimValues
where
    R: Row,
    &'static str: ColumnIndex<R>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        let mut v = DimValues(Default::default());
        for (i, (_, column)) in DIMS.iter().enumerate() {
            v.0[i] = row.try_get(*column)?;
        }
        Ok(v)
    }
}

/// Where it happened; stored with displays and responses for grouping.
#[derive(Debug, Clone, Default)]
pub struct ContextWrite {
    /// The whole page address, shown in listings; not a grouping (the path is).
    pub page: String,
    pub dims: DimValues,
}

impl ContextWrite {
    /// A context on `page` with the path `page_path` and no other dimension.
    pub fn new(page: impl Into<String>, page_path: impl Into<String>) -> Self {
        ContextWrite {
            page: page.into(),
            dims: DimValues::default(),
        }
        .with(GroupBy::Page, page_path)
    }

    /// This context with a dimension set.
    pub fn with(mut self, g: GroupBy, value: impl Into<String>) -> Self {
        self.dims.set(g, Some(value.into()));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every grouping that is not a calendar period is a context dimension: a new one added
    /// to `GroupBy` without a column here fails this.
    #[test]
    fn the_dims_are_the_groupings_that_are_not_periods() {
        let not_periods: Vec<GroupBy> = GroupBy::ALL
            .into_iter()
            .filter(|g| !matches!(g, GroupBy::Day | GroupBy::Week | GroupBy::Month))
            .collect();
        assert_eq!(DIMS.map(|(g, _)| g).to_vec(), not_periods);
        assert_eq!(column(GroupBy::Day), None);
        assert_eq!(column(GroupBy::Device), Some("device"));
    }

    #[test]
    fn values_are_kept_per_dimension() {
        let c = ContextWrite::new("https://s.example/a?b", "/a").with(GroupBy::Locale, "de");
        assert_eq!(c.dims.get(GroupBy::Page), Some("/a"));
        assert_eq!(c.dims.get(GroupBy::Locale), Some("de"));
        assert_eq!(c.dims.get(GroupBy::Location), None);
        assert_eq!(c.dims.get(GroupBy::Month), None);
        let order: Vec<_> = c.dims.in_order().collect();
        assert_eq!(order, [Some("/a"), None, None, Some("de"), None]);
        assert_eq!(columns(), "page_path, location, channel, locale, device");
    }
}
