"""The results floor: the run directory on disk — samples appended as measured, the manifest, logs, masking.

writer.py writes a run (append + flush per build, manifests atomically); manifest.py is the typed, versioned model
of manifest.json (loaded, validated and migrated from older schemas); reader.py loads a run for the statistics,
keeping whole builds only; masking.py keeps credentials out of everything that reaches `results/`.
"""
