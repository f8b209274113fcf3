"""Developer tooling: the DataCite emulator, the sample archive and sample access logs.

Only the command line, the demo, the tests and the benchmarks use these; the pipeline's runtime
modules never import from here.
"""
