using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using McMaster.NETCore.Plugins;
using SemiNas.Contracts;

namespace SemiNas.Host.Plugins;

/// <summary>
/// The task plugins and search strategies found on disk. Each plugin assembly gets its own load context, so plugins
/// may carry their own dependencies, but the contract, strategy core, logging and TorchSharp assemblies always come
/// from the host: a plugin's <see cref="ITaskPlugin"/> or <see cref="Core.IStrategyFactory"/> must be the host's type
/// for the host to use it, and two copies of TorchSharp in one process would mean two native libtorch bindings.
/// A broken plugin never stops the others from loading; it becomes an entry of <see cref="Errors"/>.
/// </summary>
public sealed partial class PluginCatalog
{
    private static readonly Type[] SharedTypes =
    [
        typeof(ITaskPlugin),
        typeof(Core.IStrategyFactory),
        typeof(Microsoft.Extensions.Logging.ILogger),
        typeof(TorchSharp.torch),
    ];

    private static readonly StringComparer PathComparer =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    // Loaders are never disposed: tasks and options objects created by a plugin live as long as the process, and
    // unloading their assembly under them would break them. Caching by path also means that discovering twice
    // (e.g. `seminas plugins` then a run, or several tests) reuses one load context instead of loading a second copy.
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, Assembly> LoadedAssemblies = new(PathComparer);
    private static readonly List<PluginLoader> Loaders = [];

    private readonly List<LoadedPlugin> _plugins = [];
    private readonly List<PluginLoadError> _errors = [];
    private readonly List<string> _searchedPaths = [];
    private readonly HashSet<string> _seenAssemblies = new(PathComparer);

    private PluginCatalog()
    {
    }

    /// <summary>The folder searched by default: <c>plugins</c> beside the host.</summary>
    public static string BundledDirectory => Path.Combine(AppContext.BaseDirectory, "plugins");

    /// <summary>The plugins that loaded, in discovery order (bundled first, then the extra paths in order).</summary>
    public IReadOnlyList<LoadedPlugin> Plugins => _plugins;

    /// <summary>Everything that looked like a plugin but could not be loaded.</summary>
    public IReadOnlyList<PluginLoadError> Errors => _errors;

    /// <summary>The folders and files that were searched, as full paths.</summary>
    public IReadOnlyList<string> SearchedPaths => _searchedPaths;

    /// <summary>
    /// Loads the plugins of <see cref="BundledDirectory"/> (when it exists) and of <paramref name="extraPaths"/>.
    /// An extra path is a plugin's .dll, a plugin's own folder (holding <c>&lt;folder name&gt;.dll</c>, or a build
    /// output holding <c>&lt;Name&gt;.deps.json</c> and <c>&lt;Name&gt;.dll</c>), or a folder of plugin folders laid out
    /// as <c>&lt;Name&gt;/&lt;Name&gt;.dll</c>. Relative paths resolve against the current directory.
    /// </summary>
    public static PluginCatalog Discover(IEnumerable<string> extraPaths) => Discover(extraPaths, includeBundled: true);

    internal static PluginCatalog Discover(IEnumerable<string> extraPaths, bool includeBundled)
    {
        var catalog = new PluginCatalog();
        if (includeBundled) catalog.AddBuiltInStrategies();
        if (includeBundled && Directory.Exists(BundledDirectory))
        {
            catalog._searchedPaths.Add(BundledDirectory);
            catalog.AddPluginFolders(BundledDirectory, isExtraPath: false);
        }
        foreach (var path in extraPaths) catalog.AddPath(path);
        return catalog;
    }

    /// <summary>The plugin named <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="KeyNotFoundException">No such plugin loaded; the message lists the plugins that did and why a
    /// plugin of that name, if found, failed to load.</exception>
    public ITaskPlugin Get(string name) =>
        TryGet(name, out var plugin) ? plugin.Plugin : throw new KeyNotFoundException(DescribeMissing(name));

    public bool TryGet(string name, [NotNullWhen(true)] out LoadedPlugin? plugin)
    {
        plugin = _plugins.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
        return plugin is not null;
    }

