#!/usr/bin/env bash
# Run on each machine by the campaign playbook: `harness run` the matrix there, and mark the run finished.
# Usage: run-on-machine.sh WORK MATRIX [harness run options]
# The harness runs in its own session so that a hang-up (the controller killed, the SSH connection lost) reaches
# only this script, which then stops the harness with SIGTERM: it tears down its private daemons and keeps every
# finished build. harness.pid lets the campaign's stop play (stop.yml) do the same when the campaign is stopped.
# A run interrupted either way is continued (--resume) the next time the campaign comes by.
set -u
work=$1
matrix=$2
shift 2
cd "$work" || exit 2
resume=()
partial=$(find results -mindepth 1 -maxdepth 1 -type d 2>/dev/null | sort | tail -n 1)
if [ -n "$partial" ]; then
    resume=(--resume "$partial")
fi
setsid "$work/venv/bin/harness" run "inputs/$matrix" --results "$work/results" --work-dir "$work/daemons" \
    "${resume[@]}" "$@" >run.out 2>run.err </dev/null &
pid=$!
echo "$pid" >harness.pid
trap 'kill -TERM "$pid" 2>/dev/null' HUP INT TERM
status=0
while kill -0 "$pid" 2>/dev/null; do
    wait "$pid"
    status=$?
done
rm -f harness.pid
run_dir=$(sed -n 's/^results: //p' run.out | tail -n 1)
tail -n 5 run.err >&2
if [ "$status" -le 1 ] && [ -n "$run_dir" ]; then
    printf '%s\n' "$run_dir" >run-finished
fi
echo "harness run exited $status; results: ${run_dir:-none}"
exit "$status"
