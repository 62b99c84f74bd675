"""The disclosure service's queries, one module per aggregate: applications.py (依申请公开, reviews and
lawsuits, yearly reports), publications.py (主动公开, comments, search), concerns.py (回应关切).

Never commits: the caller owns the transaction, so a change, its recorded act and its outbox event
commit together.
"""
