namespace SemiNas.Optim;

/// <summary>
/// The header of a saved optimiser state: which optimiser wrote it and for how many parameters, so that a file from
/// another optimiser, another model or an older SemiNas is refused by name instead of read as garbage.
/// </summary>
internal static class StateFormat
{
    public static void WriteHeader(BinaryWriter writer, string kind, int parameters)
    {
        writer.Write(kind);
        writer.Write(parameters);
    }

    public static void ReadHeader(BinaryReader reader, string kind, int parameters)
    {
        var source = (reader.BaseStream as FileStream)?.Name ?? "the optimiser state";
        string found;
        try
        {
            found = reader.ReadString();
        }
        catch (Exception e) when (e is EndOfStreamException or IOException)
        {
            throw new InvalidDataException($"{source}: not a {kind} state ({e.Message}).", e);
        }
        if (found != kind)
            throw new InvalidDataException($"{source}: not a {kind} state (it was written by another optimiser or an older SemiNas); delete it to restart this training.");
        var count = reader.ReadInt32();
        if (count != parameters)
            throw new InvalidDataException($"{source}: {kind} state for {count} parameters, the model has {parameters}.");
    }
}
