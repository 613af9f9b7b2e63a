"""Settings split by concern: `base` (every environment, read from the environment), `test`, `production`."""
