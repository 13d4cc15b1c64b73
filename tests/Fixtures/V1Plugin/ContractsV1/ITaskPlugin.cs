namespace SemiNas.Contracts;

public interface ITaskPlugin
{
    string Name { get; }

    string Description { get; }

    Version Version { get; }

    int ContractVersion { get; }

    Type OptionsType { get; }
}
