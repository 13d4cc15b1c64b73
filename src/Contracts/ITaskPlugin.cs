using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SemiNas.Contracts;

/// <summary>The version of this API. A plugin built against another major version is refused with a clear message.</summary>
public static class ContractVersion
{
    public const int Current = 2;
}

/// <summary>
/// The entry point of a plugin assembly: a public class with a public parameterless constructor.
/// One assembly may hold several plugins. Derive from <see cref="TaskPlugin{TOptions}"/> rather than
/// implementing this directly.
/// </summary>
public interface ITaskPlugin
{
    /// <summary>The name that experiments use in <c>task.plugin</c>, e.g. "nasbench201". Lower case, no spaces.</summary>
    string Name { get; }

    string Description { get; }

    Version Version { get; }

    /// <summary>The <see cref="ContractVersion.Current"/> this plugin was compiled against.</summary>
    int ContractVersion { get; }

    /// <summary>
    /// The class that <c>task.options</c> binds to: public settable properties, named in camelCase in YAML,
    /// documented with <see cref="System.ComponentModel.DescriptionAttribute"/>, checked with
    /// <see cref="System.ComponentModel.DataAnnotations"/> attributes and, for rules across properties,
    /// <see cref="System.ComponentModel.DataAnnotations.IValidatableObject"/>.
    /// </summary>
    Type OptionsType { get; }

    /// <summary>
    /// Creates the task from bound and validated options (an instance of <see cref="OptionsType"/>). Called once
    /// per command that needs the task (a search, <c>describe</c>, <c>train</c>), and by <c>benchmark</c> once per
    /// process for each of its entries, so caching a loaded table in a static field pays off only within one process.
    /// A problem with the options or the data they name (a missing file, a malformed table) is reported by throwing
    /// <see cref="TaskConfigurationException"/>: the host prints it as a configuration error and exits with 2.
    /// </summary>
    ISearchTask CreateTask(object options, TaskCreationContext context);
}

/// <summary>What a plugin may know about the experiment when it creates its task.</summary>
public sealed class TaskCreationContext
{
    /// <summary>Folder of the experiment's configuration file; relative paths in options resolve against it.</summary>
    public required string ConfigDirectory { get; init; }

    /// <summary>The experiment seed.</summary>
    public required int Seed { get; init; }

    /// <summary>For what the plugin reports while it creates the task (a table being read, rows skipped).</summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>Fires on Ctrl-C: loading a large table or data set should stop when it does.</summary>
    public CancellationToken CancellationToken { get; init; }
}

/// <summary>
/// Thrown by <see cref="ITaskPlugin.CreateTask"/> when the options, or the data they point at, cannot make a task:
/// a problem the user fixes in the configuration or on disk, not a bug. The host names the plugin and the option.
/// </summary>
public sealed class TaskConfigurationException : Exception
{
    /// <param name="message">What is wrong and, where possible, how to fix it.</param>
    /// <param name="option">The option at fault, as written in YAML under <c>task.options</c> (e.g. "dataset.path"), if any.</param>
    /// <param name="innerException">The error underneath (an I/O or parse error), shown with SEMINAS_DEBUG=1.</param>
    public TaskConfigurationException(string message, string? option = null, Exception? innerException = null)
        : base(message, innerException) => Option = option;

    public string? Option { get; }
}

/// <summary>Base class for plugins with a typed options class.</summary>
public abstract class TaskPlugin<TOptions> : ITaskPlugin where TOptions : class, new()
{
    public abstract string Name { get; }

    public abstract string Description { get; }

    public virtual Version Version => GetType().Assembly.GetName().Version ?? new Version(1, 0);

    public virtual int ContractVersion => Contracts.ContractVersion.Current;

    public Type OptionsType => typeof(TOptions);

    public ISearchTask CreateTask(object options, TaskCreationContext context) => CreateTask((TOptions)options, context);

    protected abstract ISearchTask CreateTask(TOptions options, TaskCreationContext context);
}
