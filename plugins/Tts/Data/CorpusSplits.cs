namespace SemiNas.Tts.Data;

/// <summary>Train, validation and test parts of a corpus.</summary>
public sealed record CorpusSplit<T>(IReadOnlyList<T> Train, IReadOnlyList<T> Valid, IReadOnlyList<T> Test);

/// <summary>
/// The paper's splits. Low-resource (generate_data_low_resource.py): a seeded random draw of 100 validation,
/// 100 test and 1,500 training utterances out of LJSpeech's 13,100. Full: everything not held out trains.
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
        var order = Shuffled(items, seed);
        return new(order.GetRange(valid + test, train), order.GetRange(0, valid), order.GetRange(valid, test));
    }

    public static CorpusSplit<T> Full<T>(IReadOnlyList<T> items, int valid = 100, int test = 100, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(valid);
        ArgumentOutOfRangeException.ThrowIfNegative(test);
        if (valid + test >= items.Count)
            throw new InvalidDataException($"Holding out {valid} + {test} utterances leaves none of the corpus's {items.Count} to train on.");
        var order = Shuffled(items, seed);
        return new(order.GetRange(valid + test, items.Count - valid - test), order.GetRange(0, valid), order.GetRange(valid, test));
    }

    // Fisher-Yates with the seed's own generator, so a split depends on the seed and the corpus order only.
    private static List<T> Shuffled<T>(IReadOnlyList<T> items, int seed)
    {
        var order = items.ToList();
        var random = new Random(seed);
        for (var i = order.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
