"""Crane Bench, one import package.

`crane_bench.runtime` is the agent runtime under test, `crane_bench.evals` the evaluation,
`crane_bench.load` the load scenarios, `crane_bench.reports` the HTML reports,
`crane_bench.plumbing` what the four share (child processes, run files, gates), and
`crane_bench.cli` the `crane-bench` command, the one place that wires the four together.
"""
