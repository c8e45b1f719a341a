"""Campaigns: the same matrix on every machine of an Ansible inventory, one run directory per machine.

`config` reads the campaign YAML, `inventory` asks Ansible which machines an inventory names, `inputs` stages the
matrix and the harness wheel, `driver` runs the shipped playbook through ansible-runner and records what happened
on each machine, `manifest` writes the campaign manifest, and `run` ties them together (with `--resume`).
"""
