using SemiNas.Host.Configuration;
using YamlDotNet.RepresentationModel;

namespace SemiNas.Host.Experiments;

/// <summary>Configuration errors found after binding (unknown plugin, unknown metric), located at their key.</summary>
internal static class ConfigErrors
{
    public static ConfigException At(LoadedConfig source, string keyPath, string message)
    {
        var node = Locate(source.Text, keyPath);
        return new ConfigException(source.DisplayPath, node is null ? 0 : (int)node.Start.Line, node is null ? 0 : (int)node.Start.Column, keyPath, message);
    }

    // Walks a dotted key path through the mappings of the document; null when some key is absent.
    private static YamlNode? Locate(string text, string keyPath)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        YamlNode? node = stream.Documents.FirstOrDefault()?.RootNode;
        foreach (var key in keyPath.Split('.'))
        {
            if (node is not YamlMappingNode mapping) return null;
            node = mapping.Children.FirstOrDefault(c => c.Key is YamlScalarNode s && s.Value == key).Value;
        }
        return node;
    }
}
