//! The answer of `/readyz`, off the police.uk surface (for load balancers and operators).

use serde::Serialize;
use utoipa::ToSchema;

/// `/readyz`: whether this replica answers from a loaded snapshot, and what it last saw of
/// its store.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`, or `degraded` when the store (PostgreSQL) cannot be reached: answers still
    /// come from the snapshot in memory, but imports are not seen until it is back.
    #[schema(example = "ready")]
    pub status: &'static str,
    /// The snapshot answers come from.
    pub snapshot: SnapshotReadiness,
    /// The store as the snapshot refresher last saw it.
    pub database: DatabaseReadiness,
}

/// The snapshot in memory.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SnapshotReadiness {
    /// Which data this is (as in cursors and ETags).
    #[schema(example = "6f1c2a9e0b7d4c13")]
    pub version: String,
    /// When this process loaded it (RFC 3339, UTC, as stop-and-search times are written).
    #[schema(example = "2026-11-30T20:31:07+00:00")]
    pub loaded_at: String,
    /// Seconds since then.
    #[schema(example = 3600)]
    pub age_seconds: u64,
    /// Street crimes held.
    #[schema(example = 6000000)]
    pub crimes: usize,
    /// The newest month with street crime, `YYYY-MM`, or null when none.
    #[schema(example = "2024-12")]
    pub latest_month: Option<String>,
}

/// The store as last seen.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DatabaseReadiness {
    /// `reachable`, `unreachable`, or `unwatched` (no refresher runs in this process).
    #[schema(example = "reachable")]
    pub status: &'static str,
    /// Since when it could not be reached (RFC 3339, UTC); null when it can be.
    #[schema(example = json!(null))]
    pub unreachable_since: Option<String>,
    /// Why, in words; null when reachable.
    #[schema(example = json!(null))]
    pub error: Option<String>,
}
