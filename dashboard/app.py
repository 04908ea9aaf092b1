"""Entry script of the executive dashboard: `streamlit run dashboard/app.py` (or `carepulse dashboard`).

Streamlit reruns this file on every interaction. It first asks `access.gate()` whether the
reader may see data (login, when the config turns it on); only then does it look at the
published warehouse (afresh each time: a new publish shows up on the next rerun), draw the
sidebar, register the pages at the url paths the dbt exposures name, and run the page the
reader is on.
"""

from __future__ import annotations

import streamlit as st

from carepulse import paths
from dashboard import access, data, shell
from dashboard.views import PAGES


def main() -> None:
    st.set_page_config(page_title="CarePulse", page_icon=":material/monitor_heart:", layout="wide")
    admitted = access.gate()  # before any query: a reader not let in sees no figure at all
    if admitted is None:
        return
    navigation = st.navigation([
        st.Page(spec.script, title=spec.title, url_path=spec.url_path, icon=spec.icon,
                default=spec.is_default)
        for spec in PAGES
    ])
    home = paths.home()
    shell.sidebar(home, data.snapshot(home))
    admitted.sign_out_control()
    navigation.run()


main()
