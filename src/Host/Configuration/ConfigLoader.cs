using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SemiNas.Host.Configuration;

/// <summary>An experiment file, read and validated.</summary>
public sealed class LoadedConfig
{
    public required ExperimentConfig Config { get; init; }

    /// <summary>Absolute path of the file.</summary>
    public required string FullPath { get; init; }

    /// <summary>Folder of the file: relative paths in the file (pluginPaths, plugin options) resolve against it.</summary>
    public required string Directory { get; init; }

    /// <summary>The file's text as read, e.g. to store with the experiment.</summary>
    public required string Text { get; init; }

    /// <summary>The path as the user gave it; pass it as <c>file</c> to <see cref="YamlBinder.Bind(Type, YamlNode?, string, string)"/> so that later errors name the file the same way.</summary>
    public required string DisplayPath { get; init; }
}

public static class ConfigLoader
{
    /// <summary>The only schemaVersion this build reads.</summary>
    public const int SchemaVersion = 1;

    /// <summary>Reads, binds and validates an experiment file.</summary>
    /// <param name="path">As the user typed it; errors name the file this way.</param>
    /// <exception cref="ConfigException">With every problem found in the file.</exception>
    public static LoadedConfig Load(string path)
    {
        var (fullPath, text) = ReadFile(path);
        return new LoadedConfig
        {
            Config = Parse(text, path),
            FullPath = fullPath,
            Directory = System.IO.Path.GetDirectoryName(fullPath)!,
            Text = text,
            DisplayPath = path,
        };
    }

    /// <summary>The full path and text of a configuration file, or a <see cref="ConfigException"/> naming it.</summary>
    public static (string FullPath, string Text) ReadFile(string path)
    {
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            var what = Directory.Exists(fullPath) ? "is a folder, not a configuration file" : "configuration file not found";
            throw new ConfigException(path, 0, 0, "", $"{what} ({fullPath})");
        }
        return (fullPath, File.ReadAllText(fullPath));
    }

    /// <summary>Binds and validates experiment text; <paramref name="file"/> only names it in errors.</summary>
    /// <exception cref="ConfigException">With every problem found.</exception>
    public static ExperimentConfig Parse(string text, string file) => Parse<ExperimentConfig>(text, file);

    /// <summary>Binds and validates any configuration class that has a <c>schemaVersion</c> (experiments, benchmarks).</summary>
    /// <exception cref="ConfigException">With every problem found.</exception>
    public static T Parse<T>(string text, string file) where T : class, new()
    {
        var stream = new YamlStream();
        var filter = new DuplicateKeyFilter(new Parser(new StringReader(text)), file);
        try
        {
            stream.Load(filter);
        }
        catch (YamlException e)
        {
            throw new ConfigException(file, (int)e.Start.Line, (int)e.Start.Column, "", $"invalid YAML: {e.Message}");
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner fails this way on some unterminated flow collections, e.g. `a: [1, 2` followed by more keys.
            throw new ConfigException(file, (int)filter.LastMark.Line, (int)filter.LastMark.Column, "",
                "invalid YAML after this point: check for an unclosed '[', '{' or quote");
        }

        if (stream.Documents.Count == 0 || ConfigNames.IsNull(stream.Documents[0].RootNode))
        {
            throw new ConfigException(file, 1, 1, "",
                "the file is empty; see docs/configuration.md for what it needs");
        }

        if (stream.Documents.Count > 1)
        {
            var second = stream.Documents[1].RootNode.Start;
            throw new ConfigException(file, (int)second.Line, (int)second.Column, "",
                "the file holds more than one YAML document (separated by '---'); put one in each file");
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            var node = stream.Documents[0].RootNode;
            throw new ConfigException([ConfigError.At(file, node, "",
                $"the top level must be a mapping of keys such as 'name: my-experiment', got {ConfigNames.Describe(node)}")]);
        }

        CheckSchemaVersion(root, file);

        var errors = new List<ConfigError>(filter.Errors);
        var config = (T)YamlBinder.Bind(typeof(T), root, file, "", errors);
        if (errors.Count > 0)
        {
            throw ConfigException.FromUnsorted(errors);
        }

        return config;
    }

    /// <summary>
    /// A file of another version is refused before binding: its keys would otherwise come back as a list of
    /// unknown-key errors that hide the real cause.
    /// </summary>
    private static void CheckSchemaVersion(YamlMappingNode root, string file)
    {
        foreach (var (key, value) in root.Children)
        {
            if (key is YamlScalarNode { Value: "schemaVersion" } && value is YamlScalarNode { Value: { } text }
                && ConfigNames.TryParseInteger(text, long.MinValue, long.MaxValue, out var version) == ConfigNames.IntegerParse.Ok
                && version != SchemaVersion)
            {
                throw new ConfigException([ConfigError.At(file, value, "schemaVersion",
                    $"unsupported schemaVersion {version}; this seminas reads {SchemaVersion}")]);
            }
        }
    }
}
