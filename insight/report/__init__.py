"""Report machinery: typed notebook parameters, papermill execution, HTML export, publishing.

``insight run`` (``insight.report.cli.run_main``) executes the notebooks listed in
``reports.yml`` and publishes ``reports/<run-id>/`` with one self-contained HTML
page per report, ``index.html`` and ``manifest.json``; see docs/reports.md.
"""
