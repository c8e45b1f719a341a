"""The measuring floor: a matrix becomes a plan, the plan becomes timed builds, the builds become samples.

plan.py (rounds, seeded order) → runner.py (one daemon session per scenario per round, through the `DockerHost` and
`Builder` interfaces and the daemon calls it is handed: seams.py) → workloads.py / tarstream.py / commit.py (what is
built, generated and streamed) → verify.py / facts.py (what the daemon says it is) → samples.py (a build's sample
lines) → results/ (samples appended as measured, the typed manifest); progress.py and estimate.py say how long is
left, adaptive.py adds rounds where the plan asks for them.
"""
