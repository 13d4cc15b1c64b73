using System.Text;

namespace SemiNas.Core;

/// <summary>
/// The framing of a strategy's saved state: a header with the strategy's name and the version of its format, so that a
/// store never hands one strategy's state to another, or an old format to code that reads a new one, without a clear
/// message. States saved before the header existed are recognised by its absence and read by the strategy's legacy
/// reader, so searches already in users' stores still resume.
/// </summary>
public static class StrategyState
{
    private static ReadOnlySpan<byte> Magic => "SemiNAS strategy state\n"u8;

    public static byte[] Write(string strategy, int version, Action<BinaryWriter> writeBody)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(strategy);
            writer.Write(version);
            writeBody(writer);
        }
        return stream.ToArray();
    }

    /// <summary>
    /// Reads a state that <see cref="Write"/> wrote for this strategy and version with <paramref name="readBody"/>, or
    /// one without a header with <paramref name="readLegacy"/>. The reader must take every byte. Anything else is an
    /// <see cref="InvalidDataException"/> that names the strategy and what is wrong.
    /// </summary>
    public static void Read(ReadOnlySpan<byte> state, string strategy, int version, Action<BinaryReader> readBody,
        Action<BinaryReader> readLegacy) =>
        Read(state, strategy, version, version, (reader, _) => readBody(reader), readLegacy);

    /// <summary>
    /// As <see cref="Read(ReadOnlySpan{byte}, string, int, Action{BinaryReader}, Action{BinaryReader})"/>, for a strategy
    /// that still reads the older formats of its state: any version from <paramref name="oldestVersion"/> to
    /// <paramref name="version"/> is handed to <paramref name="readBody"/> with its number, so that a search saved by an
    /// older seminas resumes after an upgrade.
    /// </summary>
    public static void Read(ReadOnlySpan<byte> state, string strategy, int oldestVersion, int version, Action<BinaryReader, int> readBody,
        Action<BinaryReader> readLegacy)
    {
        using var reader = new BinaryReader(new MemoryStream(state.ToArray()), Encoding.UTF8);
        try
        {
            if (state.StartsWith(Magic))
            {
                reader.ReadBytes(Magic.Length);
                var savedBy = reader.ReadString();
                var savedVersion = reader.ReadInt32();
                if (savedBy != strategy) throw new InvalidDataException($"it was saved by strategy '{savedBy}'");
                if (savedVersion < oldestVersion || savedVersion > version)
                {
                    var reads = oldestVersion == version ? $"version {version}" : $"versions {oldestVersion} to {version}";
                    throw new InvalidDataException($"it has format version {savedVersion} and this seminas reads {reads}" +
                        (savedVersion > version ? " (it was saved by a newer seminas)" : ""));
                }
                readBody(reader, savedVersion);
            }
            else
            {
                readLegacy(reader);
            }
            if (reader.BaseStream.Position != reader.BaseStream.Length) throw new InvalidDataException("it has trailing bytes");
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or ArgumentException or FormatException)
        {
            throw new InvalidDataException($"Not a saved state of strategy '{strategy}': {e.Message}", e);
        }
    }
}
