"""The results floor: the run directory on disk — samples appended as measured, the manifest, logs, masking.

writer.py writes a run (append + flush per build, manifests atomically); reader.py loads one, keeping whole builds
only and migrating older schemas; masking.py keeps credentials out of everything that reaches `results/`.
"""
