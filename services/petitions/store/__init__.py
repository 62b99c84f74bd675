"""The petitions service's queries, one module per aggregate: `cases.py` (cases and their files, A71,
A80), `reconsiderations.py` (administrative reconsideration, A69). They never commit: the caller owns
the transaction."""
