"""The load area (`harness load`, and `harness verify` with the `smoke` profile): real journeys under locust,
exact latency, server-side queries and cache hits, generator health, capacity search and gates.

How the pieces meet (each module's docstring has the details):

    scenarios/profiles.toml   the reviewed profiles (smoke, baseline, peak, soak, spike, capacity): users, spawn
                              rate, duration, warm-up, request bound, think time, locust processes   (profiles.py)
    scenarios/gates.toml      the reviewed thresholds, overall and per operation                      (gates.py)
    scenarios/locustfile.py   the user classes (the journeys); every request is named by its contract operation,
                              "METHOD /path/{template}" exactly as in contracts/openapi.yaml
    recorder.py               a locust plugin, loaded beside the locustfile (`-f scenarios/locustfile.py,<recorder>`):
                              runs only inside locust's processes, never imported by the harness (gevent patches
                              the process it is imported into)
    runner.py                 serves each app under gunicorn (gthread, the same workers/threads/keep-alive for both),
                              on its own seeded database, one app after the other, and runs locust (master +
                              `--processes` workers) against it as a subprocess, bounded in users, time and requests
    latency.py                reads what the recorder wrote: exact percentiles from HDR histograms, with the p95's
                              confidence interval

The wire between the recorder (in locust) and the harness is one JSON file, `samples.json`, written by the locust
master (or the single local runner) when the test stops, at the path in HARNESS_LOAD_OUT:

    {"version": 1, "unit": "us", "significant_digits": 3, "started": <epoch s>, "stopped": <epoch s>,
     "warmup_s": <float>, "measured_s": <float: seconds of the steady state the histograms cover>,
     "operations": {"<request name>": {
         "requests": <int>, "failures": <int>, "statuses": {"200": <int>, "0": <int: no response>, ...},
         "errors": {"<first line of the failure>": <int>},
         "latency":  "<HDR histogram, encoded (hdrh's encode(), base64)>",   what locust measured: send to last byte
         "intended": "<HDR>",   from the intended send time (latency + send lag): coordinated omission corrected
         "lag":      "<HDR>",   the send lag: how late the generator sent the request after it meant to
         "server":   "<HDR>",   the server's own handler time (Server-Timing `app;dur`), when it sent one
         "queries":  {"<count>": <requests with that many SQL statements>},   (Server-Timing `db;count`)
         "cache_hits": <int>, "cache_misses": <int>},                         (Server-Timing `cache;hit;miss`)
         ...},
     "warmup_requests": <int: requests sent during the warm-up, kept out of every figure>,
     "timeline": [[<second since start>, <requests>, <failures>], ...],      every second, warm-up included
     "generator": {"workers": [{"worker": "<id>", "cpu_percent_max": <float>, "cpu_percent_mean": <float>,
                                "users_max": <int>}, ...],
                   "master_cpu_percent_max": <float>, "master_cpu_percent_mean": <float>},
     "stopped_by": "time" | "requests" | "signal"}

Recorder settings, by environment (so they reach forked and remote workers alike):
    HARNESS_LOAD_OUT           where the master writes samples.json (required: without it the recorder is inert)
    HARNESS_LOAD_WARMUP_S      samples that started before test start + this are warm-up, not measured (default 0)
    HARNESS_LOAD_MAX_REQUESTS  the master stops the test once this many requests were reported (0: no bound)
    HARNESS_LOAD_ACCOUNTS      a JSON file of seeded accounts for the scenarios (see scenarios/README.md)
    HARNESS_LOAD_THINK_SCALE   the profile's think_scale, which the scenarios apply to every pause (scenarios/think.py)

Server-side truth (DESIGN.md "Boundaries"): each app, when SERVER_TIMING=1 is in its environment (off by default),
answers every request with one W3C Server-Timing header, extension parameters for the counts:

    Server-Timing: app;dur=12.345, db;dur=3.210;count=4, cache;hit=1;miss=0

`app` is the handler time in ms (the whole request inside the app), `db` the time in SQL statements and how many
(transaction control, BEGIN/COMMIT, not counted), `cache` is present only when the request looked up the app's
response cache (hit + miss lookups). server_timing.py parses it; an app that sends none has no server figures.
"""
