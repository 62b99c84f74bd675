"""The position names the org service's rules use (the realm's position codes)."""

MAYOR = "mayor"
EXECUTIVE_VICE_MAYOR = "executive-vice-mayor"
VICE_MAYOR = "vice-mayor"
SECRETARY_GENERAL = "secretary-general"

# Leaders who may hold a portfolio (A8) and be paired (A59).
PORTFOLIO_POSITIONS = frozenset({EXECUTIVE_VICE_MAYOR, VICE_MAYOR})
# City leaders (市领导) who take turns on holiday duty (A79).
DUTY_POSITIONS = frozenset({MAYOR, EXECUTIVE_VICE_MAYOR, VICE_MAYOR, SECRETARY_GENERAL})
