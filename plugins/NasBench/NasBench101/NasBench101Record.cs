using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Text.Json;

namespace SemiNas.Plugins.NasBench.NasBench101;

/// <summary>One training run of one cell, as a record of the official <c>nasbench_*.tfrecord</c> files holds it.</summary>
public sealed record NasBench101Run(
    string Hash, int Epochs, NasBench101Spec Spec, int TrainableParameters,
    double TrainingTime, double TrainAccuracy, double ValidationAccuracy, double TestAccuracy);

/// <summary>
/// Parses the data of one official record: the UTF-8 JSON list
/// <c>[hash, epochs, adjacency "0110…", operations "input,conv3x3-bn-relu,…,output", base64 ModelMetrics]</c>,
/// where ModelMetrics is the protocol buffer of <c>nasbench/lib/model_metrics.proto</c>. Like the official API it
/// takes the final evaluation (<c>evaluation_data[2]</c>; [0] is at initialisation, [1] halfway).
/// </summary>
public static class NasBench101Record
{
    private const int FinalEvaluation = 2;

    public static NasBench101Run Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        Expect(ref reader, JsonTokenType.StartArray, "a JSON list");
        Expect(ref reader, JsonTokenType.String, "the module hash (a string)");
        var hash = reader.GetString()!;
        if (hash.Length != 32 || !hash.All(char.IsAsciiHexDigitLower))
            throw new FormatException($"the module hash '{hash}' is not 32 lower-case hex digits");
        Expect(ref reader, JsonTokenType.Number, "the epoch count (a number)");
        if (!reader.TryGetInt32(out var epochs)) throw new FormatException("the epoch count is not an integer");
        Expect(ref reader, JsonTokenType.String, "the adjacency (a string)");
        var adjacency = reader.GetString()!;
        Expect(ref reader, JsonTokenType.String, "the operations (a string)");
        var operations = reader.GetString()!;
        Expect(ref reader, JsonTokenType.String, "the metrics (a base64 string)");
        // Python's json.dumps leaves base64 as it is, but other writers escape '+' or '/' as \u002B; both are JSON.
        var metrics = DecodeBase64(reader.ValueIsEscaped ? System.Text.Encoding.ASCII.GetBytes(reader.GetString()!) : reader.ValueSpan);
        Expect(ref reader, JsonTokenType.EndArray, "the end of the 5-item list");

