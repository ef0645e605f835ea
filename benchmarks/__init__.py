"""Speed and memory benchmarks over attnviz's public API; each module runs as ``python benchmarks/NAME.py``."""