    private string DescribeMissing(string name)
    {
        var lines = new List<string> { $"There is no task plugin named '{name}'." };
        var own = _errors.Where(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
        foreach (var error in own)
            lines.Add($"A plugin named '{name}' was found in {error.Path} but could not be loaded: {error.Reason}");
        lines.Add(_plugins.Count == 0
            ? "No plugins were loaded."
            : "Available plugins: " + string.Join(", ", _plugins.Select(p => $"{p.Name} {p.Version} ({p.SourcePath})")) + ".");
        var others = _errors.Except(own).ToList();
        if (others.Count > 0)
        {
            lines.Add("These failed to load:");
            lines.AddRange(others.Select(e => "  " + e));
        }
        lines.Add(_searchedPaths.Count == 0
            ? "No plugin folder was searched: add one with `pluginPaths:` in the configuration or `--plugins PATH`."
            : "Searched: " + string.Join(", ", _searchedPaths) + ".");
        return string.Join(Environment.NewLine, lines);
    }

    private void AddPath(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            AddError("(empty)", path, "an empty plugin path was given");
            return;
        }
        string full;
        try
        {
            full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            AddError(path, path, $"not a valid path: {e.Message}");
            return;
        }
        _searchedPaths.Add(full);
        var name = Path.GetFileNameWithoutExtension(full);

        if (File.Exists(full))
        {
            if (full.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)) LoadAssemblyFile(full);
            else AddError(name, full, "not a .dll: give a plugin's .dll, its folder, or a folder of plugin folders");
            return;
        }
        if (!Directory.Exists(full))
        {
            AddError(name, full, "no such file or folder");
            return;
        }

