"""Lineage for auditors: a published row traced to its raw evidence (`trace`), a mart column
traced to its source fields (`columns`)."""
