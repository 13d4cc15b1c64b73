// libtorch's results depend on how its thread pool splits reductions, and tests running at the same time in
// one process change that; the determinism tests (same seed, same proposals) need the runs one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
