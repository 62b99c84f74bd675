"""The org service's queries, one module per aggregate: `leave.py` (leave and the absence lock, A82),
`acting.py` (the acting clock's leaves and WhoMayAct's facts, A10, A59), `portfolios.py` (portfolios
and A/B pairs, A8, A59), `duty.py` (the holiday duty roster, A79), `attendance.py` (event attendance,
A54, A55), `receptions.py` (A56), `trips.py` (trips abroad, A57, A58). They never commit: the caller
owns the transaction."""
