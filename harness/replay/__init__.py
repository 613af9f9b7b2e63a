"""Replaying real clients (the Postman collection) against any implementation of the API."""
