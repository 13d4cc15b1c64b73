using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using SemiNas.Contracts;
using SemiNas.Core;

namespace SemiNas.Host.Plugins;

/// <summary>A search strategy that loaded and passed the host's checks.</summary>
/// <param name="Factory">The factory; its <see cref="IStrategyFactory"/> is the host's type.</param>
/// <param name="Name">The factory's <see cref="IStrategyFactory.Name"/>, read once at load time.</param>
/// <param name="Description">The factory's <see cref="IStrategyFactory.Description"/>, read once at load time.</param>
/// <param name="SourcePath">Full path of the assembly the strategy came from.</param>
public sealed record LoadedStrategy(IStrategyFactory Factory, string Name, string Description, string SourcePath);

// Strategies are found the way task plugins are: every public IStrategyFactory with a public parameterless
// constructor, in the host's own strategy assemblies and in every plugin assembly, checked by the same code. A plugin
// assembly may hold task plugins, strategies or both.
public sealed partial class PluginCatalog
{
    // The strategies that ship with the host. They are referenced by it (benchmarks bind SemiNAS options), so they are
    // already loaded; they go through the same inspection as a plugin assembly, and come first, so a plugin cannot
    // replace them under the same name.
    private static readonly Assembly[] BuiltInStrategyAssemblies =
        [typeof(Core.Strategies.RandomSearch).Assembly, typeof(Controller.Strategies.SemiNasStrategy).Assembly];

    private readonly List<LoadedStrategy> _strategies = [];

    /// <summary>The strategies that loaded, in discovery order: the host's own first, then those of plugins.</summary>
    public IReadOnlyList<LoadedStrategy> Strategies => _strategies;

    /// <summary>The strategy named <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="KeyNotFoundException">No such strategy loaded; the message lists those that did and why a
    /// strategy of that name, if found, failed to load.</exception>
    public IStrategyFactory GetStrategy(string name) =>
        TryGetStrategy(name, out var strategy) ? strategy.Factory : throw new KeyNotFoundException(DescribeMissingStrategy(name));

    public bool TryGetStrategy(string name, [NotNullWhen(true)] out LoadedStrategy? strategy)
    {
        strategy = _strategies.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));
        return strategy is not null;
    }

    /// <summary>
    /// A catalog of the host's own strategies and of the strategies and plugins in <paramref name="assemblies"/>,
    /// inspected as if loaded from plugin folders (for strategies defined where no plugin folder holds them).
    /// </summary>
    internal static PluginCatalog FromAssemblies(IEnumerable<Assembly> assemblies)
    {
        var catalog = new PluginCatalog();
        catalog.AddBuiltInStrategies();
        foreach (var assembly in assemblies) catalog.InspectAssembly(assembly, assembly.GetName().Name!, assembly.Location);
        return catalog;
    }

    private void AddBuiltInStrategies()
    {
        foreach (var assembly in BuiltInStrategyAssemblies) InspectAssembly(assembly, assembly.GetName().Name!, assembly.Location);
    }

    private static List<Type> StrategyTypes(IEnumerable<Type> exportedTypes) =>
        exportedTypes
            .Where(t => t.IsClass && !t.IsAbstract && !t.ContainsGenericParameters && typeof(IStrategyFactory).IsAssignableFrom(t))
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .ToList();

    private void AddStrategies(IEnumerable<Type> factoryTypes, string source, string path)
    {
        foreach (var type in factoryTypes)
        {
            if (type.GetConstructor(Type.EmptyTypes) is null)
            {
                AddError(source, path, $"{type.FullName} has no public parameterless constructor");
                continue;
            }
            IStrategyFactory factory;
            try
            {
                factory = (IStrategyFactory)Activator.CreateInstance(type)!;
            }
            catch (Exception e)
            {
                AddError(source, path, $"the constructor of strategy {type.FullName} threw {Explain(e)}");
                continue;
            }
            AddStrategy(factory, type, source, path);
        }
    }

    private void AddStrategy(IStrategyFactory factory, Type type, string source, string path)
    {
        string name, description;
        int contractVersion;
        try
        {
            name = factory.Name;
            description = factory.Description;
            contractVersion = factory.ContractVersion;
            _ = factory.OptionsType ?? throw new InvalidOperationException("OptionsType is null");
        }
        catch (Exception e)
        {
            AddError(source, path, $"strategy {type.FullName} threw when asked its Name, Description, ContractVersion or OptionsType: {Explain(e)}");
            return;
        }
        if (string.IsNullOrWhiteSpace(name))
        {
            AddError(source, path, $"strategy {type.FullName} has an empty Name");
            return;
        }
        if (contractVersion != ContractVersion.Current)
        {
            AddError(name, path,
                $"strategy built against contract version {contractVersion}, this host supports {ContractVersion.Current}; " +
                $"rebuild it against SemiNas.Contracts and SemiNas.Core {ContractVersion.Current}");
            return;
        }
        if (_strategies.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase)) is { } first)
        {
            AddError(name, path,
                $"two strategies are named '{name}': the one from {first.SourcePath} is used, the one from {path} is ignored");
            return;
        }
        _strategies.Add(new LoadedStrategy(factory, name, description, path));
    }

    // As with SemiNas.Contracts: a strategy compiled against a newer SemiNas.Core would fail later with an obscure
    // FileNotFoundException or MissingMethodException, because the host's older copy cannot stand in for it.
    private bool AcceptsCoreReference(Assembly assembly, string source, string path)
    {
        var host = typeof(IStrategyFactory).Assembly.GetName();
        var referenced = assembly.GetReferencedAssemblies().FirstOrDefault(r => r.Name == host.Name)?.Version;
        if (referenced is null || host.Version is null || referenced <= host.Version) return true;
        AddError(source, path,
            $"built against SemiNas.Core {referenced.ToString(3)}, newer than this host's {host.Version.ToString(3)}; " +
            $"update the host or rebuild the plugin against SemiNas.Core {host.Version.ToString(3)}");
        return false;
    }

    private string DescribeMissingStrategy(string name)
    {
        var lines = new List<string> { $"There is no search strategy named '{name}'." };
        foreach (var error in _errors.Where(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase)))
            lines.Add($"A strategy named '{name}' was found in {error.Path} but could not be loaded: {error.Reason}");
        lines.Add("Available strategies: " + string.Join(", ", _strategies.Select(s => s.Name)) + ".");
        lines.Add("A strategy from a plugin needs its folder in `pluginPaths:` or `--plugins PATH`; `seminas plugins` lists what loaded.");
        return string.Join(Environment.NewLine, lines);
    }
}
