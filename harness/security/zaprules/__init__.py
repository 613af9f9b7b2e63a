"""The rule implementations behind harness.security.passive (its module docstring says what they are and where they
differ from ZAP): `texts` ZAP's messages, `base` what the rules read from a response, then the rules by what they
read: `cookies`, `headers`, `csp`, `content` (bodies)."""
