"""Keycloak realm `zgov` as code (realm-zgov.json) and the security office's admin tool (iam.py)."""
