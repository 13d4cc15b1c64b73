using SemiNas.Contracts;

namespace SemiNas.Fixtures.FuturePlugin;

public sealed class FutureTaskPlugin : TaskPlugin<FutureTaskPlugin.Options>
{
    public override string Name => "future";

    public override string Description => "A plugin built against a contract this host does not know.";

    public override int ContractVersion => 99;

    protected override ISearchTask CreateTask(Options options, TaskCreationContext context) => throw new NotSupportedException();

    public sealed class Options;
}
