using static TorchSharp.torch;

namespace SemiNas.ImageClassification.Data;

/// <summary>
/// The CIFAR-10 binary format (https://www.cs.toronto.edu/~kriz/cifar.html): each record is one label byte (0..9)
/// then 3072 pixel bytes, the red, green and blue 32x32 planes in row-major order. Training is data_batch_1..5.bin,
/// validation test_batch.bin.
/// </summary>
internal static class Cifar10Reader
{
    public const int Side = 32;
    public const int RecordBytes = 1 + 3 * Side * Side;
    public static readonly string[] TrainFiles = [.. Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin")];
    public const string TestFile = "test_batch.bin";

    /// <summary>The folder holding the .bin files: <paramref name="path"/> itself or its cifar-10-batches-bin.</summary>
    public static string Locate(string path)
    {
        foreach (var candidate in new[] { path, Path.Combine(path, "cifar-10-batches-bin") })
            if (File.Exists(Path.Combine(candidate, TestFile))) return candidate;
        throw new FileNotFoundException(
            $"dataset.path {path}: no CIFAR-10 binary files ({TestFile}, data_batch_1..5.bin) there or in its cifar-10-batches-bin folder.");
    }

    public static (InMemoryImageSet Train, InMemoryImageSet Test) ReadFolder(string path)
    {
        var folder = Locate(path);
        var trainFiles = TrainFiles.Select(f => Path.Combine(folder, f)).Where(File.Exists).ToList();
        if (trainFiles.Count == 0)
            throw new FileNotFoundException($"{folder}: no CIFAR-10 training batch (data_batch_1.bin ... data_batch_5.bin).");
        return (Read(trainFiles), Read([Path.Combine(folder, TestFile)]));
    }

    public static InMemoryImageSet Read(IReadOnlyList<string> files)
    {
        var records = new List<(byte[] Bytes, string File)>();
        long total = 0;
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            if (bytes.Length == 0 || bytes.Length % RecordBytes != 0)
                throw new InvalidDataException(
                    $"{file}: {bytes.Length} bytes is not a whole number of {RecordBytes}-byte CIFAR-10 records (1 label byte + 3072 pixels).");
            records.Add((bytes, file));
            total += bytes.Length / RecordBytes;
        }

        var pixels = new byte[total * (RecordBytes - 1)];
        var labels = new int[total];
        var n = 0;
        foreach (var (bytes, file) in records)
        {
            for (var offset = 0; offset < bytes.Length; offset += RecordBytes, n++)
            {
                var label = bytes[offset];
                if (label > 9)
                    throw new InvalidDataException($"{file}: record {offset / RecordBytes + 1} has label {label}; CIFAR-10 labels are 0..9.");
                labels[n] = label;
                Buffer.BlockCopy(bytes, offset + 1, pixels, n * (RecordBytes - 1), RecordBytes - 1);
            }
        }
        return new InMemoryImageSet(tensor(pixels, [total, 3, Side, Side]), labels, 10);
    }

    /// <summary>Writes images (uint8 [n, 3, 32, 32]) and labels in the binary format, e.g. for tests and demos.</summary>
    public static void Write(string file, Tensor images, IReadOnlyList<int> labels)
    {
        var n = (int)images.shape[0];
        var pixels = images.contiguous().data<byte>().ToArray();
        var bytes = new byte[n * RecordBytes];
        for (var i = 0; i < n; i++)
        {
            bytes[i * RecordBytes] = checked((byte)labels[i]);
            Buffer.BlockCopy(pixels, i * (RecordBytes - 1), bytes, i * RecordBytes + 1, RecordBytes - 1);
        }
        File.WriteAllBytes(file, bytes);
    }
}
