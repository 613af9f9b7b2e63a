"""The legacy hand-made auth: PyJWT tokens in cookies or Bearer, server-side sessions, HMAC CSRF."""
