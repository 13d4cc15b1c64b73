using SemiNas.Core;
namespace SemiNas.Controller.Predictors;

/// <summary>How well a predictor ranks architectures: Kendall's τ-b and Spearman's ρ, both handling ties.</summary>
public static class RankCorrelation
{
    /// <summary>Spearman's ρ: Pearson correlation of the average ranks.</summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        CheckLengths(x, y);
        return Pearson(Ranks(x), Ranks(y));
    }

    /// <summary>Kendall's τ-b (ties in either variable corrected for), in O(n log n) by Knight's merge-sort method.</summary>
    public static double KendallTau(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        CheckLengths(x, y);
        var n = x.Count;
        if (n < 2) return double.NaN;
        var order = Enumerable.Range(0, n).OrderBy(i => x[i]).ThenBy(i => y[i]).ToArray();
        long pairs = (long)n * (n - 1) / 2;
        long tiedX = TiedPairs(order, i => x[i]);
        long tiedXY = TiedPairs(order, i => (x[i], y[i]));
        var ys = order.Select(i => y[i]).ToArray();
        var swaps = MergeSortCountingSwaps(ys, new double[n], 0, n);
        long tiedY = TiedPairs(Enumerable.Range(0, n).ToArray(), i => ys[i]);
        // concordant − discordant = pairs − tiedX − tiedY + tiedXY − 2·swaps
        double numerator = pairs - tiedX - tiedY + tiedXY - 2.0 * swaps;
        var denominator = Math.Sqrt((double)(pairs - tiedX) * (pairs - tiedY));
        return denominator == 0 ? double.NaN : numerator / denominator;
    }

    private static long TiedPairs<T>(int[] sortedIndices, Func<int, T> key)
    {
        long tied = 0, run = 1;
        var comparer = EqualityComparer<T>.Default;
        for (var k = 1; k <= sortedIndices.Length; k++)
        {
            if (k < sortedIndices.Length && comparer.Equals(key(sortedIndices[k]), key(sortedIndices[k - 1])))
            {
                run++;
                continue;
            }
            tied += run * (run - 1) / 2;
            run = 1;
        }
        return tied;
    }

    // Sorts values[from..to) ascending and returns the number of inversions (pairs out of order).
    private static long MergeSortCountingSwaps(double[] values, double[] buffer, int from, int to)
    {
        if (to - from < 2) return 0;
        var middle = (from + to) / 2;
        var swaps = MergeSortCountingSwaps(values, buffer, from, middle) + MergeSortCountingSwaps(values, buffer, middle, to);
        int left = from, right = middle, k = from;
        while (left < middle && right < to)
        {
            if (values[right] < values[left])
            {
                swaps += middle - left;
                buffer[k++] = values[right++];
            }
            else
            {
                buffer[k++] = values[left++];
            }
        }
        while (left < middle) buffer[k++] = values[left++];
        while (right < to) buffer[k++] = values[right++];
        Array.Copy(buffer, from, values, from, to - from);
        return swaps;
    }

    private static double[] Ranks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            var average = (start + end) / 2.0 + 1;
            for (var k = start; k <= end; k++) ranks[order[k]] = average;
            start = end + 1;
        }
        return ranks;
    }

    private static double Pearson(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    private static void CheckLengths(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"{x.Count} values against {y.Count}.");
    }
}
