using SemiNas.Contracts;

namespace SemiNas.Core;

/// <summary>Drawing architectures the caller has not seen yet, for every strategy that samples.</summary>
public static class SpaceSampling
{
    /// <summary>Consecutive rejected draws after which the space counts as exhausted.</summary>
    public const int MaxFailedDraws = 100_000;

    /// <summary>
    /// Up to <paramref name="count"/> draws of <paramref name="space"/> that <paramref name="accept"/> takes (it also
    /// records what it took, so that nothing comes twice); fewer when <see cref="MaxFailedDraws"/> draws in a row are refused.
    /// </summary>
    public static List<Architecture> Draw(ISearchSpace space, Random random, int count, Func<Architecture, bool> accept) =>
        Draw(space.Sample, random, count, accept);

    /// <summary>
    /// Like <see cref="Draw(ISearchSpace, Random, int, Func{Architecture, bool})"/>, for architectures the predictor
    /// labels and nobody evaluates: from the whole space when the space can evaluate only part of it
    /// (<see cref="IUnlabelledSampler"/>). What is drawn is valid, so <paramref name="accept"/> need not ask.
    /// </summary>
    public static List<Architecture> DrawUnlabelled(ISearchSpace space, Random random, int count, Func<Architecture, bool> accept) =>
        Draw(space is IUnlabelledSampler wider ? wider.SampleUnlabelled : space.Sample, random, count, accept);

    private static List<Architecture> Draw(Func<Random, Architecture> sample, Random random, int count, Func<Architecture, bool> accept)
    {
        var result = new List<Architecture>(count);
        for (var failures = 0; result.Count < count && failures < MaxFailedDraws;)
        {
            var candidate = sample(random);
            if (accept(candidate))
            {
                result.Add(candidate);
                failures = 0;
            }
            else
            {
                failures++;
            }
        }
        return result;
    }
}
