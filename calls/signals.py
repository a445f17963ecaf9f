"""Hooks through which higher apps react to calls without calls importing them (STYLE.md §7e).

- `call_ingested`: sent after the ingesting transaction commits (on PostgreSQL's statement and
  on the ORM path alike), with `call_id` and `client_id` (both UUIDs), once per ingestion, created
  or updated. A receiver reloads what it needs; one that fails is logged, never fails ingestion
  (attribution matches the call to a website visit).
- `media_keys_rotating`: sent by `media_keys_rotate_across_clients` after the media data keys are
  re-wrapped; a receiver re-seals what it keeps under RECORDING_KEYS and returns its counts
  (`dict[str, int]`), which join the rotation's audit record and the command's report.
- `call_detail_facts`: sent when a call's detail is built, for the call page and for the API.
  A receiver returns `(label, value)` pairs to show on the call page (telephony shows where the
  call was put through, attribution the call's channel and campaign).
- `call_detail_fields`: sent when the API's detail of a call is built; a receiver returns a dict
  of keys to add to it (attribution adds its `attribution` object, null when none).
- `calls_changed`: sent inside the transaction of every write that adds, deletes or changes the
  counted facts of a Client's calls (number, status, duration, start): the ingestion, a later
  outcome, the retention purge, and attribution when it attributes a call or removes its
  attribution (the aggregates count calls by channel and campaign). `client` is the Client; every local day (its time zone) from the
  day of `first` to the day of `last` (datetimes) may have changed. The reports app marks those
  days for its daily aggregates; an erasure sends nothing (the facts stay).
"""

from __future__ import annotations

from django.dispatch import Signal

call_ingested = Signal()
media_keys_rotating = Signal()
call_detail_facts = Signal()
calls_changed = Signal()  # sender=Call, client, first, last
call_detail_fields = Signal()
