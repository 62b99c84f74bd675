"""The petitions service's wire, one module per aggregate: `cases.py` (enum maps, the intake, the case as
a reader's view allows, the event summary and `MESSAGE_TYPES`, the register), `reconsiderations.py`
(administrative reconsideration, A69). No rules."""
