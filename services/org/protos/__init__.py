"""The org service's wire, one module per aggregate: `leave.py` (leave and stand-in gaps),
`attendance.py` (event attendance), `portfolios.py`, `receptions.py`, `trips.py`: enum maps and rows →
zgov.org.v1 messages (the replies and the events carry the same messages). No rules. A/B pairs, the
duty roster and WhoMayAct build their replies in api.py from plain values."""
