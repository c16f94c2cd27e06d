"""The monthly briefing (月度通报, issue 17 part 5): the month's figures written as the speech
writes them, as an HTML page, a Word document and a PDF, with a map of the red projects.

``figures`` reads (the KPI figures come from ``sites.kpis.stats``, never recomputed),
``ranking`` the departments' order figures and ranking, ``prose`` the sentences, ``word`` /
``pdf`` / ``mapimage`` the documents.
"""
