"""Pure rules of the disclosure service (no I/O): publications.py (主动公开), applications.py and
annual_report.py (依申请公开)."""
