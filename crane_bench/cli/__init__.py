"""The `crane-bench` command line: `app` in `crane_bench.cli.app`, one module per command."""
