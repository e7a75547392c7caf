"""Helpers for bench/bench.py: DNS wire probes, /proc accounting, the servers, dnsperf, reports."""
