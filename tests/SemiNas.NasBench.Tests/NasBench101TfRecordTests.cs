using System.Text;
using System.Text.Json;
using Google.Protobuf;
using SemiNas.Contracts;
using SemiNas.Plugins.NasBench.NasBench101;

namespace SemiNas.NasBench.Tests;

/// <summary>
/// Writes small files in exactly the layout of the official nasbench_only108.tfrecord: TFRecord framing with
/// masked CRC32C, each record the JSON list [hash, epochs, adjacency, operations, base64 ModelMetrics]. The
/// ModelMetrics bytes come from Google.Protobuf's encoder, not from the plugin, so reader and writer do not share
/// a misunderstanding of the wire format.
/// </summary>
internal static class OfficialFile
{
    public sealed record Run(double Valid, double Test, double Seconds);

    public sealed record Cell(NasBench101Spec Spec, int Parameters, Run[] Runs, string? Hash = null, int Epochs = 108);

    public static byte[] Write(IEnumerable<Cell> cells)
    {
        using var file = new MemoryStream();
        foreach (var cell in cells)
            foreach (var run in cell.Runs) TfRecordFile.Write(file, Record(cell, run));
        return file.ToArray();
    }

    public static byte[] Record(Cell cell, Run run, int evaluations = 3)
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartArray();
            writer.WriteStringValue(cell.Hash ?? cell.Spec.Hash());
            writer.WriteNumberValue(cell.Epochs);
            writer.WriteStringValue(cell.Spec.AdjacencyString());
            var ops = new List<string> { "input" };
            for (var v = 1; v < cell.Spec.VertexCount - 1; v++) ops.Add(NasBench101Spec.OperationNames[cell.Spec.Operation(v)]);
            ops.Add("output");
            writer.WriteStringValue(string.Join(',', ops));
            writer.WriteStringValue(Convert.ToBase64String(ModelMetrics(cell, run, evaluations)));
            writer.WriteEndArray();
        }
        return json.ToArray();
    }

    // message ModelMetrics { repeated EvaluationData evaluation_data = 1; optional int32 trainable_parameters = 2;
    //                        optional double total_time = 3; }
    // message EvaluationData { optional double current_epoch = 1; training_time = 2; train_accuracy = 3;
    //                          validation_accuracy = 4; test_accuracy = 5; optional string checkpoint_path = 6; }
    private static byte[] ModelMetrics(Cell cell, Run run, int evaluations)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        for (var e = 0; e < evaluations; e++)
        {
            // [0] at initialisation, [1] halfway, [2] final: only the final one carries the run's numbers.
            var fraction = e / 2.0;
            var evaluation = EvaluationData(fraction * cell.Epochs, fraction * run.Seconds, 0.1 + fraction * 0.85,
                e == 2 ? run.Valid : 0.1 + fraction * 0.5, e == 2 ? run.Test : 0.1 + fraction * 0.5, $"/tmp/model.ckpt-{e}");
            output.WriteTag(1, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(evaluation));
        }
        output.WriteTag(2, WireFormat.WireType.Varint);
        output.WriteInt32(cell.Parameters);
        output.WriteTag(3, WireFormat.WireType.Fixed64);
        output.WriteDouble(run.Seconds * 1.1);
        output.Flush();
        return buffer.ToArray();
    }

    private static byte[] EvaluationData(double epoch, double seconds, double train, double valid, double test, string checkpoint)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        output.WriteTag(1, WireFormat.WireType.Fixed64);
        output.WriteDouble(epoch);
        output.WriteTag(2, WireFormat.WireType.Fixed64);
        output.WriteDouble(seconds);
        output.WriteTag(3, WireFormat.WireType.Fixed64);
        output.WriteDouble(train);
        output.WriteTag(4, WireFormat.WireType.Fixed64);
        output.WriteDouble(valid);
        output.WriteTag(5, WireFormat.WireType.Fixed64);
        output.WriteDouble(test);
        output.WriteTag(6, WireFormat.WireType.LengthDelimited);
        output.WriteString(checkpoint);
        output.Flush();
        return buffer.ToArray();
    }

    public static readonly NasBench101Spec Small =
        NasBench101Cells.FromMatrix([[0, 1, 1], [0, 0, 1], [0, 0, 0]], [NasBench101Cells.MaxPool]);

    /// <summary>Three cells of three runs each, as the official file holds them.</summary>
    public static Cell[] ThreeCells() =>
    [
        new(NasBench101Cells.Inception, 2_694_282, [new(0.9435, 0.9401, 2900.1), new(0.9452, 0.9389, 2911.5), new(0.9420, 0.9409, 2899.0)],
            Hash: "28cfc7874f6d200472e1a9dcd8650aa0"),
        new(Small, 227_274, [new(0.7012, 0.6987, 800.5), new(0.7080, 0.7001, 801.0), new(0.6990, 0.6950, 799.9)]),
        new(NasBench101Table.Slice.Cell(0), 8_555_530, [new(0.9304, 0.9250, 1768.9), new(0.9311, 0.9290, 1770.2), new(0.9290, 0.9301, 1769.0)]),
    ];
}

