using SemiNas.Contracts;

namespace SemiNas.Plugins.NasBench;

/// <summary>The "nasbench201" task: search the NAS-Bench-201 cell space with table lookups instead of training.</summary>
public sealed class NasBench201Plugin : TaskPlugin<NasBench201Options>
{
    public override string Name => "nasbench201";

    public override string Description =>
        "NAS-Bench-201 (NATS-Bench topology space): 15,625 cells of 6 edges x 5 operations, evaluated by looking up " +
        "their recorded accuracy on CIFAR-10, CIFAR-100 or ImageNet16-120 (200 or 12 epochs). Fast and exactly " +
        "comparable with published results.";

    protected override ISearchTask CreateTask(NasBench201Options options, TaskCreationContext context) =>
        new NasBench201Task(options, NasBench201Table.Shared);
}
