"""The scorecard: the plan's metrics for both apps on one page, judged by reviewed gates, with their history."""
