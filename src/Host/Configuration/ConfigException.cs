using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SemiNas.Host.Configuration;

/// <summary>
/// One problem in a configuration file, located the way compilers do so that editors and terminals can jump to it.
/// Line and column are 1-based; 0 means the problem has no place in the text (for example a missing file).
/// </summary>
public sealed record ConfigError(string File, int Line, int Column, string KeyPath, string Message)
{
    internal static ConfigError At(string file, YamlNode? node, string keyPath, string message) =>
        node is null ? new ConfigError(file, 0, 0, keyPath, message) : At(file, node.Start, keyPath, message);

    internal static ConfigError At(string file, Mark mark, string keyPath, string message) =>
        new(file, (int)mark.Line, (int)mark.Column, keyPath, message);

    /// <summary><c>{file}:{line}:{column}: {keyPath}: {message}</c>, leaving out the parts that are unknown.</summary>
    public override string ToString()
    {
        var location = Line > 0 ? $"{File}:{Line}:{Column}" : File;
        return KeyPath.Length > 0 ? $"{location}: {KeyPath}: {Message}" : $"{location}: {Message}";
    }
}

/// <summary>
/// A configuration file that cannot be used. Carries every problem found, so that a user fixes them all in one pass;
/// <see cref="File"/>, <see cref="Line"/>, <see cref="Column"/> and <see cref="KeyPath"/> describe the first.
/// </summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string file, int line, int column, string keyPath, string message)
        : this(new List<ConfigError> { new(file, line, column, keyPath, message) })
    {
    }

    public ConfigException(IEnumerable<ConfigError> errors)
        : this(errors.ToList())
    {
    }

    private ConfigException(List<ConfigError> errors)
        : base(errors.Count > 0
            ? string.Join(Environment.NewLine, errors)
            : throw new ArgumentException("A ConfigException needs at least one error.", nameof(errors)))
    {
        Errors = errors;
    }

    /// <summary>All problems, in the order they appear in the file.</summary>
    public IReadOnlyList<ConfigError> Errors { get; }

    public string File => Errors[0].File;

    /// <summary>1-based line of the first problem; 0 when it has no place in the text.</summary>
    public int Line => Errors[0].Line;

    /// <summary>1-based column of the first problem; 0 when it has no place in the text.</summary>
    public int Column => Errors[0].Column;

    /// <summary>Where in the document the first problem is, e.g. <c>task.options.dataset</c> or <c>pluginPaths[2]</c>.</summary>
    public string KeyPath => Errors[0].KeyPath;

    /// <summary>Sorts by position so that the message reads top to bottom like the file.</summary>
    internal static ConfigException FromUnsorted(IEnumerable<ConfigError> errors) =>
        new(errors.OrderBy(e => e.Line).ThenBy(e => e.Column));
}
