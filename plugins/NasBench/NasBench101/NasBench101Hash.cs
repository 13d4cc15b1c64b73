using System.Globalization;

namespace SemiNas.Plugins.NasBench.NasBench101;

/// <summary>
/// The benchmark's module hash, byte for byte as <c>nasbench.lib.graph_util.hash_module</c> computes it, so that
/// isomorphic cells get one key and every key is the one the official data files use:
/// <list type="number">
/// <item>each vertex starts as md5 of the Python tuple text <c>"(out_degree, in_degree, label)"</c>;</item>
/// <item>n times, every vertex becomes md5 of its in-neighbours' hashes sorted and joined, "|", its
/// out-neighbours' likewise, "|", its own hash;</item>
/// <item>the cell's hash is md5 of the Python list text of the sorted vertex hashes, <c>"['…', '…']"</c>.</item>
/// </list>
/// All md5 digests are lower-case hex of UTF-8 text. Works on spans of ASCII bytes, so no string is made per step.
/// </summary>
public static class NasBench101Hash
{
    private const int HexLength = 32;

    public static string Compute(NasBench101Spec spec)
    {
        var n = spec.VertexCount;
        Span<byte> hashes = stackalloc byte[NasBench101Spec.MaxVertices * HexLength];
        Span<byte> next = stackalloc byte[NasBench101Spec.MaxVertices * HexLength];
        // Largest message: 2 * (n-1) neighbour hashes, two bars and the vertex's own hash; or the final list text.
        Span<byte> message = stackalloc byte[(2 * NasBench101Spec.MaxVertices + 1) * HexLength + 2 * NasBench101Spec.MaxVertices * 4 + 2];
        Span<int> order = stackalloc int[NasBench101Spec.MaxVertices];

        for (var v = 0; v < n; v++)
        {
            int inDegree = 0;
            for (var w = 0; w < n; w++) inDegree += spec.HasEdge(w, v) ? 1 : 0;
            var outDegree = System.Numerics.BitOperations.PopCount((uint)spec.Row(v));
            var length = WriteTuple(message, outDegree, inDegree, spec.Label(v));
            Md5Hex(message[..length], hashes.Slice(v * HexLength, HexLength));
        }

        for (var round = 0; round < n; round++)
        {
            for (var v = 0; v < n; v++)
            {
                var length = 0;
                var count = 0;
                for (var w = 0; w < n; w++)
                    if (spec.HasEdge(w, v)) order[count++] = w;
                length += WriteSorted(message[length..], hashes, order[..count]);
                message[length++] = (byte)'|';
                count = 0;
                for (var w = 0; w < n; w++)
                    if (spec.HasEdge(v, w)) order[count++] = w;
                length += WriteSorted(message[length..], hashes, order[..count]);
                message[length++] = (byte)'|';
                hashes.Slice(v * HexLength, HexLength).CopyTo(message[length..]);
                length += HexLength;
                Md5Hex(message[..length], next.Slice(v * HexLength, HexLength));
            }
            next[..(n * HexLength)].CopyTo(hashes);
        }

        for (var v = 0; v < n; v++) order[v] = v;
        SortByHash(order[..n], hashes);
        var total = 0;
        message[total++] = (byte)'[';
        for (var i = 0; i < n; i++)
        {
            if (i > 0)
            {
                message[total++] = (byte)',';
                message[total++] = (byte)' ';
            }
            message[total++] = (byte)'\'';
            hashes.Slice(order[i] * HexLength, HexLength).CopyTo(message[total..]);
            total += HexLength;
            message[total++] = (byte)'\'';
        }
        message[total++] = (byte)']';
        Span<byte> fingerprint = stackalloc byte[HexLength];
        Md5Hex(message[..total], fingerprint);
        return System.Text.Encoding.ASCII.GetString(fingerprint);
    }

    /// <summary>Python's <c>str((out, in, label))</c>, e.g. "(2, 0, -1)".</summary>
    private static int WriteTuple(Span<byte> destination, int outDegree, int inDegree, int label)
    {
        var length = 0;
        destination[length++] = (byte)'(';
        length += WriteInt(destination[length..], outDegree);
        destination[length++] = (byte)',';
        destination[length++] = (byte)' ';
        length += WriteInt(destination[length..], inDegree);
        destination[length++] = (byte)',';
        destination[length++] = (byte)' ';
        length += WriteInt(destination[length..], label);
        destination[length++] = (byte)')';
        return length;
    }

    private static int WriteInt(Span<byte> destination, int value) =>
        value.TryFormat(destination, out var written, default, CultureInfo.InvariantCulture)
            ? written
            : throw new InvalidOperationException("A vertex degree or label does not fit the hash buffer.");

    private static int WriteSorted(Span<byte> destination, ReadOnlySpan<byte> hashes, Span<int> vertices)
    {
        SortByHash(vertices, hashes);
        var length = 0;
        foreach (var w in vertices)
        {
            hashes.Slice(w * HexLength, HexLength).CopyTo(destination[length..]);
            length += HexLength;
        }
        return length;
    }

    // Python sorts str by code point; lower-case hex is ASCII, so ordinal byte order is the same. At most 7 items.
    private static void SortByHash(Span<int> vertices, ReadOnlySpan<byte> hashes)
    {
        for (var i = 1; i < vertices.Length; i++)
        {
            var item = vertices[i];
            var key = hashes.Slice(item * HexLength, HexLength);
            var j = i - 1;
            while (j >= 0 && hashes.Slice(vertices[j] * HexLength, HexLength).SequenceCompareTo(key) > 0)
            {
                vertices[j + 1] = vertices[j];
                j--;
            }
            vertices[j + 1] = item;
        }
    }

    private static void Md5Hex(ReadOnlySpan<byte> text, Span<byte> hex)
    {
        Span<byte> digest = stackalloc byte[16];
        System.Security.Cryptography.MD5.HashData(text, digest);
        for (var i = 0; i < digest.Length; i++)
        {
            hex[2 * i] = HexDigit(digest[i] >> 4);
            hex[2 * i + 1] = HexDigit(digest[i] & 0xF);
        }
    }

    private static byte HexDigit(int value) => (byte)(value < 10 ? '0' + value : 'a' + value - 10);
}
