using SemiNas.Contracts;

namespace SemiNas.Fixtures.V1Plugin;

public sealed class OldTaskPlugin : ITaskPlugin
{
    public string Name => "old";

    public string Description => "A plugin built against contract version 1.";

    public Version Version => new(1, 3, 0);

    public int ContractVersion => 1;

    public Type OptionsType => typeof(object);
}
