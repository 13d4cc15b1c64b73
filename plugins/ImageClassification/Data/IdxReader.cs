using System.Buffers.Binary;
using System.IO.Compression;
using static TorchSharp.torch;

namespace SemiNas.ImageClassification.Data;

/// <summary>
/// The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/), plain or gzipped: a big-endian
/// header — two zero bytes, a type byte (0x08: unsigned bytes, the only type image sets use) and the number of
/// dimensions — then one big-endian 32-bit size per dimension, then the values in row-major order. Images are
/// <c>idx3</c> (count, rows, columns), labels <c>idx1</c> (count). A folder holds <c>train-images-idx3-ubyte</c>,
/// <c>train-labels-idx1-ubyte</c>, <c>t10k-images-idx3-ubyte</c> and <c>t10k-labels-idx1-ubyte</c>, each with or
/// without <c>.gz</c> (Debian's dataset-fashion-mnist installs the gzipped originals in /usr/share/datasets/fashion-mnist).
/// </summary>
internal static class IdxReader
{
    public const int ImageMagic = 0x00000803;
    public const int LabelMagic = 0x00000801;
    public const string TrainImages = "train-images-idx3-ubyte";
    public const string TrainLabels = "train-labels-idx1-ubyte";
    public const string TestImages = "t10k-images-idx3-ubyte";
    public const string TestLabels = "t10k-labels-idx1-ubyte";

    /// <summary>The training and test splits of an IDX folder, as 1-channel images.</summary>
    public static (InMemoryImageSet Train, InMemoryImageSet Test) ReadFolder(string folder, int classes)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"dataset.path {folder}: no such folder (expected the IDX files {TrainImages}[.gz], " +
                                                 $"{TrainLabels}[.gz], {TestImages}[.gz], {TestLabels}[.gz]; on Debian: apt-get install dataset-fashion-mnist).");
        return (Read(Locate(folder, TrainImages), Locate(folder, TrainLabels), classes),
                Read(Locate(folder, TestImages), Locate(folder, TestLabels), classes));
    }

    /// <summary>The file <paramref name="name"/> in the folder, gzipped or not (also MNIST's "train-images.idx3-ubyte" spelling).</summary>
    public static string Locate(string folder, string name)
    {
        var dotted = name.Replace("-idx", ".idx", StringComparison.Ordinal);
        foreach (var candidate in new[] { name + ".gz", name, dotted + ".gz", dotted })
        {
            var path = Path.Combine(folder, candidate);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException($"{folder}: no IDX file {name} or {name}.gz.");
    }

    /// <summary>Images and labels of one split; the label file must hold exactly one label per image.</summary>
    public static InMemoryImageSet Read(string imageFile, string labelFile, int classes)
    {
        var (imageShape, pixels) = ReadArray(imageFile, ImageMagic);
        var (labelShape, labelBytes) = ReadArray(labelFile, LabelMagic);
        if (imageShape[1] != imageShape[2])
            throw new InvalidDataException($"{imageFile}: images are {imageShape[1]}x{imageShape[2]}; only square images are supported.");
        if (labelShape[0] != imageShape[0])
            throw new InvalidDataException($"{labelFile}: {labelShape[0]} labels, but {imageFile} holds {imageShape[0]} images.");
        var labels = new int[labelBytes.Length];
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = labelBytes[i];
            if (labels[i] >= classes)
                throw new InvalidDataException($"{labelFile}: label {i + 1} is {labels[i]}, but space.classes is {classes} (labels 0..{classes - 1}).");
        }
        return new InMemoryImageSet(tensor(pixels, [imageShape[0], 1, imageShape[1], imageShape[2]]), labels, classes);
    }

    /// <summary>Reads one IDX file of unsigned bytes with the given magic number: its dimensions and its values.</summary>
    public static (int[] Shape, byte[] Values) ReadArray(string file, int expectedMagic)
    {
        var bytes = ReadAllBytes(file);
        var expectedDims = expectedMagic & 0xff;
        if (bytes.Length < 4)
            throw new InvalidDataException($"{file}: truncated: {bytes.Length} bytes, shorter than the 4-byte IDX magic number.");
        var magic = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (magic != expectedMagic)
            throw new InvalidDataException(
                $"{file}: magic number 0x{magic:x8}, expected 0x{expectedMagic:x8} (IDX, unsigned bytes, {expectedDims} dimension{(expectedDims == 1 ? "" : "s")}: " +
                $"{(expectedDims == 1 ? "labels" : "images")}); not an IDX {(expectedDims == 1 ? "label" : "image")} file.");
        var header = 4 + 4 * expectedDims;
        if (bytes.Length < header)
            throw new InvalidDataException($"{file}: truncated: {bytes.Length} bytes, shorter than its {header}-byte IDX header.");
        var shape = new int[expectedDims];
        long count = 1;
        for (var d = 0; d < expectedDims; d++)
        {
            shape[d] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (shape[d] <= 0) throw new InvalidDataException($"{file}: dimension {d + 1} has size {shape[d]}.");
            count *= shape[d];
        }
        var expected = header + count;
        if (bytes.Length < expected)
            throw new InvalidDataException(
                $"{file}: truncated: {bytes.Length} bytes, but its header ({string.Join(" x ", shape)}) needs {expected} bytes.");
        if (bytes.Length > expected)
            throw new InvalidDataException(
                $"{file}: {bytes.Length - expected} bytes beyond the {expected} that its header ({string.Join(" x ", shape)}) describes.");
        return (shape, bytes[header..]);
    }

    /// <summary>The file's bytes, gunzipped when it starts with the gzip signature (whatever its name).</summary>
    private static byte[] ReadAllBytes(string file)
    {
        var raw = File.ReadAllBytes(file);
        if (raw.Length < 2 || raw[0] != 0x1f || raw[1] != 0x8b) return raw;
        try
        {
            using var input = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
            using var output = new MemoryStream();
            input.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{file}: truncated or corrupt gzip data ({e.Message}).", e);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{file}: truncated gzip data ({e.Message}).", e);
        }
    }

    /// <summary>Writes uint8 images [n, 1, S, S] (or [n, S, S]) and their labels as IDX files, gzipped when the name ends in .gz.</summary>
    public static void Write(string imageFile, string labelFile, Tensor images, IReadOnlyList<int> labels)
    {
        var n = (int)images.shape[0];
        var side = (int)images.shape[^1];
        var pixels = images.contiguous().data<byte>().ToArray();
        WriteArray(imageFile, ImageMagic, [n, side, side], pixels);
        WriteArray(labelFile, LabelMagic, [labels.Count], labels.Select(l => checked((byte)l)).ToArray());
    }

    public static void WriteArray(string file, int magic, int[] shape, byte[] values)
    {
        using var stream = File.Create(file);
        using Stream target = file.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(stream, CompressionLevel.Fastest) : stream;
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, magic);
        target.Write(word);
        foreach (var size in shape)
        {
            BinaryPrimitives.WriteInt32BigEndian(word, size);
            target.Write(word);
        }
        target.Write(values);
    }
}
