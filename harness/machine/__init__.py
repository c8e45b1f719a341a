"""The machine floor: everything a run changes on this machine, and how it is undone.

ledger.py records each change before it is made (in a state directory that outlives the process), so `harness
cleanup` can undo what a SIGKILL left: kernel knobs (knobs.py), loop filesystems (loopfs.py), our processes
(processes.py, stopped by pid), work directories (workspace.py); cleanup.py walks abandoned ledgers.
"""