        var spec = ParseSpec(adjacency, operations, hash);
        var (parameters, evaluation) = ParseMetrics(metrics);
        return new NasBench101Run(hash, epochs, spec, parameters,
            evaluation.TrainingTime, evaluation.TrainAccuracy, evaluation.ValidationAccuracy, evaluation.TestAccuracy);
    }

    private static NasBench101Spec ParseSpec(string adjacency, string operations, string hash)
    {
        var names = operations.Split(',');
        if (names.Length < 2 || names[0] != NasBench101Spec.InputName || names[^1] != NasBench101Spec.OutputName)
            throw new FormatException($"the operations '{operations}' do not run from '{NasBench101Spec.InputName}' to '{NasBench101Spec.OutputName}'");
        var ops = new int[names.Length - 2];
        for (var i = 0; i < ops.Length; i++)
        {
            ops[i] = NasBench101Spec.OperationIndex(names[i + 1]);
            if (ops[i] < 0)
                throw new FormatException($"operation '{names[i + 1]}' is not one of {string.Join(", ", NasBench101Spec.OperationNames)}");
        }
        try
        {
            return NasBench101Spec.Parse(adjacency, ops);
        }
        catch (FormatException e)
        {
            throw new FormatException($"cell {hash}: {e.Message}", e);
        }
    }

    private static byte[] DecodeBase64(ReadOnlySpan<byte> base64)
    {
        var bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(base64.Length)];
        var status = Base64.DecodeFromUtf8(base64, bytes, out _, out var written);
        if (status != OperationStatus.Done) throw new FormatException($"the metrics are not valid base64 ({status})");
        return bytes[..written];
    }

    private readonly record struct Evaluation(double TrainingTime, double TrainAccuracy, double ValidationAccuracy, double TestAccuracy);

    // ModelMetrics: 1 repeated EvaluationData (message), 2 trainable_parameters (int32 varint), 3 total_time (double).
    private static (int Parameters, Evaluation Final) ParseMetrics(ReadOnlySpan<byte> message)
    {
        var parameters = 0;
        var evaluations = 0;
        Evaluation final = default;
        var reader = new ProtoReader(message);
        while (reader.Next(out var field, out var wireType))
        {
            switch (field)
            {
                case 1 when wireType == WireType.LengthDelimited:
                    var evaluation = ParseEvaluation(reader.Bytes());
                    if (evaluations++ == FinalEvaluation) final = evaluation;
                    break;
                case 2 when wireType == WireType.Varint:
                    parameters = (int)reader.Varint();
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }
        if (evaluations <= FinalEvaluation)
            throw new FormatException($"ModelMetrics has {evaluations} evaluations; the final one is number {FinalEvaluation + 1}");
        return (parameters, final);
    }

    // EvaluationData: 1 current_epoch, 2 training_time, 3 train_accuracy, 4 validation_accuracy, 5 test_accuracy
    // (doubles), 6 checkpoint_path (string).
    private static Evaluation ParseEvaluation(ReadOnlySpan<byte> message)
    {
        double time = 0, train = 0, valid = 0, test = 0;
        var reader = new ProtoReader(message);
        while (reader.Next(out var field, out var wireType))
        {
            if (wireType == WireType.Fixed64 && field is >= 2 and <= 5)
            {
                var value = reader.Double();
                switch (field)
                {
                    case 2: time = value; break;
                    case 3: train = value; break;
                    case 4: valid = value; break;
                    default: test = value; break;
                }
            }
            else
            {
                reader.Skip(wireType);
            }
        }
        return new Evaluation(time, train, valid, test);
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string what)
    {
        bool read;
        try
        {
            read = reader.Read();
        }
        catch (JsonException e)
        {
            throw new FormatException($"the record is not valid JSON where {what} should be ({e.Message})", e);
        }
        if (!read || reader.TokenType != type)
            throw new FormatException($"expected {what}, found {(read ? reader.TokenType.ToString() : "the end of the record")}");
    }

    private enum WireType
    {
        Varint = 0,
        Fixed64 = 1,
        LengthDelimited = 2,
        Fixed32 = 5,
    }

    /// <summary>The protocol-buffer wire format, just what ModelMetrics needs: tags, varints, doubles, nested bytes.</summary>
    private ref struct ProtoReader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _data = data;

        public bool Next(out int field, out WireType wireType)
        {
            if (_data.IsEmpty)
            {
                field = 0;
                wireType = default;
                return false;
            }
            var tag = Varint();
            field = (int)(tag >> 3);
            wireType = (WireType)(tag & 7);
            if (field == 0) throw new FormatException("ModelMetrics has a field number 0");
            return true;
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_data.IsEmpty) throw new FormatException("ModelMetrics ends inside a varint");
                var b = _data[0];
                _data = _data[1..];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return value;
            }
            throw new FormatException("ModelMetrics has a varint longer than 10 bytes");
        }

        public double Double() => BitConverter.Int64BitsToDouble((long)BinaryPrimitives.ReadUInt64LittleEndian(Take(8)));

        public ReadOnlySpan<byte> Bytes()
        {
            var length = Varint();
            if (length > (ulong)_data.Length) throw new FormatException("ModelMetrics has a field longer than the message");
            return Take((int)length);
        }

        public void Skip(WireType wireType)
        {
            switch (wireType)
            {
                case WireType.Varint: Varint(); break;
                case WireType.Fixed64: Take(8); break;
                case WireType.LengthDelimited: Bytes(); break;
                case WireType.Fixed32: Take(4); break;
                default: throw new FormatException($"ModelMetrics uses wire type {(int)wireType}, which it never should");
            }
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (count > _data.Length) throw new FormatException("ModelMetrics ends inside a field");
            var taken = _data[..count];
            _data = _data[count..];
            return taken;
        }
    }
}
