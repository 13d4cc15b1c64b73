using SemiNas.Contracts;

namespace SemiNas.Fixtures.ThrowingPlugin;

public sealed class ThrowingTaskPlugin : TaskPlugin<ThrowingTaskPlugin.Options>
{
    public ThrowingTaskPlugin() => throw new InvalidOperationException("boom");

    public override string Name => "throwing";

    public override string Description => "A plugin whose constructor throws.";

    protected override ISearchTask CreateTask(Options options, TaskCreationContext context) => throw new NotSupportedException();

    public sealed class Options;
}
