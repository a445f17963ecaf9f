"""Every write of the attribution app, by subject: website settings, leasing numbers to visits,
matching a call to the visit that held its number, and the privacy rules' erasures and purges
(SPEC §13)."""

from attribution.services.call_matching import call_match
from attribution.services.privacy import (
    VISIT_BATCH,
    call_attribution_copies_sync,
    call_visits_erase,
    contact_visits_erase,
    expired_visit_batch_delete_across_clients,
    expired_visits_count_across_clients,
    visit_retention_cutoff,
)
from attribution.services.visits import (
    LEASE,
    NumberAnswer,
    VisitInput,
    display_national,
    landing_path_cut,
    pool_number_enlist,
    source_number,
    token_hash,
    visit_lease,
)
from attribution.services.websites import (
    MAX_ORIGINS,
    origin_normalise,
    website_for,
    website_update,
)

__all__ = [
    "LEASE",
    "MAX_ORIGINS",
    "VISIT_BATCH",
    "NumberAnswer",
    "VisitInput",
    "call_attribution_copies_sync",
    "call_match",
    "call_visits_erase",
    "contact_visits_erase",
    "display_national",
    "expired_visit_batch_delete_across_clients",
    "expired_visits_count_across_clients",
    "landing_path_cut",
    "origin_normalise",
    "pool_number_enlist",
    "source_number",
    "token_hash",
    "visit_lease",
    "visit_retention_cutoff",
    "website_for",
    "website_update",
]