public class NasBench101TfRecordTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("seminas-nb101-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public void Computes_crc32c_and_the_tfrecord_mask()
    {
        // The standard CRC-32C check value (RFC 3720, iSCSI).
        Assert.Equal(0xE3069283u, TfRecordFile.Crc32C("123456789"u8));
        Assert.Equal(0u, TfRecordFile.Crc32C([]));
        var crc = TfRecordFile.Crc32C("123456789"u8);
        Assert.Equal(((crc >> 15) | (crc << 17)) + 0xa282ead8u, TfRecordFile.MaskedCrc32C("123456789"u8));
    }

    [Fact]
    public void Reads_each_cell_with_its_three_runs_means_and_parameters()
    {
        var cells = OfficialFile.ThreeCells();
        var table = NasBench101Table.ReadTfRecord(new MemoryStream(OfficialFile.Write(cells)), "test.tfrecord");

        Assert.Equal(NasBench101Source.Official, table.Source);
        Assert.Equal(3, table.Count);
        Assert.Equal(3, table.Runs);
        Assert.True(table.HasTestAccuracy);
        for (var row = 0; row < cells.Length; row++)
        {
            var cell = cells[row];
            Assert.Equal(cell.Spec, table.Cell(row));
            Assert.Equal(cell.Spec.Hash(), table.Hash(row));
            Assert.Equal(cell.Parameters, table.Parameters(row));
            for (var run = 0; run < 3; run++)
            {
                Assert.Equal(cell.Runs[run].Valid, table.ValidationAccuracy(row, run));
                Assert.Equal(cell.Runs[run].Test, table.TestAccuracy(row, run));
                Assert.Equal(cell.Runs[run].Seconds, table.TrainingSeconds(row, run));
            }
            Assert.Equal(cell.Runs.Average(r => r.Test), table.MeanTestAccuracy(row), 12);
            Assert.Equal(cell.Runs.Average(r => r.Valid), table.MeanValidationAccuracy(row), 12);
        }
        Assert.Equal(0, table.RowOf("28cfc7874f6d200472e1a9dcd8650aa0"));
    }

    [Fact]
    public void Keeps_only_the_108_epoch_runs_of_a_full_file()
    {
        var cells = OfficialFile.ThreeCells();
        var shortRuns = cells[1] with { Epochs = 36, Runs = [new(0.5, 0.5, 100), new(0.5, 0.5, 100), new(0.5, 0.5, 100)] };
        var table = NasBench101Table.ReadTfRecord(new MemoryStream(OfficialFile.Write([shortRuns, .. cells])), "full.tfrecord");

        Assert.Equal(3, table.Count);
        Assert.Equal(0.7012, table.ValidationAccuracy(table.RowOf(OfficialFile.Small.Hash()), 0));
    }

    [Fact]
    public async Task A_task_on_the_official_file_answers_one_random_run_and_the_mean_test_accuracy()
    {
        var path = WriteFile("nasbench_only108.tfrecord", OfficialFile.Write(OfficialFile.ThreeCells()));
        using var task = CreateTask(Path.GetFileName(path));
        using var mean = CreateTask(Path.GetFileName(path), NasBench101Query.Mean);
        var inception = NasBench101Encoding.Encode(NasBench101Cells.Inception);

        Assert.Equal(["valid_accuracy", "mean_valid_accuracy", "test_accuracy", "training_time", "params"],
            task.Metrics.Select(m => m.Name));
        var seen = new HashSet<double>();
        for (var seed = 0; seed < 60; seed++)
        {
            var metrics = await task.EvaluateAsync(inception, Context(seed), CancellationToken.None);
            Assert.Contains(new[] { 94.35, 94.52, 94.20 }, run => Math.Abs(run - metrics["valid_accuracy"]) < 1e-9);
            seen.Add(Math.Round(metrics["valid_accuracy"], 6));
            Assert.Equal((94.01 + 93.89 + 94.09) / 3, metrics["test_accuracy"], 9);
            Assert.Equal((94.35 + 94.52 + 94.20) / 3, metrics["mean_valid_accuracy"], 9);
            Assert.Equal(2_694_282, metrics["params"]);
        }
        // Like the official query, repeated evaluations see every run; the same trial seed always the same one.
        Assert.Equal(3, seen.Count);
        var again = await task.EvaluateAsync(inception, Context(7), CancellationToken.None);
        Assert.Equal((await task.EvaluateAsync(inception, Context(7), CancellationToken.None))["valid_accuracy"], again["valid_accuracy"]);

        var averaged = await mean.EvaluateAsync(inception, Context(7), CancellationToken.None);
        Assert.Equal((94.35 + 94.52 + 94.20) / 3, averaged["valid_accuracy"], 9);
        Assert.Equal((2900.1 + 2911.5 + 2899.0) / 3, averaged["training_time"], 9);
    }

    [Fact]
    public void The_official_space_samples_its_cells_and_rejects_a_cell_the_file_lacks_with_the_reason()
    {
        var path = WriteFile("only3.tfrecord", OfficialFile.Write(OfficialFile.ThreeCells()));
        using var task = CreateTask(Path.GetFileName(path));
        var space = task.Space;

        var random = new Random(1);
        var sampled = Enumerable.Range(0, 60).Select(_ => space.CanonicalKey(space.Sample(random))).Distinct().Order().ToList();
        Assert.Equal(OfficialFile.ThreeCells().Select(c => c.Spec.Hash()).Order(), sampled);

        var missing = NasBench101Encoding.Encode(NasBench101Table.Slice.Cell(5));
        Assert.False(space.IsValid(missing, out var reason));
        Assert.Contains("the data file does not hold it (3 of 423,624 cells)", reason);
    }

    [Fact]
    public void Converts_once_then_starts_from_the_cache_and_converts_again_when_the_file_changes()
    {
        var path = WriteFile("cached.tfrecord", OfficialFile.Write(OfficialFile.ThreeCells()));
        var cache = path + NasBench101Plugin.CacheSuffix;

        var first = NasBench101Table.LoadOfficialUncached(path, cache, out var firstFromCache);
        Assert.False(firstFromCache);
        Assert.True(File.Exists(cache));
        var second = NasBench101Table.LoadOfficialUncached(path, cache, out var secondFromCache);
        Assert.True(secondFromCache);
        Assert.Equal(first.Count, second.Count);
        for (var row = 0; row < first.Count; row++)
        {
            Assert.Equal(first.Hash(row), second.Hash(row));
            Assert.Equal(first.Cell(row), second.Cell(row));
            Assert.Equal(first.MeanTestAccuracy(row), second.MeanTestAccuracy(row));
            Assert.Equal(first.ValidationAccuracy(row, 2), second.ValidationAccuracy(row, 2));
        }

        // A replaced data file (other size and time) is not answered from the old cache.
        var two = OfficialFile.ThreeCells()[..2];
        File.WriteAllBytes(path, OfficialFile.Write(two));
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        var third = NasBench101Table.LoadOfficialUncached(path, cache, out var thirdFromCache);
        Assert.False(thirdFromCache);
        Assert.Equal(2, third.Count);

        // A damaged cache is rebuilt, not trusted.
        File.WriteAllBytes(cache, File.ReadAllBytes(cache)[..100]);
        Assert.Equal(2, NasBench101Table.LoadOfficialUncached(path, cache, out var fourthFromCache).Count);
        Assert.False(fourthFromCache);
    }

    [Fact]
    public void A_cache_that_cannot_be_written_costs_only_the_next_start()
    {
        var path = WriteFile("nocache.tfrecord", OfficialFile.Write(OfficialFile.ThreeCells()));
        // A folder below a file cannot be created, whatever the user's rights.
        var cache = Path.Combine(path, "below-a-file", "table.cache");
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            Assert.Equal(3, NasBench101Table.LoadOfficialUncached(path, cache, out var fromCache).Count);
            Assert.False(fromCache);
        }
        finally
        {
            Console.SetError(original);
        }
        Assert.Contains("could not be cached", error.ToString());
        Assert.Contains("Set cacheFile", error.ToString());
    }

    [Fact]
    public void Refuses_a_record_whose_data_checksum_is_wrong()
    {
        var bytes = OfficialFile.Write(OfficialFile.ThreeCells());
        var second = RecordStart(bytes, 1);
        bytes[second + 12 + 5] ^= 0x01; // one bit of the second record's JSON
        var path = WriteFile("bitflip.tfrecord", bytes);

        var error = Assert.Throws<InvalidDataException>(() => CreateTask(Path.GetFileName(path)));
        Assert.Contains("bitflip.tfrecord", error.Message);
        Assert.Contains($"record 2 (at byte {second})", error.Message);
        Assert.Contains("data does not match (bad CRC)", error.Message);
        Assert.False(File.Exists(path + NasBench101Plugin.CacheSuffix));
    }

    [Fact]
    public void Refuses_a_record_whose_length_checksum_is_wrong()
    {
        var bytes = OfficialFile.Write(OfficialFile.ThreeCells());
        bytes[RecordStart(bytes, 4)] ^= 0x04;

        var error = Assert.Throws<InvalidDataException>(() => NasBench101Table.ReadTfRecord(new MemoryStream(bytes), "len.tfrecord"));
        Assert.Contains("len.tfrecord: record 5", error.Message);
        Assert.Contains("length field does not match (bad CRC)", error.Message);
    }

    [Theory]
    [InlineData(3, "(truncated)")]
    [InlineData(40, "(truncated)")]
    [InlineData(-6, "record header")]
    public void Refuses_a_truncated_file(int cutFromEnd, string expected)
    {
        var bytes = OfficialFile.Write(OfficialFile.ThreeCells());
        // A negative cut keeps that many bytes of the last record's header.
        var length = cutFromEnd >= 0 ? bytes.Length - cutFromEnd : RecordStart(bytes, 8) - cutFromEnd;

        var error = Assert.Throws<InvalidDataException>(() =>
            NasBench101Table.ReadTfRecord(new MemoryStream(bytes[..length]), "cut.tfrecord"));
        Assert.Contains("cut.tfrecord: record 9", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Names_the_record_when_its_content_is_not_a_nasbench_record()
    {
        using var file = new MemoryStream();
        TfRecordFile.Write(file, OfficialFile.Record(OfficialFile.ThreeCells()[0], new(0.9, 0.9, 1)));
        TfRecordFile.Write(file, "[\"28cfc7874f6d200472e1a9dcd8650aa0\", 108, \"01\"]"u8);

        var error = Assert.Throws<InvalidDataException>(() => NasBench101Table.ReadTfRecord(new MemoryStream(file.ToArray()), "odd.tfrecord"));
        Assert.Contains("odd.tfrecord: record 2: expected the operations (a string)", error.Message);

        var fewEvaluations = OfficialFile.Record(OfficialFile.ThreeCells()[0], new(0.9, 0.9, 1), evaluations: 2);
        using var other = new MemoryStream();
        TfRecordFile.Write(other, fewEvaluations);
        error = Assert.Throws<InvalidDataException>(() => NasBench101Table.ReadTfRecord(new MemoryStream(other.ToArray()), "few.tfrecord"));
        Assert.Contains("few.tfrecord: record 1: ModelMetrics has 2 evaluations", error.Message);
    }

    [Fact]
    public void Refuses_a_cell_without_three_runs()
    {
        var cells = OfficialFile.ThreeCells();
        cells[2] = cells[2] with { Runs = cells[2].Runs[..2] };
        var error = Assert.Throws<InvalidDataException>(() =>
            NasBench101Table.ReadTfRecord(new MemoryStream(OfficialFile.Write(cells)), "runs.tfrecord"));
        Assert.Contains($"cell {cells[2].Spec.Hash()} has 2 108-epoch runs", error.Message);

        cells[2] = cells[2] with { Runs = [.. cells[1].Runs, cells[1].Runs[0]] };
        error = Assert.Throws<InvalidDataException>(() =>
            NasBench101Table.ReadTfRecord(new MemoryStream(OfficialFile.Write(cells)), "runs.tfrecord"));
        Assert.Contains($"runs.tfrecord: record 10: cell {cells[2].Spec.Hash()} has more than 3 108-epoch runs", error.Message);
    }

    [Fact]
    public void A_missing_data_file_is_a_clear_error()
    {
        // A configuration problem, reported by the host at task.options.dataFile with exit code 2.
        var error = Assert.Throws<SemiNas.Contracts.TaskConfigurationException>(() => CreateTask("nowhere/nasbench_only108.tfrecord"));
        Assert.Equal("dataFile", error.Option);
        Assert.Contains(Path.Combine(_folder, "nowhere", "nasbench_only108.tfrecord"), error.Message);
        Assert.Contains("leave dataFile empty", error.Message);
    }

    private NasBench101Task CreateTask(string dataFile, NasBench101Query query = NasBench101Query.RandomRun) =>
        (NasBench101Task)new NasBench101Plugin().CreateTask(
            new NasBench101Options { DataFile = dataFile, Query = query },
            new TaskCreationContext { ConfigDirectory = _folder, Seed = 1 });

    private string WriteFile(string name, byte[] bytes)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static EvaluationContext Context(int seed) => new()
    {
        TrialId = seed, Device = "cpu", Seed = seed, WorkingDirectory = Path.GetTempPath(), ExperimentDirectory = Path.GetTempPath(),
    };

    /// <summary>Byte offset of record <paramref name="index"/> (0-based), walking the framing's length fields.</summary>
    private static int RecordStart(byte[] bytes, int index)
    {
        var offset = 0;
        for (var i = 0; i < index; i++) offset += 12 + (int)BitConverter.ToUInt64(bytes, offset) + 4;
        return offset;
    }
}
