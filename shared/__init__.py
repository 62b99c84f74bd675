"""The platform's common library (configuration, errors, working days, telemetry, logs, ...)."""
