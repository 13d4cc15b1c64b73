using SemiNas.Contracts;

namespace SemiNas.Host.Plugins;

/// <summary>A plugin that loaded and passed the host's checks.</summary>
/// <param name="Plugin">The plugin instance; its types come from the host's copy of SemiNas.Contracts.</param>
/// <param name="Name">The plugin's <see cref="ITaskPlugin.Name"/>, read once at load time.</param>
/// <param name="Version">The plugin's <see cref="ITaskPlugin.Version"/>, read once at load time.</param>
/// <param name="SourcePath">Full path of the assembly the plugin came from.</param>
public sealed record LoadedPlugin(ITaskPlugin Plugin, string Name, Version Version, string SourcePath);

/// <summary>A plugin (or a would-be plugin) that could not be loaded, and why.</summary>
/// <param name="Name">The plugin's name when it got far enough to tell it, otherwise its assembly or folder name.</param>
/// <param name="Path">The file or folder at fault.</param>
/// <param name="Reason">What went wrong, in words a plugin author can act on.</param>
public sealed record PluginLoadError(string Name, string Path, string Reason)
{
    public override string ToString() => $"{Name} ({Path}): {Reason}";
}
