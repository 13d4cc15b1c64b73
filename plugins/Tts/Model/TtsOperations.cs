using SemiNas.Contracts;

namespace SemiNas.Tts.Model;

/// <summary>
/// The 11 candidate operations of every layer (SemiNAS tts/operations.py, tts-notes §1): token 1–7 a convolution
/// with kernel 1, 5, 9, 13, 17, 21 or 25 (causal in the decoder); 8–10 a Transformer layer (self-attention plus a
/// kernel-9 convolutional feed-forward of 4× width) with 2, 4 or 8 heads; 11 an LSTM (bidirectional in the encoder).
/// </summary>
public static class TtsOperations
{
    public const int Count = 11;
    public const int Lstm = 11;

    public static readonly IReadOnlyList<int> ConvKernels = [1, 5, 9, 13, 17, 21, 25];

    public static bool IsConv(int op) => op is >= 1 and <= 7;

    public static bool IsAttention(int op) => op is >= 8 and <= 10;

    public static int Kernel(int op) => IsConv(op) ? ConvKernels[op - 1] : throw new ArgumentOutOfRangeException(nameof(op), op, "not a convolution");

    /// <summary>Self-attention heads of an attention op; also the heads of the decoder layer's encoder–decoder attention (1 for conv and LSTM, as SemiNAS).</summary>
    public static int Heads(int op) => op switch { 8 => 2, 9 => 4, 10 => 8, _ => 1 };

    public static string Name(int op) => op switch
    {
        >= 1 and <= 7 => $"conv{Kernel(op)}",
        >= 8 and <= 10 => $"attn{Heads(op)}",
        Lstm => "lstm",
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "operations are 1..11"),
    };
}

/// <summary>
/// The space: <c>encoderLayers</c> tokens for the encoder then <c>decoderLayers</c> for the decoder, each 1..11
/// (11^12 ≈ 3.1e12 architectures at the paper's 6 + 6). Every sequence is valid and no two are equivalent.
/// </summary>
public sealed class TtsSearchSpace : ISearchSpace
{
    private readonly int[] _ops;

    /// <param name="operations">The operations every layer may choose (default all 11); one operation makes a
    /// single-architecture space, e.g. [9] for the Transformer-TTS baseline.</param>
    public TtsSearchSpace(int encoderLayers, int decoderLayers, IEnumerable<int>? operations = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(encoderLayers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(decoderLayers, 1);
        _ops = (operations ?? Enumerable.Range(1, TtsOperations.Count)).Distinct().Order().ToArray();
        if (_ops.Length == 0 || _ops.Any(op => op is < 1 or > TtsOperations.Count))
            throw new ArgumentException($"operations must be a non-empty subset of 1..{TtsOperations.Count}.", nameof(operations));
        EncoderLayers = encoderLayers;
        DecoderLayers = decoderLayers;
        AllowedTokens = Enumerable.Repeat<IReadOnlyList<int>>(_ops, Length).ToArray();
    }

    public int EncoderLayers { get; }

    public int DecoderLayers { get; }

    public int Length => EncoderLayers + DecoderLayers;

    public int VocabularySize => TtsOperations.Count + 1;

    public IReadOnlyList<IReadOnlyList<int>> AllowedTokens { get; }

    /// <summary>The Transformer-TTS baseline: every layer self-attention (4 heads, as Transformer TTS).</summary>
    public Architecture Baseline => new(Enumerable.Repeat(9, Length));

    public Architecture Sample(Random random) => new(Enumerable.Range(0, Length).Select(_ => _ops[random.Next(_ops.Length)]));

    public bool IsValid(Architecture architecture, out string? reason)
    {
        if (architecture.Length != Length)
        {
            reason = $"expected {Length} tokens ({EncoderLayers} encoder + {DecoderLayers} decoder layers), got {architecture.Length}";
            return false;
        }
        for (var i = 0; i < Length; i++)
        {
            if (architecture[i] is < 1 or > TtsOperations.Count)
            {
                reason = $"token {i + 1} is {architecture[i]}; operations are 1..{TtsOperations.Count}";
                return false;
            }
            if (Array.IndexOf(_ops, architecture[i]) < 0)
            {
                reason = $"token {i + 1} is {architecture[i]} ({TtsOperations.Name(architecture[i])}), not one of this space's operations {string.Join(' ', _ops)}";
                return false;
            }
        }
        reason = null;
        return true;
    }

    public string CanonicalKey(Architecture architecture) => architecture.ToString();

    public string Describe(Architecture architecture) =>
        "encoder " + string.Join(' ', architecture.Tokens.Take(EncoderLayers).Select(TtsOperations.Name)) +
        " | decoder " + string.Join(' ', architecture.Tokens.Skip(EncoderLayers).Select(TtsOperations.Name));

    public (int[] Encoder, int[] Decoder) Split(Architecture architecture)
    {
        if (!IsValid(architecture, out var reason)) throw new ArgumentException($"Not a valid architecture: {reason}.", nameof(architecture));
        return (architecture.Tokens.Take(EncoderLayers).ToArray(), architecture.Tokens.Skip(EncoderLayers).ToArray());
    }
}
