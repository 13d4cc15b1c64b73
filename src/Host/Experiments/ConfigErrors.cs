using SemiNas.Host.Configuration;
using YamlDotNet.RepresentationModel;

namespace SemiNas.Host.Experiments;

/// <summary>Configuration errors found after binding (unknown plugin, unknown metric), located at their key.</summary>
internal static class ConfigErrors
{
    public static ConfigException At(LoadedConfig source, string keyPath, string message) =>
        At(source.Text, source.DisplayPath, keyPath, message);

    public static ConfigException At(string text, string file, string keyPath, string message)
    {
        // A key the file leaves at its default has no place of its own: point at its nearest written parent.
        var node = Locate(text, keyPath);
        for (var parent = keyPath; node is null && parent.LastIndexOf('.') is var dot and > 0;)
        {
            parent = parent[..dot];
            node = Locate(text, parent);
        }
        return new ConfigException(file, node is null ? 0 : (int)node.Start.Line, node is null ? 0 : (int)node.Start.Column, keyPath, message);
    }

    // Walks a dotted key path through the mappings of the document; null when some key is absent.
    private static YamlNode? Locate(string text, string keyPath)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        YamlNode? node = stream.Documents.FirstOrDefault()?.RootNode;
        foreach (var part in keyPath.Split('.'))
        {
            // "runs[2]" is key "runs", then item 2 of its list.
            var bracket = part.IndexOf('[');
            var key = bracket < 0 ? part : part[..bracket];
            if (node is not YamlMappingNode mapping) return null;
            node = mapping.Children.FirstOrDefault(c => c.Key is YamlScalarNode s && s.Value == key).Value;
            if (bracket >= 0)
            {
                var index = int.Parse(part[(bracket + 1)..^1], System.Globalization.CultureInfo.InvariantCulture);
                node = node is YamlSequenceNode list && index < list.Children.Count ? list.Children[index] : null;
            }
        }
        return node;
    }
}
