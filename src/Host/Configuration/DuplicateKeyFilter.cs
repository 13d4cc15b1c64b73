using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace SemiNas.Host.Configuration;

/// <summary>
/// Sits between the YAML parser and YamlStream. YamlStream stops at the first duplicate key with an exception,
/// which would hide every other problem in the file; this drops the second occurrence (key and value) and records it
/// instead, so the loader reports duplicates together with all the other errors.
/// It also remembers where parsing got to, for parser failures that come without a position.
/// </summary>
internal sealed class DuplicateKeyFilter(IParser inner, string file) : IParser
{
    private abstract class Frame(string path)
    {
        public string Path { get; } = path;
    }

    private sealed class MappingFrame(string path) : Frame(path)
    {
        public Dictionary<string, Mark> SeenKeys { get; } = new(StringComparer.Ordinal);

        public bool ExpectKey { get; set; } = true;

        public string CurrentKey { get; set; } = "";
    }

    private sealed class SequenceFrame(string path) : Frame(path)
    {
        public int Index { get; set; }
    }

    /// <summary>The deepest nesting of mappings and lists a configuration may have.</summary>
    public const int MaxDepth = 64;

    private readonly Stack<Frame> frames = new();

    public List<ConfigError> Errors { get; } = [];

    /// <summary>End of the last event handed on: the parser got at least this far.</summary>
    public Mark LastMark { get; private set; } = Mark.Empty;

    public ParsingEvent? Current => inner.Current;

    public bool MoveNext()
    {
        if (!inner.MoveNext())
        {
            return false;
        }

        while (IsDuplicateKey(inner.Current!))
        {
            if (!inner.MoveNext() || !SkipNode())
            {
                return false;
            }
        }

        Track(inner.Current!);
        return true;
    }

    private bool IsDuplicateKey(ParsingEvent current)
    {
        if (current is not Scalar key || !frames.TryPeek(out var top) || top is not MappingFrame { ExpectKey: true } mapping)
        {
            return false;
        }

        if (!mapping.SeenKeys.TryGetValue(key.Value, out var first))
        {
            return false;
        }

        Errors.Add(ConfigError.At(file, key.Start, ConfigNames.Join(mapping.Path, key.Value),
            $"duplicate key '{key.Value}' (first set on line {first.Line})"));
        return true;
    }

    /// <summary>Moves past the node that starts at the current event; false if the stream ends.</summary>
    private bool SkipNode()
    {
        var depth = 0;
        do
        {
            depth += inner.Current!.NestingIncrease;
            if (!inner.MoveNext())
            {
                return false;
            }
        }
        while (depth > 0);

        return true;
    }

    private void Track(ParsingEvent current)
    {
        LastMark = current.End;
        switch (current)
        {
            case DocumentStart:
                frames.Clear();
                break;
            case Scalar scalar:
                if (frames.TryPeek(out var top) && top is MappingFrame { ExpectKey: true } mapping)
                {
                    mapping.SeenKeys[scalar.Value] = scalar.Start;
                    mapping.CurrentKey = scalar.Value;
                }

                NodeDone();
                break;
            case AnchorAlias:
                NodeDone();
                break;
            case MappingStart or SequenceStart when frames.Count >= MaxDepth:
                // Stops reading at once: YamlDotNet's scanner slows down with the square of the flow nesting depth
                // (3,000 nested '[' took 90 s), and no configuration needs more than a handful of levels.
                throw new ConfigException(file, (int)current.Start.Line, (int)current.Start.Column, ChildPath(),
                    $"nested more than {MaxDepth} levels deep; no configuration needs that many");
            case MappingStart:
                frames.Push(new MappingFrame(ChildPath()));
                break;
            case SequenceStart:
                frames.Push(new SequenceFrame(ChildPath()));
                break;
            case MappingEnd or SequenceEnd:
                frames.Pop();
                NodeDone();
                break;
        }
    }

    private string ChildPath() => frames.TryPeek(out var top)
        ? top switch
        {
            MappingFrame { ExpectKey: false } mapping => ConfigNames.Join(mapping.Path, mapping.CurrentKey),
            SequenceFrame sequence => $"{sequence.Path}[{sequence.Index}]",
            _ => top.Path, // a mapping or list used as a key: rare enough that the parent's path will do
        }
        : "";

    private void NodeDone()
    {
        if (!frames.TryPeek(out var top))
        {
            return;
        }

        switch (top)
        {
            case MappingFrame mapping:
                mapping.ExpectKey = !mapping.ExpectKey;
                break;
            case SequenceFrame sequence:
                sequence.Index++;
                break;
        }
    }
}
