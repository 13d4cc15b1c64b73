// libtorch work and the flite/pocketsphinx processes share two cores; one test at a time keeps timings sane and
// the shared corpus fixture simple.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
