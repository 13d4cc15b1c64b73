using TorchSharp;
using static TorchSharp.torch;
using SemiNas.Core;

namespace SemiNas.Controller.Nao;

/// <summary>Conversions between C# token sequences and the int64 [N, L] tensors the model works on.</summary>
public static class EpdTokens
{
    /// <summary>The decoder's start symbol (the official SOS_ID).</summary>
    public const int StartToken = 0;

    /// <summary>Sequences of exactly <see cref="EpdSettings.Length"/> tokens in [0, V) → int64 [N, L].</summary>
    public static Tensor ToTensor(IReadOnlyList<IReadOnlyList<int>> sequences, EpdSettings settings)
    {
        var length = settings.Length;
        var flat = new long[sequences.Count * length];
        for (var i = 0; i < sequences.Count; i++)
        {
            var sequence = sequences[i];
            if (sequence.Count != length)
                throw new ArgumentException($"Sequence {i} has {sequence.Count} tokens; the model expects {length}.");
            for (var j = 0; j < length; j++)
            {
                var token = sequence[j];
                if (token < 0 || token >= settings.VocabularySize)
                    throw new ArgumentException($"Token {token} at position {j} of sequence {i} is outside [0, {settings.VocabularySize}).");
                flat[i * length + j] = token;
            }
        }
        return torch.tensor(flat, [sequences.Count, length], ScalarType.Int64);
    }

    /// <summary>int64 [N, L] → N arrays of L tokens.</summary>
    public static int[][] ToArrays(Tensor tokens)
    {
        var (n, length) = ((int)tokens.shape[0], (int)tokens.shape[1]);
        var flat = tokens.data<long>().ToArray();
        var result = new int[n][];
        for (var i = 0; i < n; i++)
        {
            result[i] = new int[length];
            for (var j = 0; j < length; j++) result[i][j] = (int)flat[i * length + j];
        }
        return result;
    }

    /// <summary>Teacher forcing: the decoder reads <c>[SOS] + seq[:-1]</c> while it is asked to emit <c>seq</c>.</summary>
    public static Tensor TeacherForcingInputs(Tensor tokens)
    {
        using var scope = torch.NewDisposeScope();
        using var startToken = StartToken.ToScalar();
        var start = torch.full(tokens.shape[0], 1, startToken, ScalarType.Int64);
        return torch.cat([start, tokens.narrow(1, 0, tokens.shape[1] - 1)], 1).MoveToOuterDisposeScope();
    }

    /// <summary>[L, V] additive mask: 0 where position i may emit the token, −∞ elsewhere.</summary>
    internal static Tensor PositionMask(IReadOnlyList<IReadOnlyCollection<int>> allowedTokens, EpdSettings settings)
    {
        int length = settings.Length, vocabulary = settings.VocabularySize;
        if (allowedTokens.Count != length)
            throw new ArgumentException($"Allowed tokens are given for {allowedTokens.Count} positions; the model has {length}.");
        var mask = new float[length * vocabulary];
        Array.Fill(mask, float.NegativeInfinity);
        for (var i = 0; i < length; i++)
        {
            if (allowedTokens[i].Count == 0) throw new ArgumentException($"Position {i} allows no token.");
            foreach (var token in allowedTokens[i])
            {
                if (token < 0 || token >= vocabulary)
                    throw new ArgumentException($"Allowed token {token} at position {i} is outside [0, {vocabulary}).");
                mask[i * vocabulary + token] = 0;
            }
        }
        return torch.tensor(mask, [length, vocabulary]);
    }

    internal static void CheckShape(Tensor tokens, EpdSettings settings)
    {
        if (tokens.dtype != ScalarType.Int64 || tokens.dim() != 2 || tokens.shape[1] != settings.Length)
            throw new ArgumentException(
                $"Expected int64 tokens [N, {settings.Length}], got {tokens.dtype} [{string.Join(", ", tokens.shape)}].");
    }
}
