"""The load scenarios: locust user classes (locustfile.py) and the journeys they run (journeys/).

Everything here except locustfile.py is plain Python without locust or gevent, so the tests import it directly;
the locustfile is only ever run by locust, in a process of its own.
"""
