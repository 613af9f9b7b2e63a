"""The security area: bandit and a dependency audit, ZAP-rule passive DAST, the Observatory grade over TLS, active
probes of both apps (README "Security")."""
