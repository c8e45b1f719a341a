"""The analysis floor: pure statistics over loaded runs (results/reader.py). No daemon, no docker SDK, no writing.

stats.py (intervals, tests) → sessions.py (per-round statistics) → differences.py (ratios against the baseline and the
A/A control) → growth.py (fits over a sweep) → caveats.py (what a reader must know) → summary.py / compare.py (one
run, two runs); cells.py holds the per-cell figures the observers left on samples.
"""
