using System.Buffers.Binary;
using System.Numerics;

namespace SemiNas.Plugins.NasBench.NasBench101;

/// <summary>
/// TensorFlow's TFRecord framing, read and written without TensorFlow. Each record is
/// <c>uint64 length</c>, <c>uint32 masked CRC32C of those 8 bytes</c>, <c>length bytes of data</c>,
/// <c>uint32 masked CRC32C of the data</c>, all little-endian. Both checksums are verified, so a corrupted or cut
/// file fails with the record and byte offset instead of yielding wrong numbers.
/// </summary>
public static class TfRecordFile
{
    private const uint MaskDelta = 0xa282ead8;

    // The official NAS-Bench-101 records are about 1 KB; anything near this is a corrupted length field.
    private const ulong MaxRecordLength = 64 * 1024 * 1024;

    /// <summary>Every record's data in file order. The span is only valid until the next record is read.</summary>
    public static void Read(Stream stream, string displayName, RecordHandler handler)
    {
        Span<byte> header = stackalloc byte[12];
        Span<byte> footer = stackalloc byte[4];
        var buffer = new byte[4096];
        long offset = 0;
        for (long record = 0; ; record++)
        {
            var headerRead = ReadFully(stream, header);
            if (headerRead == 0) return;
            if (headerRead < header.Length)
                throw Corrupt(displayName, record, offset, $"the file ends inside the record header ({headerRead} of 12 bytes)");
            var length = BinaryPrimitives.ReadUInt64LittleEndian(header);
            var lengthCrc = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
            if (MaskedCrc32C(header[..8]) != lengthCrc)
                throw Corrupt(displayName, record, offset, "the checksum of the length field does not match (bad CRC)");
            if (length > MaxRecordLength)
                throw Corrupt(displayName, record, offset, $"the record claims {length} bytes");
            if ((int)length > buffer.Length) buffer = new byte[Math.Max((int)length, buffer.Length * 2)];
            var data = buffer.AsSpan(0, (int)length);
            var dataRead = ReadFully(stream, data);
            if (dataRead < data.Length)
                throw Corrupt(displayName, record, offset, $"the file ends after {dataRead} of the record's {length} bytes (truncated)");
            var footerRead = ReadFully(stream, footer);
            if (footerRead < footer.Length)
                throw Corrupt(displayName, record, offset, "the file ends before the record's data checksum (truncated)");
            if (MaskedCrc32C(data) != BinaryPrimitives.ReadUInt32LittleEndian(footer))
                throw Corrupt(displayName, record, offset, "the checksum of the record's data does not match (bad CRC)");
            handler(record, data);
            offset += header.Length + data.Length + footer.Length;
        }
    }

    /// <summary>Writes one record in the same framing (used for tests and tools).</summary>
    public static void Write(Stream stream, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], MaskedCrc32C(header[..8]));
        stream.Write(header);
        stream.Write(data);
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, MaskedCrc32C(data));
        stream.Write(footer);
    }

    /// <summary>CRC-32C (Castagnoli), the standard form: initial value and final XOR 0xFFFFFFFF.</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        // BitOperations.Crc32C is the bare update step (hardware instruction where there is one).
        var crc = 0xFFFFFFFFu;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (var b in data) crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }

    /// <summary>TFRecord's masked CRC: rotate right by 15 bits and add a constant, so CRCs of CRCs stay distinct.</summary>
    public static uint MaskedCrc32C(ReadOnlySpan<byte> data)
    {
        var crc = Crc32C(data);
        return ((crc >> 15) | (crc << 17)) + MaskDelta;
    }

    public delegate void RecordHandler(long record, ReadOnlySpan<byte> data);

    private static int ReadFully(Stream stream, Span<byte> destination)
    {
        var total = 0;
        while (total < destination.Length)
        {
            var read = stream.Read(destination[total..]);
            if (read == 0) break;
            total += read;
        }
        return total;
    }

    private static InvalidDataException Corrupt(string displayName, long record, long offset, string problem) =>
        new($"{displayName}: record {record + 1} (at byte {offset}) is corrupted: {problem}.");
}
