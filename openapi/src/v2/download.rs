//! The answer of `/api/v2/download`: not JSON, a zip.

use utoipa::ToSchema;

/// A zip laid out like police.uk's bulk archive: `YYYY-MM/YYYY-MM-<force>-street.csv`,
/// `-outcomes.csv` and `-stop-and-search.csv`, one file per month, force and kind held, in
/// police.uk's CSV format (UTF-8 without BOM, LF line ends, minimal quoting). Entries are
/// deflated and streamed: their sizes follow each entry (data descriptors).
#[derive(Debug, Clone, ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct ZipArchive(pub Vec<u8>);
