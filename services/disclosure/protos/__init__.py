"""The wire of the disclosure service, one module per aggregate: applications.py (依申请公开 and the
yearly report), publications.py (主动公开), concerns.py (回应关切). Proto ↔ typed input and rows →
replies and event payloads; no rules."""
