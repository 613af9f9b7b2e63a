"""One session of each kind of client, as plain Python over `scenarios.api.Api`: what to request next and which
ids to use, discovered from earlier answers the way the real clients discover them. The pauses between steps are
callables handed in by the locust user classes (scenarios/locustfile.py), so a journey itself never sleeps."""
