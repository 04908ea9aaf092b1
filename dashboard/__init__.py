"""CarePulse executive dashboard: a Streamlit app that only ever reads the published warehouse.

`data` holds every query, `metrics` the ratio-of-sums maths on its frames, `audit` the gate and
publish records, `shell` the sidebar and shared page furniture, `views/` one module per page.
Serve it with `carepulse dashboard` (argv from `launch.command`).
"""
