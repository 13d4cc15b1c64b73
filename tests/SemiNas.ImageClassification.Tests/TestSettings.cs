// Every test here trains TorchSharp models on the CPU; run them one at a time so that they neither fight over the
// few cores nor change libtorch's thread-pool splits under each other.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
