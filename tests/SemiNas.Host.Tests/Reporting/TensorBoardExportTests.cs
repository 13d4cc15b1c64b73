using System.Buffers.Binary;
using System.Text;
using SemiNas.Contracts;
using SemiNas.Host.Tests.Cli;
using SemiNas.Storage;

namespace SemiNas.Host.Tests.Reporting;

public class TensorBoardExportTests
{
    [Fact]
    public async Task Export_writes_event_files_that_tensorboard_reads_with_the_objective_the_best_so_far_and_every_metric()
    {
        using var folder = new TempFolder();
        var storePath = folder.File("s.sqlite");
        using (var store = ExperimentStore.Open(storePath))
        {
            var experiment = store.CreateExperiment(new NewExperiment("tb run", "p", "random", 5, new Objective("acc", MetricGoal.Maximize),
                "name: tb", "{}", "fp"));
            var trials = store.AddTrials(experiment.Id, Enumerable.Range(1, 4).Select(i =>
                new NewTrial(new Architecture([i]), "k" + i, "a" + i, new Dictionary<string, double> { ["flops"] = i * 1e6 })).ToList(), [0]);
            void Complete(int index, double acc, bool feasible)
            {
                store.ClaimTrial(trials[index].Id, "tests", TimeSpan.FromHours(1));
                store.MarkComplete(trials[index].Id, new Dictionary<string, double> { ["acc"] = acc, ["loss"] = 100 - acc }, acc, feasible);
            }
            Complete(0, 90, feasible: true);
            Complete(1, 95, feasible: false);   // the best objective, but infeasible: not the best so far
            store.ClaimTrial(trials[2].Id, "tests", TimeSpan.FromHours(1));
            store.MarkFailed(trials[2].Id, "out of memory");
            Complete(3, 92, feasible: true);
            // What the plugin reported while it trained trials 1 and 4 (4 only got to step 2).
            store.SaveIntermediateValues(trials[0].Id, [.. Enumerable.Range(1, 3).Select(s => new StepValues(s,
                new Dictionary<string, double> { ["train_loss"] = 4 - s, ["lr"] = 0.1 }))]);
            store.SaveIntermediateValues(trials[3].Id, [new StepValues(1, new Dictionary<string, double> { ["train_loss"] = 5 }),
                new StepValues(2, new Dictionary<string, double> { ["train_loss"] = 4.5 })]);
        }

        for (var export = 0; export < 2; export++)   // a second export replaces the first instead of doubling every point
        {
            var (code, _, error) = await SeminasProcess.RunAsync(folder.Path, "export", storePath, "--format", "tensorboard", "--output", "tb");
            Assert.True(code == 0, error);
            Assert.Contains("tensorboard --logdir tb", error);
        }

        var files = Directory.GetFiles(folder.File("tb/tb run"), "events.out.tfevents.*");
        var scalars = ReadScalars(Assert.Single(files));
        Assert.Equal([(1, 90f), (2, 95f), (4, 92f)], Series(scalars, "objective/acc"));
        Assert.Equal([(1, 90f), (2, 90f), (3, 90f), (4, 92f)], Series(scalars, "best_so_far/acc"));
        Assert.Equal([(1, 10f), (2, 5f), (4, 8f)], Series(scalars, "metrics/loss"));
        Assert.Equal([(1, 1e6f), (2, 2e6f), (3, 3e6f), (4, 4e6f)], Series(scalars, "cheap/flops"));
        var year = DateTimeOffset.FromUnixTimeSeconds((long)scalars[0].WallTime).Year;
        Assert.InRange(year, DateTime.UtcNow.Year - 1, DateTime.UtcNow.Year);

        // A run per trial with intermediate values, beside the experiment's, so that TensorBoard overlays the trials' curves.
        Assert.Equal(["trial-0001", "trial-0004"], Directory.GetDirectories(folder.File("tb/tb run")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var first = ReadScalars(Assert.Single(Directory.GetFiles(folder.File("tb/tb run/trial-0001"), "events.out.tfevents.*")));
        Assert.Equal([(1, 3f), (2, 2f), (3, 1f)], Series(first, "intermediate/train_loss"));
        Assert.Equal([(1, 0.1f), (2, 0.1f), (3, 0.1f)], Series(first, "intermediate/lr"));
        var fourth = ReadScalars(Assert.Single(Directory.GetFiles(folder.File("tb/tb run/trial-0004"), "events.out.tfevents.*")));
        Assert.Equal([(1, 5f), (2, 4.5f)], Series(fourth, "intermediate/train_loss"));
        Assert.Equal(["intermediate/train_loss"], fourth.Select(s => s.Tag).Distinct());
    }

    private static List<(int Step, float Value)> Series(List<Scalar> scalars, string tag) =>
        scalars.Where(s => s.Tag == tag).Select(s => ((int)s.Step, s.Value)).ToList();

    private sealed record Scalar(long Step, double WallTime, string Tag, float Value);

    /// <summary>
    /// TFRecord framing as TensorBoard reads it (length, masked CRC-32C of the length, the Event proto, masked CRC-32C of
    /// the proto), then the scalar summaries of each Event: the first record is the file-version event.
    /// </summary>
    private static List<Scalar> ReadScalars(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var scalars = new List<Scalar>();
        var records = 0;
        for (var at = 0; at < bytes.Length; records++)
        {
            var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at));
            Assert.Equal(MaskedCrc(bytes.AsSpan(at, 8)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8)));
            var data = bytes.AsSpan(at + 12, length);
            Assert.Equal(MaskedCrc(data), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + length)));
            at += 12 + length + 4;

            long step = 0;
            double wallTime = 0;
            string? fileVersion = null;
            var values = new List<(string Tag, float Value)>();
            foreach (var (field, value, payload) in Fields(data.ToArray()))
            {
                switch (field)
                {
                    case 1: wallTime = BitConverter.Int64BitsToDouble((long)value); break;
                    case 2: step = (long)value; break;
                    case 3: fileVersion = Encoding.UTF8.GetString(payload!); break;
                    case 5:
                        foreach (var (_, _, summaryValue) in Fields(payload!))
                        {
                            string? tag = null;
                            float simple = float.NaN;
                            foreach (var (f, v, p) in Fields(summaryValue!))
                            {
                                if (f == 1) tag = Encoding.UTF8.GetString(p!);
                                if (f == 2) simple = BitConverter.Int32BitsToSingle((int)v);
                            }
                            values.Add((tag!, simple));
                        }
                        break;
                }
            }
            if (records == 0) Assert.Equal("brain.Event:2", fileVersion);
            scalars.AddRange(values.Select(v => new Scalar(step, wallTime, v.Tag, v.Value)));
        }
        return scalars;
    }

    /// <summary>The fields of a protobuf message: number, the value of a varint or fixed field, or the bytes of a length-delimited one.</summary>
    private static IEnumerable<(int Field, ulong Value, byte[]? Payload)> Fields(byte[] message)
    {
        var at = 0;
        while (at < message.Length)
        {
            var key = Varint(message, ref at);
            var field = (int)(key >> 3);
            switch (key & 7)
            {
                case 0: yield return (field, Varint(message, ref at), null); break;
                case 1: yield return (field, BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(at)), null); at += 8; break;
                case 2:
                    var length = (int)Varint(message, ref at);
                    yield return (field, 0, message[at..(at + length)]);
                    at += length;
                    break;
                case 5: yield return (field, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(at)), null); at += 4; break;
                default: throw new InvalidDataException($"wire type {key & 7}");
            }
        }
    }

    private static ulong Varint(byte[] data, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = data[at++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return value;
        }
    }

    private static uint MaskedCrc(ReadOnlySpan<byte> data)
    {
        var crc = 0xffffffffu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
        }
        crc = ~crc;
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
    }
}
