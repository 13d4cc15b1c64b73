namespace SemiNas.Tts.Data;

/// <summary>Train, validation and test parts of a corpus.</summary>
public sealed record CorpusSplit<T>(IReadOnlyList<T> Train, IReadOnlyList<T> Valid, IReadOnlyList<T> Test);

/// <summary>
/// The paper's splits, drawn as generate_data_low_resource.py draws them: <c>np.random.seed(seed)</c>, a shuffle of
/// the row indices 0..n-1, the first <c>valid</c> validate, the next <c>test</c> test, the next <c>train</c> train (all
/// the rest for the full split), and each part sorted back into corpus order. With seed 1 on LJSpeech's 13,100 rows
/// these are the paper's 1,500 / 100 / 100 utterances (<see cref="NumpyLegacyRandom"/>; a test pins the first indices).
/// The indices are positions in the list given, so a skipped row shifts the draw: the draw matches the paper's only on
/// a corpus that loads whole.
/// </summary>
public static class CorpusSplits
{
    public static CorpusSplit<T> LowResource<T>(IReadOnlyList<T> items, int train = 1500, int valid = 100, int test = 100, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(train, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(valid);
        ArgumentOutOfRangeException.ThrowIfNegative(test);
        if (train + valid + test > items.Count)
            throw new InvalidDataException(
                $"The low-resource split needs {train} + {valid} + {test} = {train + valid + test} utterances; the corpus has {items.Count}.");
        var order = Order(items.Count, seed);
        return new(Pick(items, order, valid + test, train), Pick(items, order, 0, valid), Pick(items, order, valid, test));
    }

    public static CorpusSplit<T> Full<T>(IReadOnlyList<T> items, int valid = 100, int test = 100, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(valid);
        ArgumentOutOfRangeException.ThrowIfNegative(test);
        if (valid + test >= items.Count)
            throw new InvalidDataException($"Holding out {valid} + {test} utterances leaves none of the corpus's {items.Count} to train on.");
        var order = Order(items.Count, seed);
        return new(Pick(items, order, valid + test, items.Count - valid - test), Pick(items, order, 0, valid), Pick(items, order, valid, test));
    }

    /// <summary>The row indices in the order numpy's seeded shuffle leaves them.</summary>
    public static int[] Order(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(seed); // numpy's legacy seed is an unsigned 32-bit integer
        return NumpyLegacyRandom.Permutation(count, (uint)seed);
    }

    // The reference sorts each part's indices (sorted(train_uttids), ...), so each part keeps the corpus order.
    private static List<T> Pick<T>(IReadOnlyList<T> items, int[] order, int start, int count) =>
        order.Skip(start).Take(count).Order().Select(i => items[i]).ToList();
}