        var ownAssembly = Path.Combine(full, Path.GetFileName(full) + ".dll");
        if (File.Exists(ownAssembly))
        {
            LoadAssemblyFile(ownAssembly);
            return;
        }
        // A build output folder (bin/Debug/net10.0, artifacts/bin/X/debug) is named after the configuration, not the
        // plugin; its .deps.json marks the main assembly, which lets authors point --plugins at what they just built.
        var builtAssemblies = BuildOutputAssemblies(full);
        if (builtAssemblies.Count > 0)
        {
            foreach (var assembly in builtAssemblies) LoadAssemblyFile(assembly);
            return;
        }
        AddPluginFolders(full, isExtraPath: true);
    }

    private static List<string> BuildOutputAssemblies(string folder)
    {
        try
        {
            return Directory.GetFiles(folder, "*.deps.json")
                .Select(deps => deps[..^".deps.json".Length] + ".dll")
                .Where(File.Exists)
                .Order(StringComparer.Ordinal)
                .ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return []; // AddPluginFolders reports the unreadable folder.
        }
    }

    // A folder of plugin folders: <folder>/<Name>/<Name>.dll.
    private void AddPluginFolders(string folder, bool isExtraPath)
    {
        string[] subfolders;
        try
        {
            subfolders = Directory.GetDirectories(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            AddError(Path.GetFileName(folder), folder, $"the folder could not be read: {e.Message}");
            return;
        }
        Array.Sort(subfolders, StringComparer.Ordinal);

        // The bundled folder may legitimately be empty; a folder someone asked for by name should not be.
        if (subfolders.Length == 0 && isExtraPath)
        {
            AddError(Path.GetFileName(folder), folder,
                "no plugin found: expected <Name>/<Name>.dll under it, <folder name>.dll in it, or a build output with <Name>.deps.json");
            return;
        }
        foreach (var subfolder in subfolders)
        {
            var name = Path.GetFileName(subfolder);
            var assembly = Path.Combine(subfolder, name + ".dll");
            if (File.Exists(assembly)) LoadAssemblyFile(assembly);
            else AddError(name, subfolder, $"{name}.dll is missing: a plugin folder must hold <Name>/<Name>.dll");
        }
    }

    private void LoadAssemblyFile(string path)
    {
        // The same file can be reached twice, e.g. when the bundled folder is also given as an extra path.
        if (!_seenAssemblies.Add(path)) return;
        var source = Path.GetFileNameWithoutExtension(path);

        Assembly assembly;
        try
        {
            assembly = LoadShared(path);
        }
        catch (Exception e)
        {
            AddError(source, path, DescribeLoadFailure(e));
            return;
        }
        InspectAssembly(assembly, source, path);
    }

    // Everything after loading, shared by plugin files and the host's own strategy assemblies.
    private void InspectAssembly(Assembly assembly, string source, string path)
    {
        if (ContractsMismatch(assembly) is { } mismatch)
        {
            AddError(source, path, mismatch);
            return;
        }
        if (!AcceptsCoreReference(assembly, source, path)) return;

        List<Type> pluginTypes, strategyTypes;
        try
        {
            var exported = assembly.GetExportedTypes();
            strategyTypes = StrategyTypes(exported);
            pluginTypes = exported
                .Where(t => t.IsClass && !t.IsAbstract && !t.ContainsGenericParameters && typeof(ITaskPlugin).IsAssignableFrom(t))
                .OrderBy(t => t.FullName, StringComparer.Ordinal)
                .ToList();
        }
        catch (Exception e)
        {
            AddError(source, path, $"its types could not be loaded: {DescribeTypeLoadFailure(e)}");
            return;
        }
        if (pluginTypes.Count == 0 && strategyTypes.Count == 0)
        {
            AddError(source, path,
                $"no public class in {Path.GetFileName(path)} implements SemiNas.Contracts.ITaskPlugin or SemiNas.Core.IStrategyFactory");
            return;
        }
        AddStrategies(strategyTypes, source, path);

        foreach (var type in pluginTypes)
        {
            if (type.GetConstructor(Type.EmptyTypes) is null)
            {
                AddError(source, path, $"{type.FullName} has no public parameterless constructor");
                continue;
            }
            ITaskPlugin plugin;
            try
            {
                plugin = (ITaskPlugin)Activator.CreateInstance(type)!;
            }
            catch (Exception e)
            {
                AddError(source, path, $"the constructor of {type.FullName} threw {Explain(e)}");
                continue;
            }
            AddPlugin(plugin, type, source, path);
        }
    }

    private void AddPlugin(ITaskPlugin plugin, Type type, string source, string path)
    {
        string name;
        Version version;
        int contractVersion;
        try
        {
            name = plugin.Name;
            version = plugin.Version ?? new Version(0, 0);
            contractVersion = plugin.ContractVersion;
        }
        catch (Exception e)
        {
            AddError(source, path, $"{type.FullName} threw when asked its Name, Version or ContractVersion: {Explain(e)}");
            return;
        }
        if (string.IsNullOrWhiteSpace(name))
        {
            AddError(source, path, $"{type.FullName} has an empty Name");
            return;
        }
        if (contractVersion != ContractVersion.Current)
        {
            AddError(name, path,
                $"built against contract version {contractVersion}, this host supports {ContractVersion.Current}; " +
                $"rebuild it against SemiNas.Contracts {ContractVersion.Current}");
            return;
        }
        if (_plugins.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) is { } first)
        {
            AddError(name, path,
                $"two plugins are named '{name}': the one from {first.SourcePath} is used, the one from {path} is ignored");
            return;
        }
        _plugins.Add(new LoadedPlugin(plugin, name, version, path));
    }

    private void AddError(string name, string path, string reason) => _errors.Add(new PluginLoadError(name, path, reason));

    private static Assembly LoadShared(string path)
    {
        lock (Gate)
        {
            if (LoadedAssemblies.TryGetValue(path, out var cached)) return cached;
            var loader = PluginLoader.CreateFromAssemblyFile(path, SharedTypes, config => { config.PreferSharedTypes = true; });
            Loaders.Add(loader);
            var assembly = loader.LoadDefaultAssembly();
            LoadedAssemblies[path] = assembly;
            return assembly;
        }
    }

    // Checked before any of the plugin's types is loaded: against another major version its types would fail to load
    // (a member of the contract it lacks) or, worse, load and misbehave; against a newer minor version the host's older
    // copy cannot stand in, and the plugin would fail later with an obscure FileNotFoundException for SemiNas.Contracts.
    private static string? ContractsMismatch(Assembly assembly)
    {
        var host = typeof(ITaskPlugin).Assembly.GetName().Version!;
        var referenced = assembly.GetReferencedAssemblies().FirstOrDefault(r => r.Name == typeof(ITaskPlugin).Assembly.GetName().Name)?.Version;
        if (referenced is null) return null;
        var version = assembly.GetName().Version ?? new Version(0, 0);
        if (referenced.Major < host.Major)
            return $"version {version} of this plugin was built against SemiNas.Contracts {referenced.ToString(3)} (contract version " +
                $"{referenced.Major}); this host needs contract version {host.Major}: rebuild it against SemiNas.Contracts " +
                $"{host.ToString(3)} (docs/plugins.md, \"Migrating from contract version {referenced.Major}\", says what changed)";
        if (referenced > host)
            return $"built against SemiNas.Contracts {referenced.ToString(3)}, newer than this host's {host.ToString(3)}; " +
                $"update the host or rebuild the plugin against SemiNas.Contracts {host.ToString(3)}";
        return null;
    }

    private static string DescribeLoadFailure(Exception e) => e switch
    {
        BadImageFormatException => "not a .NET assembly (or built for another runtime)",
        FileNotFoundException => $"the file or one of its dependencies was not found: {e.Message}",
        UnauthorizedAccessException or IOException => $"the file could not be read: {e.Message}",
        _ => $"could not be loaded: {Explain(e)}",
    };

    private static string DescribeTypeLoadFailure(Exception e) => e is ReflectionTypeLoadException rtle
        ? string.Join("; ", rtle.LoaderExceptions.OfType<Exception>().Select(x => x.Message).Distinct())
        : Explain(e);

    // Reflection wraps what the plugin threw; the plugin author wants to see their own exception.
    private static string Explain(Exception e)
    {
        while (e is TargetInvocationException or TypeInitializationException && e.InnerException is not null)
            e = e.InnerException;
        return $"{e.GetType().Name}: {e.Message}";
    }
}
