"""The measuring floor: a matrix becomes a plan, the plan becomes timed builds, the builds become samples.

plan.py (rounds, seeded order) → runner.py (one daemon session per scenario per round, through the `DockerHost` and
`Builder` interfaces) → workloads.py / tarstream.py / commit.py (what is built, generated and streamed) →
verify.py / facts.py (what the daemon says it is) → results/ (samples appended as measured); progress.py and
estimate.py say how long is left, adaptive.py adds rounds where the plan asks for them.
"""
