"""Hooks through which higher apps react to calls without calls importing them (STYLE.md §7e).

- `media_keys_rotating`: sent by `media_keys_rotate_across_clients` after the media data keys are
  re-wrapped; a receiver re-seals what it keeps under RECORDING_KEYS and returns its counts
  (`dict[str, int]`), which join the rotation's audit record and the command's report.
- `call_detail_facts`: sent when the call page is built; a receiver returns `(label, value)` pairs
  to show about the call (telephony shows where the call was put through).
"""

from __future__ import annotations

from django.dispatch import Signal

media_keys_rotating = Signal()
call_detail_facts = Signal()
